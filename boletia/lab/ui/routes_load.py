"""The load generator's panel (token): start an open-loop run, change its rate, stop it.
One run at a time, and none while the checker judges the last one."""

from __future__ import annotations

from flask import Blueprint, jsonify

from boletia.lab.ui import actions, loadgen
from boletia.lab.ui.lang import _ as _t
from boletia.lab.ui.web import admin, body, room
from boletia.services.http import error

load = Blueprint("load", __name__)


@load.post("/api/admin/load")
@admin
def start_load():
    control, admin_api = room().control, room().admin_api
    b = body()
    rate = actions.number(b, "rate", float, 5.0, loadgen.MIN_RATE, loadgen.MAX_RATE)
    events = actions.number(b, "events", int, 3, 1, loadgen.MAX_EVENTS)
    capacity = actions.number(b, "capacity", int, 200, 1, loadgen.MAX_CAPACITY)
    cancel_ratio = actions.number(b, "cancel_ratio", float, 0.2, 0, 0.9)
    with control.lock:
        if control.load is not None and control.load.active:
            return error(409, _t("a load run is going on; stop it first"))
        if control.verdict is not None and control.verdict.active:
            return error(409, _t("the checker is judging the last run; wait for its verdict"))
        # the last verdict stays on show (it names its run) until the next check
        control.load = loadgen.LoadRun(admin_api, rate, events, capacity, cancel_ratio,
                                       runs_dir=control.runs_dir).start()
    return jsonify({"load": control.load.status()})


@load.post("/api/admin/load/rate")
@admin
def load_rate():
    control = room().control
    rate = actions.number(body(), "rate", float, lo=loadgen.MIN_RATE, hi=loadgen.MAX_RATE)
    if control.load is None or not control.load.active:
        return error(409, _t("no load run is going on; start one first"))
    control.load.set_rate(rate)
    return jsonify({"load": control.load.status()})


@load.post("/api/admin/load/stop")
@admin
def stop_load():
    control = room().control
    body()
    if control.load is None or not control.load.active:
        return error(409, _t("no load run is going on"))
    control.load.stop()
    control.load.wait(10.0)
    return jsonify({"load": control.load.status()})
