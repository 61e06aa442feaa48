"""The checker's panel (token): judge the last load run's record (202: under way; the verdict
arrives with the snapshots)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from boletia.lab.ui import loadgen
from boletia.lab.ui.lang import _ as _t
from boletia.lab.ui.web import admin, body, room
from boletia.services.http import error

verdict = Blueprint("verdict", __name__)


@verdict.post("/api/admin/check")
@admin
def check():
    r = room()
    control = r.control
    body()
    with control.lock:
        if control.load is None:
            return error(409, _t("run the load first: the checker judges a run's record"))
        if control.load.active:
            return error(409, _t("stop the load first: the checker judges a finished run"))
        if not control.load.record.events:
            return error(409, _t("the last run created no event; nothing to judge"))
        if control.verdict is not None and control.verdict.active:
            return error(409, _t("the checker is already judging this run"))
        control.verdict = loadgen.Verdict(r.rt, control.load.record).start()
    resp = jsonify({"check": control.verdict.status()})
    resp.status_code = 202
    return resp
