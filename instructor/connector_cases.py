"""The grader's writes for the connector level, drawn from the grade's seed: how many bookings,
their sizes and customers, which reservation is refunded and when, where the sink's copy falls,
and the event's name; the student's configuration is compared with the fixed design's on these
(`boletia.lab.student.connector`), so a configuration tuned to the practice writes gains nothing.

Keep this folder out of the copy students get (see docs/instructor-guide.md, "Collecting")."""

from __future__ import annotations

import random

from boletia.lab.student.connector import Plan, Write


def _tickets(n: int) -> str:
    return f"{n} ticket" + ("" if n == 1 else "s")


def plan(seed: int) -> Plan:
    rng = random.Random(seed)
    name = rng.choice(["Zarzuela", "Flamenco", "Recital", "Concierto"]) + f" {rng.randint(1, 99)}"
    capacity = rng.randint(20, 60)
    doc = {"nombre": name, "estado": "A", "capacidad": capacity, "vendidos": 0}
    writes = [Write("the event's insert", "inventario", "insert", doc)]
    bookings = [{"id": f"G{i}", "email": f"cliente{i}@x.es", "cantidad": rng.randint(1, 4)}
                for i in range(rng.randint(2, 4))]
    sold = 0
    refund_after = rng.randrange(1, len(bookings))
    for i, b in enumerate(bookings):
        sold += b["cantidad"]
        writes.append(Write(f"the booking of {b['id']} ({_tickets(b['cantidad'])})", "inventario",
                            "update", {"$inc": {"vendidos": b["cantidad"]}, "$set": {"reserva": b}}))
        if i == refund_after:
            r = bookings[rng.randrange(i + 1)]
            sold -= r["cantidad"]
            writes.append(Write(f"the refund of {r['id']} ({_tickets(r['cantidad'])})", "inventario",
                                "update", {"$inc": {"vendidos": -r["cantidad"]}}))
    writes.append(Write("the sink's copy of the event", "inventario", "replace",
                        {**doc, "vendidos": sold}))   # differs from the document: a replace event
    others = [Write("an event's insert in eventos", "eventos", "insert",
                    {"nombre": name, "estado": "A", "capacidad": capacity}),
              Write("a reservation's insert in reservas", "reservas", "insert",
                    {"evento": name, "email": "x@x.es", "cantidad": 1, "estado": "A"})]
    rng.shuffle(others)
    return Plan(writes + others, event=name)
