"""The transactional design: the booking and its reservation in one multi-document transaction
(the option the seed rejected), measured beside the others in notebook 05. The reservation is
written by the service, so the `inventario` consumer finds no booking to record; everything
else is the fixed design's."""

from __future__ import annotations

from typing import Any

from boletia.designs.base import Design
from boletia.domain import decisions
from boletia.domain.decisions import FindAndModify, InsertOne, Transaction
from boletia.domain.model import NewBooking


class Txn(Design):
    name = "txn"
    summary = "the booking and its reservation in one multi-document transaction"

    def book(self, req: NewBooking, reserva_id: Any, at: Any = None) -> Transaction:
        return Transaction((
            FindAndModify("inventario", self._room_for(req), {"$inc": {"vendidos": req.cantidad}}),
            InsertOne("reservas", decisions.reservation(reserva_id, req.evento, req.email,
                                                        req.cantidad, at)),
        ))


    records_bookings = False  # the reservation itself is written with the booking

    def booking_record(self, req: NewBooking, reserva_id: Any, at: Any = None) -> None:
        return None


DESIGN = Txn()
