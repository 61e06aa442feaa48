"""What a design supplies. `Design` is the interface and the fixed design's behaviour; each
design's module (`fixed.py`, `seed.py`, `txn.py`, `student.py`) gives one instance, `DESIGN`,
overriding what it does differently. Pure: decisions are values (boletia.domain.decisions),
no I/O here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from boletia.domain import decisions, messages, ownership
from boletia.domain.decisions import Decision, Doc, FindAndModify, InsertOne, Transaction
from boletia.domain.model import ACTIVE, NewBooking


class Design:
    name: str = "fixed"
    summary: str = "event-driven, made correct (the default)"

    # -- the lab's set-up and the consumer loop
    connectors: str = "fixed"          # publishes through connect/<connectors>/*.json
    skips_failed_messages: bool = False  # the loop moves past a failed message (seed) or retries it
    email_yields: bool = True          # notificaciones steps aside while bookings pour in
    available_on_containers: bool = True  # runs on docker and kind (the student's file is local)

    # -- what the checker may expect of it (boletia/lab/experiments/checker.py)
    records_refunds: bool = True       # one document in `reembolsos` per refunded reservation
    keeps_email_ledger: bool = True    # the `notificaciones` ledger explains duplicates
    bounds_cancelled_events: bool = False  # no refund record: bound a cancelled event's tickets
    durable_connect_offsets: bool = True   # Connect keeps the sources' offsets in Kafka
    records_bookings: bool = True      # `pedidos` keeps each 200 booking until its reservation exists
    owns_bookings: bool = True         # reading or cancelling a booking needs its secret (issue 28.1)

    # ------------------------------------------------------------ the reservas service
    def new_reservation_id(self) -> Any:
        """The id a new booking gets: nobody can guess it from another booking's
        (boletia.domain.ownership)."""
        return ownership.unguessable_id()

    def book(self, req: NewBooking, reserva_id: Any, at: Any = None) -> FindAndModify | Transaction:
        """Take the tickets and stamp the booking on the event in ONE atomic update: count
        sold tickets up, `capacidad` stays the organisers' number (mode 4). The booking is
        stamped as ONE sub-document, so the change event's updateDescription carries all of
        it even when this customer's email or quantity equals the last one's. The change is
        published on boletia.inventario; the `inventario` consumer turns it into the
        reservation document (its `_id` = the reservation id)."""
        return FindAndModify(
            "inventario", self._room_for(req),
            {"$inc": {"vendidos": req.cantidad},
             "$set": {"reserva": {"id": reserva_id, "email": req.email, "cantidad": req.cantidad}}})

    def booking_record(self, req: NewBooking, reserva_id: Any, at: Any = None) -> InsertOne | None:
        """Written after the tickets were taken and before the answer 200 (issue 28.5): the
        booking's durable record apart from the change stream, so `boletia lab reconcile`
        can complete a booking whose change was lost. A second single-document insert, not a
        transaction: a crash between the two writes answers no 200 (the customer is told
        the booking may or may not exist), and the POST keeps the cost notebook 05 measures
        for `fixed` (one insert more, no transaction). None: the design keeps no record."""
        return decisions.booking_record(reserva_id, req.evento, req.email, req.cantidad, at)

    @staticmethod
    def _room_for(req: NewBooking) -> Doc:
        """An active event with room for the booking: sold + wanted <= capacity."""
        return {"nombre": req.evento, "estado": ACTIVE,
                "$expr": {"$lte": [{"$add": [{"$ifNull": ["$vendidos", 0]}, req.cantidad]},
                                   "$capacidad"]}}

    def available(self, doc: Doc) -> int:
        """Tickets left: the organisers' `capacidad` untouched, `vendidos` counted up (so a
        sink replay that rewrites `capacidad` cannot hand out sold tickets again)."""
        return int(doc["capacidad"]) - int(doc.get("vendidos", 0))

    # ------------------------------------------------------------ the inventario consumer
    def booking_in(self, change: Doc) -> Doc | None:
        return decisions.booking_written(change)

    def on_inventario(self, doc: Doc, at: Any = None) -> Decision:
        """A message of boletia.inventario: full change events (its own source connector);
        raises InvalidMessage when it does not carry what this design publishes. The decision
        reads the validated, typed change, never the raw document."""
        return decisions.on_inventario_change(messages.inventario_change(doc), at, self.booking_in)

    def refund(self, doc: Doc) -> list:
        """One refund document per reservation (its _id is the reservation's), written in the
        same transaction as the inventory update: a redelivery collides with that _id and
        changes nothing (mode 2). Nothing grows with the number of refunds, and the echo of
        the update carries no `reserva`, so on_inventario_change ignores it."""
        return [Transaction((
            InsertOne(decisions.REFUNDS, {"_id": doc["_id"], "evento": doc["evento"],
                                          "cantidad": doc["cantidad"]}),
            FindAndModify("inventario", {"nombre": doc["evento"], "estado": ACTIVE},
                          {"$inc": {"vendidos": -doc["cantidad"]}}),
        ))]

    def on_reservas(self, doc: Doc) -> Decision:
        """A message of boletia.reservas (validated here): a customer cancel is refunded."""
        return decisions.on_reservas(messages.reservation(doc), self.refund)

    # ------------------------------------------------------------ the notificaciones consumer
    def email_claim(self, reserva: str, estado: str, to: str = "") -> tuple[Doc, Doc] | None:
        """The ledger's (filter, upsert) claimed before an email is sent (mode 6), or None
        for a design that sends without a ledger."""
        return decisions.ledger_claim(reserva, estado, to)

    # ------------------------------------------------------------ a consumer process
    def prepared(self, student_module: Path | None = None) -> Design:
        """The design as a consumer process runs it (the student's loads its file here)."""
        return self

    def __repr__(self) -> str:
        return f"<design {self.name}>"
