"""Slow is not lost (issue 30), proved both ways on the real lab: a small run checked while the
email path still works through a flood of emails is clean or inconclusive (with an estimate),
never violated; the same check after an email of the run was really lost or really sent twice
behind the checker's back is violated, with that email as its example.

The email path is slowed (the lab's consumer delay fault: DELAY s before each message, so at
most 1/DELAY emails a second on any machine): a flood of a few hundred then outlasts each check
by a known margin, where an unslowed flood had to be thousands (to outlast the check on a fast
machine) and took minutes to drain on a slow one. The test asserts that margin held: each check
it calls mid-flood found the backlog still there."""

from __future__ import annotations

import uuid

import pytest
from bson import ObjectId

from boletia import designs
from boletia.adapters import mongo, ses
from boletia.domain import decisions
from boletia.lab.experiments import drain, load
from boletia.lab.experiments.verdict import check_lab
from boletia.lab.notebook.client import Boletia

pytestmark = pytest.mark.integration
DELAY = 0.1        # s before each email: at most 10 emails/s, whatever the machine
FLOOD = 400        # ahead of the run: at least 40 s of emails, past the run and its 20 s check
FLOOD_BEHIND = 150  # behind the loss: at least 15 s of emails, past its 5 s check


def flood(db, n: int) -> str:
    """n reservations of an event outside the run, written at once: n emails to send, queued
    on boletia.reservas ahead of anything the run does next."""
    evento = f"Aluvion {uuid.uuid4().hex[:6]}"
    for start in range(0, n, 500):
        db.reservas.insert_many([{"_id": ObjectId(), "evento": evento, "cantidad": 1,
                                  "estado": "A", "email": f"a{start + i}@aluvion.example"}
                                 for i in range(min(500, n - start))])
    return evento


def small_run(lab, seed: int) -> load.Record:
    api = Boletia(token=lab.admin_token(), settings=lab.settings)
    return load.run(api, seed=seed, events=1, customers=3, operations=5, capacity=30,
                    cancel_ratio=0.3, prefix=f"Atasco {uuid.uuid4().hex[:6]}")


def test_a_backlog_is_never_a_loss_and_a_real_loss_is_never_a_backlog(lab, mongo_client,
                                                                      monkeypatch):
    db = mongo.database(mongo_client)
    if not designs.get(lab.design()).keeps_email_ledger:
        pytest.skip("a loss told from a backlog mid-drain needs the email ledger (fixed design)")

    try:
        the_checks(lab, db, monkeypatch)
    finally:
        lab.slow_consumer("notificaciones", 0)
    # leave the lab drained for whatever runs next
    assert drain.drain(db, lab.settings, lab.design())["drained"]


def the_checks(lab, db, monkeypatch) -> None:
    # 1. a flood ahead of a small run, checked at once with a short bound: not settled yet
    lab.slow_consumer("notificaciones", DELAY)
    flood(db, FLOOD)
    record = small_run(lab, seed=3)
    report = check_lab(lab, record, timeout=20, progress=None)
    print(report.summary())
    assert not report.drain["drained"], ("the flood must outlast this check", report.drain)
    assert "notificaciones" in report.drain["backlogged"], report.drain   # lesson 05 names it
    assert report.verdict in ("clean", "inconclusive"), report.summary()
    if report.verdict == "inconclusive":
        assert report.unsettled, "an inconclusive verdict says which stage has not settled"
        assert any(s["eta"] is not None for s in report.unsettled.values()), report.as_dict()
        assert "not settled yet: " in report.summary()

    # 2. left to drain (at the path's own pace) with the bound that follows the backlog: clean
    lab.slow_consumer("notificaciones", 0)
    report = check_lab(lab, record, progress=None)
    assert report.verdict == "clean", report.summary()
    assert report.drain["drained"] and "for a backlog of" in report.drain["bound"]

    # 3. a new flood; behind it, one of the run's emails is lost and another sent again:
    # the verdict is violated at once, naming those two emails, even with emails queued
    emails = ses.sent_about(record.events, lab.settings)
    reservas = {str(r["_id"]): r for r in db.reservas.find({"evento": {"$in": record.events}})}
    about = [(m, decisions.read_notification(m["subject"], m["body"])) for m in emails]
    firsts = [(m, i) for m, i in about if i["estado"] == "A" and i["reserva"] in reservas]
    assert len(firsts) >= 2, "the small run needs two confirmed reservations"
    (lost, lost_info), (twice, twice_info) = firsts[0], firsts[1]
    lab.slow_consumer("notificaciones", DELAY)
    flood(db, FLOOD_BEHIND)
    ses.forget(lost["id"], lab.settings)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):   # moto takes any
        monkeypatch.setenv(name, "testing")
    ses.Mailer(lab.settings).send(twice["to"][0], twice["subject"], twice["body"])
    report = check_lab(lab, record, timeout=5, progress=None)
    print(report.summary())
    assert not report.drain["drained"], ("emails must still be queued when it judges", report.drain)
    assert report.verdict == "violated", report.summary()
    assert f"{lost_info['reserva']}:A" in [v.subject for v in report.violations
                                          if v.kind == "email-missing"], report.summary()
    assert f"{twice_info['reserva']}:A" in [v.subject for v in report.violations
                                           if v.kind == "email-duplicate"], report.summary()
    assert set(report.counts) <= {"email-missing", "email-duplicate"}, report.summary()
