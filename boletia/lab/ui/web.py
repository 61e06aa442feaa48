"""What every panel's routes share: the room (the app's state, made once by `create_app` and
kept in `app.extensions["boletia_ui"]`), the admin token's check, the JSON body and the
answers' shapes. A blueprint asks `room()` for what it needs; nothing here is a global."""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Response, current_app, jsonify, request

from boletia import config
from boletia.lab import autoscaler
from boletia.lab.notebook.client import Answer, Boletia
from boletia.lab.runtimes.port import Runtime
from boletia.lab.ui import actions, loadgen
from boletia.lab.ui.hub import Hub
from boletia.lab.ui.lang import _ as _t
from boletia.services.http import error

EXTENSION = "boletia_ui"


class Control:
    """The instructor's side: jobs, the load run and its verdict, the autoscaler. `state()` is what the hub
    adds to every control-room snapshot."""

    def __init__(self, rt: Runtime, settings: config.Settings, admin_api: Boletia,
                 runs_dir: Path | None):
        self.rt, self.settings, self.admin_api, self.runs_dir = rt, settings, admin_api, runs_dir
        self.jobs = actions.Jobs()
        self.load: loadgen.LoadRun | None = None
        self.verdict: loadgen.Verdict | None = None
        self.autoscale: autoscaler.Running | None = None
        self.lock = threading.Lock()

    def state(self) -> dict[str, Any]:
        return {"load": self.load.status() if self.load else None,
                "check": self.verdict.status() if self.verdict else None,
                "autoscale": self.autoscale.status() if self.autoscale else None,
                "jobs": self.jobs.recent()}

    def close(self) -> None:
        if self.load is not None:
            self.load.stop()
        if self.autoscale is not None:
            self.autoscale.stop()
        self.jobs.close()


@dataclass
class Room:
    """The control room's state and dependencies, made once per app."""

    rt: Runtime
    settings: config.Settings
    expected: bytes           # the admin token, as bytes
    api: Boletia              # the public APIs (the box office)
    admin_api: Boletia        # the same, with the admin token (organisers, load)
    control: Control
    hub: Hub
    mailbox: Any              # routes_boxoffice.Mailbox

    def close(self) -> None:
        self.control.close()
        self.hub.close()


def room() -> Room:
    return current_app.extensions[EXTENSION]["room"]


# ---------------------------------------------------------------- the admin token
def authorized() -> bool | None:
    """True: the right token; False: a wrong one; None: none given."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "surrogateescape"), room().expected)


def unauthorized() -> Response:
    resp = error(401, _t("the control room's actions need 'Authorization: Bearer <token>'; "
                         "`boletia lab token` prints it"))
    resp.headers["WWW-Authenticate"] = 'Bearer realm="boletia-control-room"'
    return resp


def admin(view: Callable) -> Callable:
    """The view answers only with the lab's admin token (401 otherwise)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not authorized():
            return unauthorized()
        return view(*args, **kwargs)
    return wrapped


# ---------------------------------------------------------------- bodies and answers
def body() -> dict[str, Any]:
    """The request's JSON object (an empty body, malformed JSON or another value: a 400)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise actions.BadInput(_t("empty body: send a JSON object ({{}} when there is nothing to say)"))
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise actions.BadInput(_t("malformed JSON: {reason}", reason=exc)) from None
    if not isinstance(value, dict):
        raise actions.BadInput(_t("send a JSON object"))
    return value


def passed_back(answer: Answer) -> Response:
    """A service's answer as it came: its status, its JSON (a text answer as `message`)."""
    resp = jsonify(answer.body if isinstance(answer.body, (dict, list))
                   else {"message": str(answer.body)})
    resp.status_code = answer.status
    return resp


def job_answer(job: actions.Job) -> Response:
    """200 done, 202 under way, 409 failed or refused: the job as JSON."""
    status = {"done": 200, "running": 202}.get(job.state, 409)
    if status == 409:
        return error(409, job.message, job=job.as_dict())
    resp = jsonify({"job": job.as_dict()})
    resp.status_code = status
    return resp
