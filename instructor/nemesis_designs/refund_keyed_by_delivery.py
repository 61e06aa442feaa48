"""Hidden broken design 1 (level 4): a refund that looks idempotent and is not. Its trace is
keyed by a fresh id at every delivery, so a redelivered cancel inserts a second trace and the
transaction refunds again. Correct under plain load; a redelivery after the write exposes it."""

from bson import ObjectId

from boletia.domain.decisions import FindAndModify, InsertOne, Transaction
from boletia.lab.student import alone

JUDGED = "refund"
booking_in, email_ledger = alone.booking_in, alone.email_ledger


def refund(reservation: dict) -> list:
    return [Transaction((
        InsertOne("reembolsos", {"_id": ObjectId(), "reserva": reservation["_id"],
                                 "evento": reservation["evento"], "cantidad": reservation["cantidad"]}),
        FindAndModify("inventario", {"nombre": reservation["evento"], "estado": "A"},
                      {"$inc": {"vendidos": -reservation["cantidad"]}}),
    ))]
