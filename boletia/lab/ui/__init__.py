"""The live control room: the lab in a browser, for a class.

Two faces, served by one small Flask app (`server.py`'s `create_app`, `boletia lab ui`), its
routes in one blueprint per panel (`routes_*.py`), what they share in `web.py` and the rules
every answer follows in `rules.py`:

- the box office (`/`): what a customer sees: events with live availability, a booking form
  that shows the API's own answers, "my reservations" with cancel, and the emails received;
- the control room (`/control`, for the instructor): the architecture drawn live, messages per
  second on each topic, each consumer group's lag, the last messages on each topic, the
  connectors, the fault buttons of the CLI, a load generator and the checker's verdict.

Every browser is fed by ONE sampler (`hub.py`): it samples the lab once per interval, whatever
the number of browsers, and pushes each snapshot to all of them as server-sent events. What it
samples, and how, is `source.py`; what the instructor's buttons do is `actions.py` and
`loadgen.py`. The page is plain HTML, CSS and ES modules in `static/` (the control room: one
module per panel, `control-*.js`; its diagram laid out from `GET /api/admin/layout`, the
component list as `boletia.lab.notebook.layout` draws it): no build step, nothing fetched from
another site.

This room sits above every other room of the lab: it may import from `experiments`,
`notebook`, `runtimes`, `setup` and the shared modules; nothing imports it but the CLI.
"""
