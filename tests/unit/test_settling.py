"""Slow is not lost (issue 30), without I/O: the drain's backlog tracker measures how fast
each stage falls and when it will be done, names a stage that does not move, and bounds its
wait by the backlog it saw; the checker keeps what has not settled apart from its verdict."""

from __future__ import annotations

from boletia.lab.experiments import checker, drain
from boletia.lab.experiments.checker import judge
from tests.unit.test_checker import B1, drop_email, world


def test_a_falling_backlog_has_a_rate_and_an_estimate():
    b = drain.Backlog(window=20, stall=30)
    for t in range(0, 11):  # notificaciones falls 50 a second from 1000; inventario is done
        b.add(float(t), {"notificaciones": 1000 - 50 * t, "inventario": 0})
    s = b.stages()
    assert s["notificaciones"] == {"lag": 500, "rate": 50.0, "eta": 10, "moving": True, "flat_s": 0.0}
    assert s["inventario"] == {"lag": 0, "rate": 0.0, "eta": 0, "moving": True, "flat_s": 0.0}
    assert b.largest == 1000
    assert b.stalled(10.0, since_progress=0.0) == []


def test_a_flat_backlog_is_named_as_not_moving_once_the_stall_has_passed():
    b = drain.Backlog(window=20, stall=30)
    for t in range(0, 41, 2):
        b.add(float(t), {"notificaciones": 700, "inventario": 0})
    s = b.stages()["notificaciones"]
    assert s["rate"] == 0.0 and s["eta"] is None and not s["moving"] and s["flat_s"] == 40.0
    assert b.stalled(40.0, since_progress=0.0) == ["notificaciones"]
    # the canary advancing recently is progress: not stalled yet
    assert b.stalled(40.0, since_progress=25.0) == []


def test_a_backlog_that_moved_lately_is_still_moving():
    b = drain.Backlog(window=20, stall=30)
    for t in range(0, 41, 2):
        b.add(float(t), {"notificaciones": 700 if t < 30 else 690})
    assert b.stages()["notificaciones"]["moving"]
    assert b.stalled(40.0, since_progress=0.0) == []


def test_the_bound_follows_the_backlog_and_a_timeout_overrides_it():
    assert drain.bound(0)[0] == drain.BASE
    seconds, why = drain.bound(5000)
    assert seconds == drain.BASE + 5000 * drain.PER_MESSAGE and "5000 messages" in why
    assert drain.bound(10**9)[0] == drain.CEILING
    assert drain.bound(5000, timeout=30) == (30, "--timeout 30 s")


def test_the_progress_line_names_stage_lag_rate_and_estimate():
    line = drain.progress_line("reservas -> SES", {
        "notificaciones": {"lag": 3000, "rate": 25.0, "eta": 120, "moving": True},
        "inventario": {"lag": 0, "rate": 0.0, "eta": 0, "moving": True},
        "connect-mongo-sink": {"lag": 4, "rate": 0.0, "eta": None, "moving": False},
        "inventario-2": {"lag": 16, "rate": 0.0, "eta": None, "moving": True, "flat_s": 37.2}}, 12, 720)
    assert line == ("draining [12/720 s] reservas -> SES: notificaciones lag 3000 −25/s ~2 min; "
                    "connect-mongo-sink lag 4 not moving; inventario-2 lag 16 (not fallen for 37 s)")


def queue_email(state, history):
    """B1's A email not sent yet: no email, and the ledger never confirmed it."""
    drop_email(state, history)
    state.ledger = [e for e in state.ledger if e["_id"] != f"{B1}:A"]


def unsettled_email_stage(lag=36):
    return {"drained": False, "stalled": False, "stage": "reservas -> SES",
            "detail": "still moving when the bound ran out", "bound": "120 s",
            "seconds": 120.0, "unsettled": ["notificaciones"],
            "stages": {"notificaciones": {"lag": lag, "rate": 3.0, "eta": 12, "moving": True}}}


def test_an_email_still_queued_is_pending_and_the_verdict_inconclusive():
    state, history = world()
    queue_email(state, history)
    state.drain = unsettled_email_stage()
    report = judge(state, history, "fixed")
    assert report.verdict == "inconclusive" and not report.ok and not report.violations
    assert [v.kind for v in report.pending] == ["email-missing"]
    text = report.summary()
    assert text.startswith("inconclusive: judged ")
    assert "notificaciones lag 36 (falling 3/s, done in ~12 s)" in text
    assert "email-missing ×1" in text and "violated" not in text


def test_a_settled_fault_is_still_violated_while_another_stage_drains():
    state, history = world()
    state.reservas[0]["cantidad"] = 9            # a wrong quantity has settled: a violation
    state.drain = unsettled_email_stage()
    report = judge(state, history, "fixed")
    assert report.verdict == "violated" and "reservation-matches-booking" in report.counts
    assert "email-missing" not in report.counts
    assert "\nnot settled yet: notificaciones lag 36" in report.summary()


def test_a_stalled_stage_is_a_finding_of_its_own():
    state, history = world()
    queue_email(state, history)
    state.drain = {**unsettled_email_stage(), "stalled": True, "detail": "not moving: notificaciones",
                   "stages": {"notificaciones": {"lag": 36, "rate": 0.0, "eta": None,
                                                 "moving": False}}}
    report = judge(state, history, "fixed")
    assert report.verdict == "violated" and set(report.counts) == {"pipeline-drained"}
    assert report.examples()["pipeline-drained"][0].endswith("not moving: notificaciones")
    assert [v.kind for v in report.pending] == ["email-missing"]    # queued: not lost
    assert "notificaciones lag 36 (not moving)" in report.summary()


def test_a_clean_verdict_says_what_it_judged_in_words():
    state, history = world()
    report = judge(state, history, "fixed")
    assert report.verdict == "clean" and report.ok
    assert report.summary().startswith("clean: judged ")
    said = (f"{report.checked['bookings']} bookings to judge, {report.checked['uncertain']} bookings of "
            "unknown outcome (a 5xx or no answer: either accepted)")
    assert said in report.summary()
    assert checker.judged({"events": 1, "bookings": "no record", "uncertain": 0}) == "1 events"
    assert "{" not in report.summary() and "uncertain" not in report.summary()
    assert B1 in {r["_id"] for r in state.reservas}


def test_an_email_the_ledger_confirmed_is_missing_even_while_emails_drain():
    state, history = world()
    drop_email(state, history)          # B1's A email: the world's ledger says enviado
    state.drain = unsettled_email_stage()
    report = judge(state, history, "fixed")
    assert report.verdict == "violated" and set(report.counts) == {"email-missing"}
    assert report.examples()["email-missing"][0].startswith(f"{B1}:A: ")
    assert "the ledger confirmed its send" in report.examples()["email-missing"][0]


def test_the_control_room_shows_the_drain_progress_then_the_unsettled_part(monkeypatch):
    import threading
    import time

    from boletia.lab.experiments import checker, load
    from boletia.lab.ui import loadgen

    gate = threading.Event()

    def fake_check(rt, record, timeout=None, progress=None):
        progress("draining [12/720 s] reservas -> SES: notificaciones lag 3000 −25/s ~2 min")
        gate.wait(5)
        return checker.Report(design="fixed", drain=unsettled_email_stage(3000))

    monkeypatch.setattr(loadgen, "check_lab", fake_check)
    verdict = loadgen.Verdict(None, load.Record(seed=1, prefix="Sala")).start()
    deadline = time.monotonic() + 5
    while not verdict.progress and time.monotonic() < deadline:
        time.sleep(0.01)
    assert verdict.status()["progress"].startswith("draining [12/720 s]")
    gate.set()
    verdict.wait(5)
    status = verdict.status()
    assert status["progress"] == "" and status["result"]["verdict"] == "inconclusive"
    assert status["result"]["unsettled"]["notificaciones"]["lag"] == 3000


# ---------------------------------------------------------------- a dropped canary
def test_a_canary_is_dropped_only_once_its_group_committed_past_it_unwritten():
    at = (1, 752)   # the canary's booking on boletia.inventario, partition 1, offset 752
    assert drain.dropped(at, 752, written=False) is None      # not read yet: in flight
    assert drain.dropped(at, None, written=False) is None     # the group committed nothing there
    assert drain.dropped(None, 900, written=False) is None    # its message not published yet
    assert drain.dropped(at, 753, written=True) is None       # read, and its reservation written
    why = drain.dropped(at, 753, written=False)
    assert why.startswith("dropped: the canary's booking reached boletia.inventario[1]@752 and "
                          "consumer inventario committed past it (next offset 753)")


def dropped_at_inventario():
    """The drain of notebook 06's stub connector: the canary's booking read and ignored by
    consumer inventario, every group's lag 0 after it (measured on the lab: 4 s)."""
    stage = drain.STAGES[1][0]
    return {"drained": False, "stalled": False, "dropped": True, "stage": stage,
            "detail": drain.dropped((1, 752), 753, written=False), "bound": "120 s",
            "seconds": 4.0, "unsettled": [],
            "stages": {g: {"lag": 0, "rate": 0.0, "eta": 0, "moving": True}
                       for g in ("inventario", "notificaciones", "connect-mongo-sink")}}


def lose_reservation(state, history):
    """B1's booking answered 200, its reservation (and its emails) never written."""
    state.reservas = [r for r in state.reservas if r["_id"] != B1]
    state.emails = [e for e in state.emails if B1 not in e["body"]]
    state.ledger = [e for e in state.ledger if not e["_id"].startswith(B1)]


def test_a_dropped_canary_is_a_finding_and_the_lost_booking_is_judged_not_pending():
    state, history = world()
    lose_reservation(state, history)
    state.drain = dropped_at_inventario()
    report = judge(state, history, "fixed")
    assert report.verdict == "violated" and not report.pending
    assert {"pipeline-drained", "booking-has-reservation"} <= set(report.counts)
    assert report.examples()["pipeline-drained"][0].startswith(f"{drain.STAGES[1][0]}: dropped: ")


def test_without_the_proof_of_a_drop_the_same_lost_booking_stays_unjudged():
    state, history = world()
    lose_reservation(state, history)
    # the same drain cut short by its bound, the canary neither written nor proved dropped
    state.drain = {**dropped_at_inventario(), "dropped": False, "unsettled": ["inventario"],
                   "detail": "still moving when the bound ran out"}
    report = judge(state, history, "fixed")
    assert report.verdict == "inconclusive" and not report.violations
    assert "booking-has-reservation" in {v.kind for v in report.pending}


def test_a_refund_still_queued_for_reembolsos_is_pending_not_violated():
    """Since the split a cancel's refund waits in reembolsos' group, not inventario's: with
    reembolsos still behind, the tickets not yet given back are pending (every lag group has an
    entry in WAITS_ON, so a new consumer cannot be forgotten there)."""
    from boletia.lab.components import LAG_GROUPS
    from tests.unit.test_checker import B2, OPERA, _inv

    assert set(LAG_GROUPS) <= set(checker.WAITS_ON)
    state, history = world()
    state.refunds = [r for r in state.refunds if r["_id"] != B2]   # luis's X not refunded yet
    _inv(state, OPERA)["vendidos"] += 3
    state.drain = {**unsettled_email_stage(), "unsettled": ["reembolsos"], "stage": "consumer groups",
                   "stages": {"reembolsos": {"lag": 4, "rate": 1.0, "eta": 4, "moving": True}}}
    report = judge(state, history, "fixed")
    assert report.verdict == "inconclusive" and not report.violations, report.summary()
    assert {v.kind for v in report.pending} >= {"refund-matches-cancel"}
