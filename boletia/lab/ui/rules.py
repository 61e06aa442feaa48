"""The rules every answer of the control room's server follows, installed on the app once:
loopback host names only (unless serving others), JSON-only bodies, hardening headers on every
answer (nosniff, a CSP that allows this server only, no referrer, no caching), and errors as
JSON messages that say what to send."""

from __future__ import annotations

import sys

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from boletia.domain import model
from boletia.lab.errors import LabError
from boletia.lab.ui import actions
from boletia.lab.ui.lang import _ as _t
from boletia.services import http
from boletia.services.http import error

MAX_BODY = model.MAX_BODY_BYTES
LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       # a local JupyterLab may show a view in an IFrame; nothing else may frame it
       "frame-ancestors 'self' http://127.0.0.1:* http://localhost:*")


def install(app: Flask, trusted_hosts: list[str] | None) -> None:
    """The rules on `app`; `trusted_hosts`: the host names answered (None: any)."""
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
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
        messages = {404: _t("no such page or route; the box office is /, the control room /control"),
                    405: _t("method {method} not allowed here", method=request.method),
                    413: _t("body too large: at most {size} bytes", size=MAX_BODY)}
        resp = error(exc.code or 500, messages.get(exc.code or 0, exc.description or exc.name))
        allow = dict(exc.get_headers()).get("Allow")
        if allow:
            resp.headers["Allow"] = allow
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        print(f"ui: {exc!r}", file=sys.stderr, flush=True)
        return error(500, _t("internal error ({kind}); see the server's output", kind=type(exc).__name__))
