"""The seed's design, kept as it was: its six failure modes stay reachable (docs/seed-design.md,
docs/failure-modes.md). Connect publishes documents (`updateLookup`), not change events."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from boletia.designs.base import Design
from boletia.domain import decisions, messages
from boletia.domain.decisions import Decision, Doc, FindAndModify
from boletia.domain.model import ACTIVE, NewBooking


class Seed(Design):
    name = "seed"
    summary = "the original design, with its six failure modes"
    connectors = "seed"
    skips_failed_messages = True   # mode 1: a failed message is skipped, uncommitted
    email_yields = False           # the seed's consumer keeps the seed's behaviour
    records_refunds = False
    keeps_email_ledger = False     # mode 6: no ledger
    bounds_cancelled_events = True
    durable_connect_offsets = False  # mode 5: the standalone worker kept offsets in /tmp
    records_bookings = False         # a booking is its change in the stream, nothing else
    owns_bookings = False            # the seed's open API: any caller reads and cancels any id

    def new_reservation_id(self) -> ObjectId:
        """The seed's ObjectId: time, a per-process random and a counter, so the next and
        the previous booking's ids are one step away from one's own (the hole lesson 03 shows)."""
        return ObjectId()

    def book(self, req: NewBooking, reserva_id: Any, at: Any = None) -> FindAndModify:
        """Counts `capacidad` down and stamps the booking as idres/email/canres (mode 4: a
        sink replay rewrites `capacidad`; mode 3: two quick bookings can both arrive carrying
        the second one's fields)."""
        return FindAndModify(
            "inventario",
            {"nombre": req.evento, "estado": ACTIVE, "capacidad": {"$gte": req.cantidad}},
            {"$inc": {"capacidad": -req.cantidad},
             "$set": {"idres": reserva_id, "email": req.email, "canres": req.cantidad}})

    def booking_record(self, req: NewBooking, reserva_id: Any, at: Any = None) -> None:
        return None

    def available(self, doc: Doc) -> int:
        """The seed counts tickets down in `capacidad`."""
        return int(doc["capacidad"])

    def on_inventario(self, doc: Doc, at: Any = None) -> Decision:
        return decisions.on_inventario(messages.inventario_document(doc), at)

    def refund(self, doc: Doc) -> list:
        """$inc is not idempotent: a redelivered X gives the tickets back twice (mode 2).
        canres -1 marks the echo of this write, so on_inventario ignores it."""
        return [FindAndModify(
            "inventario", {"nombre": doc["evento"], "estado": ACTIVE},
            {"$inc": {"capacidad": doc["cantidad"]},
             "$set": {"idres": doc["_id"], "email": doc["email"], "canres": -1}})]

    def email_claim(self, reserva: str, estado: str, to: str = "") -> None:
        """No ledger: every delivery sends (mode 6)."""
        return None


DESIGN = Seed()
