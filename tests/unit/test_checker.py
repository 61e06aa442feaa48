"""The checker's judgement on recorded states, no I/O: a clean world is clean, and each kind
of damage is named, exactly, by its own invariant(s)."""

from __future__ import annotations

import pytest

from boletia.domain import decisions
from boletia.lab.experiments.checker import KINDS, Booking, History, State, judge

OPERA, ROCK = "Opera", "Rock"
B1, B2, B3, B4 = ("a" * 23 + "1", "a" * 23 + "2", "a" * 23 + "3", "a" * 23 + "4")


def _email(rid, evento, estado, email, cantidad):
    m = decisions.notification({"_id": rid, "evento": evento, "estado": estado, "email": email,
                                "cantidad": cantidad})
    return {"to": [m.to], "subject": m.subject, "body": m.body}


def world(design: str = "fixed") -> tuple[State, History]:
    """Opera (10 seats, active): ana holds 2 (B1) and 1 (B4); luis booked 3 and cancelled
    (B2, refunded). Rock (5 seats) was cancelled by the organisers: eva's 1 (B3) became C."""
    reservas = [
        {"_id": B1, "evento": OPERA, "email": "ana@x.es", "cantidad": 2, "estado": "A"},
        {"_id": B2, "evento": OPERA, "email": "luis@x.es", "cantidad": 3, "estado": "X"},
        {"_id": B3, "evento": ROCK, "email": "eva@x.es", "cantidad": 1, "estado": "C"},
        {"_id": B4, "evento": OPERA, "email": "ana@x.es", "cantidad": 1, "estado": "A"},
    ]
    if design == "seed":
        inventario = [{"nombre": OPERA, "capacidad": 7, "estado": "A"},
                      {"nombre": ROCK, "capacidad": 4, "estado": "C"}]
        refunds = []
    else:
        inventario = [{"nombre": OPERA, "capacidad": 10, "vendidos": 3, "estado": "A"},
                      {"nombre": ROCK, "capacidad": 5, "vendidos": 1, "estado": "C"}]
        refunds = [{"_id": B2, "evento": OPERA, "cantidad": 3}]
    emails = []
    for r in reservas:
        for estado in sorted({"A", r["estado"]}):
            emails.append(_email(r["_id"], r["evento"], estado, r["email"], r["cantidad"]))
    state = State(
        eventos=[{"nombre": OPERA, "capacidad": 10, "estado": "A"},
                 {"nombre": ROCK, "capacidad": 5, "estado": "C"}],
        inventario=inventario, reservas=reservas, refunds=refunds, emails=emails,
        ledger=[{"_id": f"{r['_id']}:{e}", "reserva": r["_id"], "intentos": 1, "enviado": True}
                for r in reservas for e in {"A", r["estado"]}],
        drain={"drained": True, "stage": None, "lag": {}},
        connectors={"mongo-source": {"state": "RUNNING", "tasks": ["RUNNING"]}})
    history = History(events=[OPERA, ROCK], bookings={
        r["_id"]: Booking(r["_id"], r["evento"], r["email"], r["cantidad"], 200) for r in reservas},
        cancels={B2: [200]}, event_cancels={ROCK: [200]})
    return state, history


def kinds(state, history, design="fixed", **kw) -> set[str]:
    return set(judge(state, history, design, **kw).counts)


@pytest.mark.parametrize("design", ["fixed", "seed"])
def test_a_clean_world_is_clean(design):
    state, history = world(design)
    report = judge(state, history, design)
    assert report.ok, report.examples()
    assert report.verdict == "clean"
    assert report.checked["reservations"] == 4 and report.checked["emails"] == 6


def _res(state, rid):
    return next(r for r in state.reservas if r["_id"] == rid)


def _inv(state, nombre):
    return next(i for i in state.inventario if i["nombre"] == nombre)


def delete_reservation(s, h):
    s.reservas.remove(_res(s, B1))


def change_email(s, h):
    _res(s, B1)["email"] = "mallory@x.es"


def swap_quantities(s, h):
    _res(s, B1)["cantidad"], _res(s, B4)["cantidad"] = 1, 2


def add_refund(s, h):
    s.refunds.append({"_id": B1, "evento": OPERA, "cantidad": 2})
    _inv(s, OPERA)["vendidos"] -= 2


def add_email(s, h):
    s.emails.append(_email(B1, OPERA, "A", "ana@x.es", 2))


def drop_email(s, h):
    s.emails.pop(0)


def resurrect_cancelled(s, h):
    _res(s, B2)["estado"] = "A"


def oversell(s, h):
    _inv(s, OPERA)["vendidos"] = 11


def reservation_without_booking(s, h):
    s.reservas.append({"_id": "b" * 24, "evento": OPERA, "email": "x@x.es", "cantidad": 1,
                       "estado": "A"})
    _inv(s, OPERA)["vendidos"] += 1
    s.emails.append(_email("b" * 24, OPERA, "A", "x@x.es", 1))


def test_a_reservation_of_a_booking_whose_answer_was_lost_is_one_it_may_have_made():
    """api-replica-kill, seen once: the replica that took a booking was SIGKILLed before it
    answered (no answer, no id); its write had happened and the pipeline made the reservation.
    As a Jepsen indeterminate operation: accepted when a booking of that event, email and
    quantity went unanswered, one reservation per such booking; any other stays a violation."""
    state, history = world()
    reservation_without_booking(state, history)
    assert "reservation-has-booking" in kinds(state, history)
    history.unanswered = [(OPERA, "x@x.es", 2)]                 # another quantity: not this one
    assert "reservation-has-booking" in kinds(state, history)
    history.unanswered = [(OPERA, "x@x.es", 1)]
    report = judge(state, history, "fixed")
    assert report.ok, report.examples()
    assert report.checked["uncertain"] == 1
    state.reservas.append({"_id": "d" * 24, "evento": OPERA, "email": "x@x.es", "cantidad": 1,
                           "estado": "A"})                       # a second: one unanswered booking
    assert "reservation-has-booking" in kinds(state, history)


def test_an_unanswered_booking_is_kept_from_the_record():
    from types import SimpleNamespace

    ops = [SimpleNamespace(op="book", id=None, status=0, evento=OPERA, email="x@x.es", cantidad=1),
           SimpleNamespace(op="book", id=None, status=404, evento=OPERA, email="y@x.es", cantidad=9)]
    h = History.from_record(SimpleNamespace(events=[OPERA], started=0.0, ops=ops))
    assert h.unanswered == [(OPERA, "x@x.es", 1)] and not h.bookings


def email_for_a_state_never_had(s, h):
    s.emails.append(_email(B1, OPERA, "C", "ana@x.es", 2))


def email_without_reservation(s, h):
    s.emails.append(_email("c" * 24, OPERA, "A", "nadie@x.es", 1))


def active_on_cancelled_event(s, h):
    _res(s, B3)["estado"] = "A"


def state_not_propagated(s, h):
    _inv(s, ROCK)["estado"] = "A"


def inventory_missing(s, h):
    s.inventario.remove(_inv(s, ROCK))


def lost_reservation_plus_refund_on_cancelled_event(s, h):
    # the sums still add up on the active event's arithmetic; the history does not
    s.reservas.remove(_res(s, B3))
    s.refunds.append({"_id": B3, "evento": ROCK, "cantidad": 1})
    _inv(s, ROCK)["vendidos"] = 0


def duplicate_explained_by_refused_attempts(s, h):
    add_email(s, h)
    ledger = next(e for e in s.ledger if e["_id"] == f"{B1}:A")
    ledger.update(intentos=2, rechazados=1)  # the second attempt never reached SES


def resent_after_confirmed(s, h):
    # the seed-like claim (a student's stub): it counts every attempt but lets a sent state
    # through, so the attempts "explain" the count; the confirmed first send does not
    _with_ids(s, B1, "A", "m1", "m2")
    next(e for e in s.ledger if e["_id"] == f"{B1}:A").update(intentos=2, confirmados=["m1", "m2"])


def _with_ids(s, rid, estado, first, again):
    """The state's email as SES took it (MessageId `first`), then a second one (`again`)."""
    mine = next(m for m in s.emails if (info := decisions.read_notification(
        m["subject"], m["body"])) and (info["reserva"], info["estado"]) == (rid, estado))
    mine["id"] = first
    copy = dict(mine, id=again)
    s.emails.append(copy)


def not_drained(s, h):
    s.drain = {"drained": False, "stage": "inventario -> source -> consumer inventario",
               "lag": {"inventario": {"boletia.inventario": 4}}}


def connector_failed(s, h):
    s.connectors["mongo-source"] = {"state": "RUNNING", "tasks": ["FAILED"]}


def component_died(s, h):
    s.stopped["notificaciones"] = "Traceback ..."


def dead_letter(s, h):
    s.dead_letters.append({"where": "boletia.reservas[0]@3", "reason": "SES refused",
                           "document": {"_id": B1, "evento": OPERA}})


DAMAGES = {
    delete_reservation: {"booking-has-reservation", "tickets-conserved",
                         "sold-matches-reservations", "email-without-reservation"},
    change_email: {"reservation-matches-booking", "email-matches-reservation"},
    swap_quantities: {"reservation-matches-booking", "email-matches-reservation"},
    add_refund: {"refund-matches-cancel", "tickets-conserved"},
    add_email: {"email-duplicate"},
    drop_email: {"email-missing"},
    resurrect_cancelled: {"reservation-state", "tickets-conserved", "refund-matches-cancel",
                          "email-wrong-state"},
    oversell: {"no-oversell", "tickets-conserved", "sold-matches-reservations"},
    reservation_without_booking: {"reservation-has-booking"},
    email_for_a_state_never_had: {"email-wrong-state"},
    email_without_reservation: {"email-without-reservation"},
    active_on_cancelled_event: {"cancel-propagated", "reservation-state", "email-wrong-state"},
    state_not_propagated: {"state-propagated"},
    inventory_missing: {"inventory-exists"},
    lost_reservation_plus_refund_on_cancelled_event: {
        "booking-has-reservation", "refund-matches-cancel", "email-without-reservation",
        "sold-matches-reservations"},
    duplicate_explained_by_refused_attempts: {"email-duplicate"},
    resent_after_confirmed: {"email-duplicate"},
    not_drained: {"pipeline-drained"},
    connector_failed: {"connectors-running"},
    component_died: {"components-running"},
    dead_letter: {"dead-lettered"},
}


@pytest.mark.parametrize("damage", DAMAGES, ids=lambda f: f.__name__)
def test_each_damage_is_named_by_its_invariants(damage):
    state, history = world()
    damage(state, history)
    report = judge(state, history, "fixed")
    assert set(report.counts) == DAMAGES[damage], report.examples()
    for kind in DAMAGES[damage]:
        assert report.examples()[kind], "every violation comes with an example id"


def test_every_kind_is_caught_by_some_damage():
    assert set().union(*DAMAGES.values()) == set(KINDS)


def test_a_duplicate_from_a_send_whose_confirmation_was_lost_is_explained():
    state, history = world()
    add_email(state, history)
    next(e for e in state.ledger if e["_id"] == f"{B1}:A")["intentos"] = 2  # crash after SES
    report = judge(state, history, "fixed")
    assert report.ok and report.explained_duplicates == 1


def test_a_resend_whose_first_send_was_never_confirmed_is_explained():
    # SES took m1, the consumer died before the ledger's confirmation; m2 was confirmed
    state, history = world()
    _with_ids(state, B1, "A", "m1", "m2")
    next(e for e in state.ledger if e["_id"] == f"{B1}:A").update(intentos=2, confirmados=["m2"])
    report = judge(state, history, "fixed")
    assert report.ok, report.examples()
    assert report.explained_duplicates == 1


def test_the_seed_design_has_no_ledger_so_its_duplicates_are_never_explained():
    state, history = world("seed")
    add_email(state, history)
    assert kinds(state, history, "seed") == {"email-duplicate"}


def test_seed_arithmetic_on_an_active_event():
    state, history = world("seed")
    _inv(state, OPERA)["capacidad"] += 3  # a second refund of luis's 3 tickets (mode 2)
    assert kinds(state, history, "seed") == {"tickets-conserved"}


@pytest.mark.parametrize("design", ["fixed", "seed"])
def test_a_lost_booking_does_not_hide_tickets_given_back_twice(design):
    """Seen in notebook 04 (seed, consumer-crash-before-commit): two bookings of 2 answered 200
    and lost to the race (-4) and a refund of 2 redelivered twice (+4) left capacity = available
    + held, and the double refund went unreported. A booking answered 200 took its tickets: they
    are counted as taken, so a surplus elsewhere shows."""
    state, history = world(design)
    state.reservas.remove(_res(state, B1))  # ana's 2 tickets: answered 200, reservation lost
    state.emails = [m for m in state.emails if B1 not in m["body"]]
    state.ledger = [e for e in state.ledger if e["reserva"] != B1]
    if design == "seed":
        _inv(state, OPERA)["capacidad"] += 2  # and 2 tickets given back twice
    else:
        _inv(state, OPERA)["vendidos"] -= 2
    found = kinds(state, history, design)
    assert "tickets-conserved" in found and "booking-has-reservation" in found, found
    report = judge(state, history, design)
    [detail] = [v.detail for v in report.violations if v.kind == "tickets-conserved"]
    assert "+2 tickets" in detail and "answered 200" in detail, detail


def test_seed_cancelled_event_must_stay_within_what_refunds_explain():
    state, history = world("seed")
    _inv(state, ROCK)["capacidad"] = 5  # eva's C ticket back on the shelf
    assert kinds(state, history, "seed") == {"tickets-conserved"}


def test_an_expected_dead_letter_is_reported_not_violated():
    state, history = world()
    dead_letter(state, history)
    report = judge(state, history, "fixed", expected_dead_letters={B1})
    assert report.ok and report.expected_dead_letters == 1


def test_unconfirmed_bookings_and_cancels_allow_either_outcome():
    state, history = world()
    history.bookings[B1] = Booking(B1, OPERA, "ana@x.es", 2, 503)   # may or may not exist
    history.bookings["d" * 24] = Booking("d" * 24, OPERA, "z@x.es", 1, 0)  # no answer, no doc
    history.cancels[B4] = [0]  # the cancel got no answer: A or X both fine
    assert judge(state, history, "fixed").ok
    _res(state, B1)["email"] = "otra@x.es"  # but an unconfirmed booking must still be its own
    assert "reservation-matches-booking" in kinds(state, history)


def test_a_refused_cancel_changes_nothing_the_history_allows():
    state, history = world()
    history.cancels[B1] = [404]
    assert judge(state, history, "fixed").ok
    _res(state, B1)["estado"] = "X"
    assert "reservation-state" in kinds(state, history)


def test_without_a_record_the_per_booking_checks_are_skipped():
    state, _ = world()
    report = judge(state, None, "fixed")
    assert report.ok and report.checked["bookings"] == "no record"


def test_the_summary_names_each_kind_with_an_example():
    state, history = world()
    change_email(state, history)
    summary = judge(state, history, "fixed").summary()
    assert summary.startswith("violated") and "reservation-matches-booking ×1" in summary and B1 in summary
