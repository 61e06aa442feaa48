"""The control room's frame (token): who is signed in and the room's state (`whoami`: the
runtime, the designs this lab offers, the load, the verdict, the jobs), the diagram's layout
(the component list as the architecture panel draws it) and one action's outcome."""

from __future__ import annotations

from flask import Blueprint, jsonify

from boletia import config
from boletia.lab.notebook import layout
from boletia.lab.ui.lang import _ as _t
from boletia.lab.ui.web import admin, room
from boletia.services.http import error

control = Blueprint("control", __name__)


@control.get("/api/admin/whoami")
@admin
def whoami():
    r = room()
    return jsonify({"ok": True, "runtime": r.rt.name, "designs": list(config.DESIGNS),
                    **r.control.state()})


@control.get("/api/admin/layout")
@admin
def picture():
    return jsonify(layout.picture(room().settings.ports))


@control.get("/api/admin/jobs/<int:job_id>")
@admin
def job(job_id: int):
    found = room().control.jobs.get(job_id)
    if found is None:
        return error(404, _t("no job {job} (only the last few are kept)", job=job_id))
    return jsonify({"job": found.as_dict()})
