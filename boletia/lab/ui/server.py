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
| `POST /api/admin/component`, `/fault`, `/design`, `/event` | token | the CLI's verbs (`actions.py`) |
| `POST /api/admin/load`, `/load/rate`, `/load/stop`, `/check` | token | load generator and verdict |
| `GET /api/admin/jobs/<id>` | token | one action's outcome |
"""

from __future__ import annotations

import hmac
import json
import sys
import threading
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from boletia import config
from boletia.adapters import ses
from boletia.domain import decisions, model
from boletia.lab.errors import LabError
from boletia.lab.notebook.client import Answer, Boletia
from boletia.lab.runtimes.port import Runtime
from boletia.lab.ui import actions, loadgen
from boletia.lab.ui.hub import Hub, Source, TooManyViewers
from boletia.services import http
from boletia.services.http import error

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = model.MAX_BODY_BYTES
LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]
MAX_EVENTS_LOOKED_UP = 30      # "my reservations": events asked about, at most
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       # a local JupyterLab may show a view in an IFrame; nothing else may frame it
       "frame-ancestors 'self' http://127.0.0.1:* http://localhost:*")


class Mailbox:
    """The SES endpoint's messages, read at most once per `ttl` seconds whoever asks: thirty
    customers refreshing together cost one read."""

    def __init__(self, read: Callable[[], list[dict]], ttl: float = 1.0):
        self.read, self.ttl = read, ttl
        self.reads = 0
        self._lock = threading.Lock()
        self._at = -1e9
        self._messages: list[dict] = []

    def messages(self) -> list[dict]:
        with self._lock:
            if time.monotonic() - self._at >= self.ttl:
                self._messages = self.read()
                self._at = time.monotonic()
                self.reads += 1
            return self._messages

    def to(self, email: str) -> list[dict]:
        """The emails sent to `email`, newest first, each read back as the checker reads it."""
        out = []
        for m in self.messages():
            if email.lower() not in (a.lower() for a in m.get("to") or []):
                continue
            meaning = decisions.read_notification(m.get("subject") or "", m.get("body") or "")
            out.append({"id": m.get("id"), "subject": m.get("subject"), "body": m.get("body"),
                        **(meaning or {})})
        return out[::-1]


class Control:
    """The instructor's side: jobs, the load run and its verdict. `state()` is what the hub
    adds to every control-room snapshot."""

    def __init__(self, rt: Runtime, settings: config.Settings, admin_api: Boletia,
                 runs_dir: Path | None):
        self.rt, self.settings, self.admin_api, self.runs_dir = rt, settings, admin_api, runs_dir
        self.jobs = actions.Jobs()
        self.load: loadgen.LoadRun | None = None
        self.verdict: loadgen.Verdict | None = None
        self.lock = threading.Lock()

    def state(self) -> dict[str, Any]:
        return {"load": self.load.status() if self.load else None,
                "check": self.verdict.status() if self.verdict else None,
                "jobs": self.jobs.recent()}

    def close(self) -> None:
        if self.load is not None:
            self.load.stop()
        self.jobs.close()


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
    token. `hub`, `source`, `api`, `admin_api` and `mail` replace the real ones (tests)."""
    settings = settings or rt.settings
    expected = _expected_token(token if token is not None else rt.admin_token())
    api = api or Boletia(settings=settings, timeout=10.0)
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

    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.extensions["boletia_ui"] = {"hub": hub, "control": control, "mailbox": mailbox,
                                    "close": lambda: (control.close(), hub.close())}

    # ------------------------------------------------------------------ the rules
    def authorized() -> bool | None:
        """True: the right token; False: a wrong one; None: none given."""
        header = request.headers.get("Authorization")
        if header is None:
            return None
        scheme, _, given = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode("utf-8", "surrogateescape"), expected)

    def unauthorized() -> Response:
        resp = error(401, "the control room's actions need 'Authorization: Bearer <token>'; "
                          "`boletia lab token` prints it")
        resp.headers["WWW-Authenticate"] = 'Bearer realm="boletia-control-room"'
        return resp

    def admin(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not authorized():
                return unauthorized()
            return view(*args, **kwargs)
        return wrapped

    def body() -> dict[str, Any]:
        raw = request.get_data(cache=True)
        if not raw.strip():
            raise actions.BadInput("empty body: send a JSON object ({} when there is nothing to say)")
        try:
            value = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise actions.BadInput(f"malformed JSON: {exc}") from None
        if not isinstance(value, dict):
            raise actions.BadInput("send a JSON object")
        return value

    def passed_back(answer: Answer) -> Response:
        """A service's answer as it came: its status, its JSON (a text answer as `message`)."""
        resp = jsonify(answer.body if isinstance(answer.body, (dict, list))
                       else {"message": str(answer.body)})
        resp.status_code = answer.status
        return resp

    def job_answer(job: actions.Job) -> Response:
        status = {"done": 200, "running": 202}.get(job.state, 409)
        if status == 409:
            return error(409, job.message, job=job.as_dict())
        resp = jsonify({"job": job.as_dict()})
        resp.status_code = status
        return resp

    trusted = {h.lower() for h in trusted_hosts} if trusted_hosts is not None else None

    @app.before_request
    def _loopback_names_only():
        # bound to loopback, a request naming another host came through DNS rebinding
        if trusted is None:
            return None
        host = request.host.lower()
        name = host[:host.find("]") + 1] if host.startswith("[") else host.split(":", 1)[0]
        if name not in trusted:
            return error(400, f"this server answers to {', '.join(sorted(trusted))} only "
                              f"(not {name!r}); start it with --host to serve others")
        return None

    app.before_request(http.only_json_bodies)

    @app.after_request
    def _harden(resp: Response) -> Response:
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    @app.errorhandler(actions.BadInput)
    def _bad(exc: actions.BadInput):
        return error(400, str(exc))

    @app.errorhandler(model.InvalidRequest)
    def _invalid(exc: model.InvalidRequest):
        return error(400, str(exc))

    @app.errorhandler(actions.Busy)
    def _busy(exc: actions.Busy):
        return error(409, str(exc))

    @app.errorhandler(LabError)
    def _lab(exc: LabError):
        return error(409, str(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        messages = {404: "no such page or route; the box office is /, the control room /control",
                    405: f"method {request.method} not allowed here",
                    413: f"body too large: at most {MAX_BODY} bytes"}
        resp = error(exc.code or 500, messages.get(exc.code or 0, exc.description or exc.name))
        allow = dict(exc.get_headers()).get("Allow")
        if allow:
            resp.headers["Allow"] = allow
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        print(f"ui: {exc!r}", file=sys.stderr, flush=True)
        return error(500, f"internal error ({type(exc).__name__}); see the server's output")

    # ------------------------------------------------------------------ pages
    @app.get("/health")
    def health():
        return jsonify({"service": "ui", "status": "ok"})

    @app.get("/")
    def box_office():
        return app.send_static_file("index.html")

    @app.get("/control")
    def control_room():
        return app.send_static_file("control.html")

    # ------------------------------------------------------------------ live
    @app.get("/api/stream")
    def stream():
        who = authorized()
        if who is False or (request.args.get("view") == "control" and not who):
            return unauthorized()
        try:
            events = hub.stream(full=bool(who))
        except TooManyViewers as exc:
            return error(503, f"{exc}; close a tab or start the server with more viewers")
        return Response(events, mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @app.get("/api/snapshot")
    def snapshot():
        who = authorized()
        if who is False:
            return unauthorized()
        deadline = time.monotonic() + 5.0
        snap = hub.latest(bool(who))
        while snap is None and time.monotonic() < deadline:
            time.sleep(0.1)
            snap = hub.latest(bool(who))
        if snap is None:
            return error(503, "no snapshot yet; try again in a second")
        return jsonify(snap)

    @app.get("/api/stats")
    def stats():
        return jsonify({**hub.stats(), "mail_reads": mailbox.reads})

    # ------------------------------------------------------------------ the box office
    @app.post("/api/book")
    def book():
        b = body()
        try:
            answer = api.book(b.get("evento"), b.get("cantidad"), b.get("email"))
        except Exception as exc:  # noqa: BLE001 - the service down is the customer's news
            return error(502, f"reservas does not answer ({type(exc).__name__}); "
                              "try again in a moment")
        return passed_back(answer)

    @app.delete("/api/reservas/<reserva_id>")
    def cancel(reserva_id: str):
        model.check_object_id(reserva_id)
        try:
            answer = api.cancel(reserva_id)
        except Exception as exc:  # noqa: BLE001
            return error(502, f"reservas does not answer ({type(exc).__name__}); "
                              "try again in a moment")
        return passed_back(answer)

    @app.get("/api/my")
    def my_reservations():
        email = model.check_email((request.args.get("email") or "").strip())
        asked = [model.check_name(e, "evento") for e in request.args.getlist("evento")]
        try:
            emails = mailbox.to(email)
            mail_error = None
        except Exception as exc:  # noqa: BLE001 - SES down: the reservations still show
            emails, mail_error = [], f"the mail server does not answer ({type(exc).__name__})"
        events = list(dict.fromkeys([*asked, *(m["evento"] for m in emails if m.get("evento"))]))
        events = events[:MAX_EVENTS_LOOKED_UP]
        found: dict[str, dict] = {}
        problems = []
        for evento in events:
            try:
                answer = api.reservations(evento, email)
            except Exception as exc:  # noqa: BLE001
                problems.append(f"reservas does not answer ({type(exc).__name__})")
                break
            if answer.ok and isinstance(answer.body, list):
                found.update({r["Id"]: r for r in answer.body})
            elif answer.status != 404:
                problems.append(f"{evento}: {answer.status} {str(answer.body)[:120]}")
        return jsonify({"email": email, "events": events,
                        "reservations": sorted(found.values(), key=lambda r: r["Id"], reverse=True),
                        "emails": emails, "problems": problems, "mail_error": mail_error})

    # ------------------------------------------------------------------ the control room
    @app.get("/api/admin/whoami")
    @admin
    def whoami():
        return jsonify({"ok": True, "runtime": rt.name, "designs": list(config.DESIGNS),
                        **control.state()})

    @app.post("/api/admin/component")
    @admin
    def component():
        return job_answer(control.jobs.submit(actions.component_action(body(), rt)))

    @app.post("/api/admin/fault")
    @admin
    def fault():
        return job_answer(control.jobs.submit(actions.fault_action(body(), rt, settings)))

    @app.post("/api/admin/design")
    @admin
    def design():
        return job_answer(control.jobs.submit(actions.design_action(body(), rt)))

    @app.get("/api/admin/jobs/<int:job_id>")
    @admin
    def job(job_id: int):
        found = control.jobs.get(job_id)
        if found is None:
            return error(404, f"no job {job_id} (only the last few are kept)")
        return jsonify({"job": found.as_dict()})

    @app.post("/api/admin/event")
    @admin
    def create_event():
        b = body()
        try:
            answer = admin_api.create_event(b.get("nombre"), b.get("capacidad"),
                                            b.get("categoria") or "Lab")
        except Exception as exc:  # noqa: BLE001
            return error(502, f"eventos does not answer ({type(exc).__name__})")
        return passed_back(answer)

    @app.post("/api/admin/load")
    @admin
    def start_load():
        b = body()
        rate = actions.number(b, "rate", float, 5.0, loadgen.MIN_RATE, loadgen.MAX_RATE)
        events = actions.number(b, "events", int, 3, 1, loadgen.MAX_EVENTS)
        capacity = actions.number(b, "capacity", int, 200, 1, loadgen.MAX_CAPACITY)
        cancel_ratio = actions.number(b, "cancel_ratio", float, 0.2, 0, 0.9)
        with control.lock:
            if control.load is not None and control.load.active:
                return error(409, "a load run is going on; stop it first")
            if control.verdict is not None and control.verdict.active:
                return error(409, "the checker is judging the last run; wait for its verdict")
            # the last verdict stays on show (it names its run) until the next check
            control.load = loadgen.LoadRun(admin_api, rate, events, capacity, cancel_ratio,
                                           runs_dir=control.runs_dir).start()
        return jsonify({"load": control.load.status()})

    @app.post("/api/admin/load/rate")
    @admin
    def load_rate():
        rate = actions.number(body(), "rate", float, lo=loadgen.MIN_RATE, hi=loadgen.MAX_RATE)
        if control.load is None or not control.load.active:
            return error(409, "no load run is going on; start one first")
        control.load.set_rate(rate)
        return jsonify({"load": control.load.status()})

    @app.post("/api/admin/load/stop")
    @admin
    def stop_load():
        body()
        if control.load is None or not control.load.active:
            return error(409, "no load run is going on")
        control.load.stop()
        control.load.wait(10.0)
        return jsonify({"load": control.load.status()})

    @app.post("/api/admin/check")
    @admin
    def check():
        body()
        with control.lock:
            if control.load is None:
                return error(409, "run the load first: the checker judges a run's record")
            if control.load.active:
                return error(409, "stop the load first: the checker judges a finished run")
            if not control.load.record.events:
                return error(409, "the last run created no event; nothing to judge")
            if control.verdict is not None and control.verdict.active:
                return error(409, "the checker is already judging this run")
            control.verdict = loadgen.Verdict(rt, control.load.record).start()
        resp = jsonify({"check": control.verdict.status()})
        resp.status_code = 202
        return resp

    return app


def make_server(rt: Runtime, host: str = "127.0.0.1", port: int = 8090, *,
                interval: float = 1.0, max_viewers: int = 100, **app_options):
    """A waitress server for the control room (not started): `server.run()` serves,
    `server.close()` stops; `app.extensions["boletia_ui"]["close"]()` stops the hub."""
    from waitress import create_server

    loopback = host in ("127.0.0.1", "localhost", "::1")
    app = create_app(rt, rt.settings, rt.admin_token(), interval=interval, max_viewers=max_viewers,
                     trusted_hosts=LOOPBACK_NAMES if loopback else None, **app_options)
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
