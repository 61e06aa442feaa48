"""The faults panel (token): a component's verbs (kill, pause, resume, restart, start), a
consumer's or MongoDB's faults, the sink's replay, scaling out and the design switch; each one a job of
`actions.py`, answered 200 when done, 202 when under way; and the autoscaler, a thread of this
process that scales a consumer by its lag until stopped (its decisions in every snapshot)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from boletia.lab import autoscaler
from boletia.lab.ui import actions
from boletia.lab.ui.lang import _ as _t
from boletia.lab.ui.web import admin, body, job_answer, room
from boletia.services.http import error

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


@faults.post("/api/admin/autoscale")
@admin
def autoscale():
    r = room()
    consumer, policy = actions.autoscale_policy(body())
    with r.control.lock:
        running = r.control.autoscale
        if running is not None and running.active:
            return error(409, _t("the autoscaler is already scaling {consumer}; stop it first",
                                 consumer=running.consumer))
        r.control.autoscale = autoscaler.Running(r.rt, consumer, policy).start()
    return jsonify({"autoscale": r.control.autoscale.status()})


@faults.post("/api/admin/autoscale/stop")
@admin
def autoscale_stop():
    r = room()
    body()
    running = r.control.autoscale
    if running is None or not running.active:
        return error(409, _t("the autoscaler is not running"))
    running.stop(wait=10.0)
    return jsonify({"autoscale": running.status()})
