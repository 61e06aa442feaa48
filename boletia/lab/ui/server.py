"""The control room's web server: the two faces, their JSON API and the live stream.

The browser talks only to this server (no CORS anywhere): bookings and cancels are forwarded
to the PUBLIC `reservas` API and its answers passed back as they are, so the page shows the
API's own messages; the instructor's buttons call the runtime port, the connectors' REST API,
the load generator and the checker. The same rules as the product's APIs apply:

- every instructor's action needs `Authorization: Bearer <the lab's admin token>`, compared in
  constant time as bytes; an empty configured token is refused at start-up;
- request bodies must be `application/json` (415 otherwise) and at most 4 KiB;
- every answer carries `X-Content-Type-Options: nosniff` and a Content-Security-Policy that
  allows this server only; no `Access-Control-Allow-Origin`, ever;
- bad input gets a 4xx whose message says what to send;
- it binds 127.0.0.1 unless told otherwise, and then answers only to loopback host names.

Routes:

| route | who | what |
|---|---|---|
| `GET /`, `GET /control` | anyone | the box office; the control room (views: `/control#booking-flow`...) |
| `GET /api/stream` | anyone; with the token: everything | server-sent events: one snapshot per interval |
| `GET /api/snapshot`, `GET /api/stats` | anyone (snapshot: as the stream) | latest snapshot; counters |
| `POST /api/book`, `DELETE /api/reservas/<id>` | anyone | forwarded to `reservas` |
| `GET /api/my?email=…&evento=…` | anyone | a customer's reservations and emails |
| `GET /api/admin/whoami` | token | checks the token; the control room's state |
| `POST /api/admin/component`, `/fault`, `/design`, `/scale`, `/event` | token | the CLI's verbs |
| `POST /api/admin/autoscale`, `/autoscale/stop` | token | the lag autoscaler, a thread of this process |
| `POST /api/admin/load`, `/load/rate`, `/load/stop`, `/check` | token | load generator and verdict |
| `GET /api/admin/jobs/<id>` | token | one action's outcome |
| `GET /api/admin/layout` | token | the component list as the diagram lays it out |

Each panel's routes are a blueprint in its own module: `routes_pages` (the faces),
`routes_live` (the stream), `routes_boxoffice`, `routes_control` (whoami, layout, jobs),
`routes_faults`, `routes_organisers`, `routes_load`, `routes_verdict`; what they share (the
room, the token's check, bodies and answers) is `web.py`, the rules above `rules.py`.
`create_app` makes the room once and registers them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask

from boletia import config
from boletia.adapters import ses
from boletia.lab.notebook.client import Boletia
from boletia.lab.runtimes.port import Runtime
from boletia.lab.ui import rules
from boletia.lab.ui.hub import Hub, Source
from boletia.lab.ui.routes_boxoffice import Mailbox, boxoffice
from boletia.lab.ui.routes_control import control as control_routes
from boletia.lab.ui.routes_faults import faults
from boletia.lab.ui.routes_live import live
from boletia.lab.ui.routes_load import load
from boletia.lab.ui.routes_organisers import organisers
from boletia.lab.ui.routes_pages import pages
from boletia.lab.ui.routes_verdict import verdict
from boletia.lab.ui.rules import LOOPBACK_NAMES, MAX_BODY
from boletia.lab.ui.web import EXTENSION, Control, Room

STATIC = Path(__file__).resolve().parent / "static"
BLUEPRINTS = (pages, live, boxoffice, control_routes, faults, organisers, load, verdict)


def _expected_token(token: str | None) -> bytes:
    if token is None or not token.strip():
        raise ValueError("the admin token is empty: the control room refuses to start without "
                         "one (the lab generates it: `boletia lab token`)")
    return token.strip().encode()


def create_app(rt: Runtime, settings: config.Settings | None = None, token: str | None = None, *,
               hub: Hub | None = None, source: Source | None = None,
               api: Boletia | None = None, admin_api: Boletia | None = None,
               mail: Callable[[], list[dict]] | None = None, interval: float = 1.0,
               max_viewers: int = 100, runs_dir: Path | None = None,
               trusted_hosts: list[str] | None = LOOPBACK_NAMES) -> Flask:
    """The control room's app for the lab behind `rt`. `token` defaults to the lab's admin
    token. `hub`, `source`, `api`, `admin_api` and `mail` replace the real ones (tests).
    The settings are read once, here; every route finds them in the room."""
    settings = settings or rt.settings
    expected = _expected_token(token if token is not None else rt.admin_token())
    # the box office keeps no booking's secret: it passes on each customer's own (the load
    # generator's client keeps its bookings', to read and cancel them)
    api = api or Boletia(settings=settings, timeout=10.0, keeps_secrets=False)
    admin_api = admin_api or Boletia(token=expected.decode(), settings=settings, timeout=15.0)
    control = Control(rt, settings, admin_api,
                      runs_dir if runs_dir is not None else settings.lab_dir / "runs")
    if hub is None:
        if source is None:
            from boletia.lab.ui.source import LabSource
            source = LabSource(rt, settings)
        hub = Hub(source, interval=interval, extras=control.state,
                  max_subscribers=max_viewers).start()
    else:
        hub.extras = control.state
    mailbox = Mailbox(mail or (lambda: ses.sent_messages(settings)))
    room = Room(rt=rt, settings=settings, expected=expected, api=api, admin_api=admin_api,
                control=control, hub=hub, mailbox=mailbox)

    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.extensions[EXTENSION] = {"room": room, "hub": hub, "control": control, "mailbox": mailbox,
                                 "close": room.close}
    rules.install(app, trusted_hosts)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app


def make_server(rt: Runtime, host: str = "127.0.0.1", port: int = 8090, *,
                interval: float = 1.0, max_viewers: int = 100, extra_hosts: list[str] = (),
                **app_options):
    """A waitress server for the control room (not started): `server.run()` serves,
    `server.close()` stops; `app.extensions["boletia_ui"]["close"]()` stops the hub."""
    from waitress import create_server

    loopback = host in ("127.0.0.1", "localhost", "::1")
    app = create_app(rt, rt.settings, rt.admin_token(), interval=interval, max_viewers=max_viewers,
                     trusted_hosts=([*LOOPBACK_NAMES, *extra_hosts] if loopback or extra_hosts
                                    else None), **app_options)
    # each browser holds one thread for its stream: room for every viewer, and then some
    server = create_server(app, host=host, port=port, threads=max_viewers + 16,
                           connection_limit=max_viewers + 64, channel_timeout=60,
                           ident="boletia-ui", max_request_body_size=MAX_BODY * 4)
    return server, app


def serve(rt: Runtime, host: str = "127.0.0.1", port: int = 8090, **options) -> None:
    """Serve the control room in the foreground until interrupted (Ctrl-C or SIGTERM)."""
    import signal

    server, app = make_server(rt, host, port, **options)
    close = app.extensions["boletia_ui"]["close"]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{server.effective_port}"
    print(f"Boletia control room: box office {url}/   control room {url}/control", flush=True)

    def stop(*_):
        close()  # end every browser's stream first: waitress then stops at once
        raise KeyboardInterrupt
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        close()
        server.close()
