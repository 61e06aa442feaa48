"""The live stream that feeds every panel drawn from the lab (architecture, lag, messages,
connectors): one hub snapshot per interval as server-sent events, the latest snapshot, and
the hub's counters. Without the token, the public part of each snapshot (the box office's)."""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify, request

from boletia.lab.ui.hub import TooManyViewers
from boletia.lab.ui.lang import _ as _t
from boletia.lab.ui.web import authorized, room, unauthorized
from boletia.services.http import error

live = Blueprint("live", __name__)


@live.get("/api/stream")
def stream():
    who = authorized()
    if who is False or (request.args.get("view") == "control" and not who):
        return unauthorized()
    try:
        events = room().hub.stream(full=bool(who))
    except TooManyViewers as exc:
        return error(503, _t("{reason}; close a tab or start the server with more viewers", reason=exc))
    return Response(events, mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@live.get("/api/snapshot")
def snapshot():
    who = authorized()
    if who is False:
        return unauthorized()
    hub = room().hub
    deadline = time.monotonic() + 5.0
    snap = hub.latest(bool(who))
    while snap is None and time.monotonic() < deadline:
        time.sleep(0.1)
        snap = hub.latest(bool(who))
    if snap is None:
        return error(503, _t("no snapshot yet; try again in a second"))
    return jsonify(snap)


@live.get("/api/stats")
def stats():
    r = room()
    return jsonify({**r.hub.stats(), "mail_reads": r.mailbox.reads})
