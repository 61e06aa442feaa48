"""The grader's own cases for the decisions level: not in the package a student imports, not
printed by any lesson, and drawn afresh from the grade's seed (quantities, how many customers,
how often each message comes back, which states, where the crashes fall), so an answer written
for the practice cases' numbers does not pass them. Same shape as the practice cases
(`boletia.lab.student.practice.Case`): a key case is one the seed's behaviour fails.

Keep this folder out of the copy students get (see docs/instructor-guide.md, "Collecting")."""

from __future__ import annotations

import random

from bson import ObjectId

from boletia.lab.student.practice import (
    EVENT,
    Case,
    cancel,
    deliver_refund,
    deliveries,
    refund_world,
    updated,
)


def cases(seed: int) -> tuple[Case, ...]:
    rng = random.Random(seed)

    # ------------------------------------------------------------ refund
    customers = [rng.randint(1, 3) for _ in range(rng.randint(3, 5))]
    times = [rng.randint(1, 3) for _ in customers]
    times[rng.randrange(len(times))] = rng.randint(2, 3)      # at least one redelivery
    sold = sum(customers) + rng.randint(0, 2)
    plan = [i for i, t in enumerate(times) for _ in range(t)]
    rng.shuffle(plan)

    def refund_interleaved(module, db):
        nombre = refund_world(db, vendidos=sold)
        orders = [cancel(nombre, n) for n in customers]
        for i in plan:   # deliveries of several customers' cancels, interleaved, some twice or more
            deliver_refund(module, db, orders[i], 1)
        left = db.inventario.find_one({"nombre": nombre})["vendidos"]
        want = sold - sum(customers)
        return left == want, (f"vendidos {sold}; cancels of {customers} delivered {times} times, "
                              f"interleaved -> vendidos {left} (expected {want})")

    late = rng.randint(2, 4)

    def refund_cancelled_event(module, db):
        nombre = refund_world(db, vendidos=late + 3, estado="C")
        left = deliver_refund(module, db, cancel(nombre, late), 1)
        return left == late + 3, (f"a cancel of {late} on a cancelled event -> vendidos {left} "
                                  f"(expected {late + 3}: nothing to give back)")

    # ------------------------------------------------------------ booking_in
    def booking(name: str) -> dict:
        return {"id": str(ObjectId()), "email": f"{name}@x.es", "cantidad": rng.randint(1, 4)}

    mine, later = booking("ana"), booking("luis")
    sold_now = rng.randint(2, 9)

    def booking_behind_lookup(module, db):
        got = module.booking_in(updated({"vendidos": sold_now, "reserva": mine},
                                        {**EVENT, "vendidos": sold_now + 1, "reserva": later}))
        return got == mine, f"a booking of {mine['id']}, looked up after {later['id']} -> {got}"

    def booking_cancellation(module, db):
        got = module.booking_in(updated({"estado": "C"}, {**EVENT, "estado": "C", "reserva": later}))
        return got is None, f"the event cancelled (document still showing a booking) -> {got} (expected None)"

    def booking_insert(module, db):
        got = module.booking_in({"operationType": "insert", "fullDocument": {**EVENT, "vendidos": 0}})
        return got is None, f"a new event's first document -> {got} (expected None)"

    # ------------------------------------------------------------ email_ledger
    states = rng.sample(["A", "X", "C"], 2)
    emails = [(states[0], True)] + [(states[0], rng.random() < 0.5) for _ in range(rng.randint(1, 3))]
    emails += [(states[1], False), (states[1], True), (states[1], True)]

    def ledger_mixed(module, db):
        sent, entries = deliveries(module, db, emails)
        want = 1 + 2   # the first state once; the second once, resent once after its crash
        counted = {s: e.get("intentos") for s, e in entries.items()}
        return sent == want, (f"deliveries (state, marked) {emails} -> {sent} email(s) (expected {want}); "
                              f"intentos {counted}")

    def ledger_states(module, db):
        sent, _ = deliveries(module, db, [(s, True) for s in states])
        return sent == 2, f"states {states} of one reservation -> {sent} email(s) (expected 2)"

    return (
        Case("refund", "cancels of several customers, some redelivered, interleaved", "", refund_interleaved),
        Case("refund", "a cancel on a cancelled event refunds nothing", "", refund_cancelled_event,
             key=False),
        Case("booking_in", "a booking behind a later lookup", "", booking_behind_lookup),
        Case("booking_in", "a cancellation is no booking", "", booking_cancellation),
        Case("booking_in", "an insert is no booking", "", booking_insert, key=False),
        Case("email_ledger", "two states, redeliveries and a crash before the mark", "", ledger_mixed),
        Case("email_ledger", "each state is its own email", "", ledger_states, key=False),
    )
