"""The faults panel (token): a component's verbs (kill, pause, resume, restart, start), a
consumer's or MongoDB's faults, the sink's replay, scaling out and the design switch; each one a job of
`actions.py`, answered 200 when done, 202 when under way."""

from __future__ import annotations

from flask import Blueprint

from boletia.lab.ui import actions
from boletia.lab.ui.web import admin, body, job_answer, room

faults = Blueprint("faults", __name__)


@faults.post("/api/admin/component")
@admin
def component():
    r = room()
    return job_answer(r.control.jobs.submit(actions.component_action(body(), r.rt)))


@faults.post("/api/admin/fault")
@admin
def fault():
    r = room()
    return job_answer(r.control.jobs.submit(actions.fault_action(body(), r.rt, r.settings)))


@faults.post("/api/admin/design")
@admin
def design():
    r = room()
    return job_answer(r.control.jobs.submit(actions.design_action(body(), r.rt)))


@faults.post("/api/admin/scale")
@admin
def scale():
    r = room()
    return job_answer(r.control.jobs.submit(actions.scale_action(body(), r.rt)))
