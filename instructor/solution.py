"""A reference solution of notebooks/exercises/student_design.py (the lab's tests inject it;
an instructor may show it after class). Not the only right answer: the cases and the chaos
scenarios judge behaviour, not this shape."""

from boletia.domain.decisions import FindAndModify, InsertOne, Transaction


def refund(reservation: dict) -> list:
    # one refund document per reservation, keyed by its id, in the same transaction as the
    # $inc: a redelivery meets that _id and the whole transaction writes nothing
    return [Transaction((
        InsertOne("reembolsos", {"_id": reservation["_id"], "evento": reservation["evento"],
                                 "cantidad": reservation["cantidad"]}),
        FindAndModify("inventario", {"nombre": reservation["evento"], "estado": "A"},
                      {"$inc": {"vendidos": -reservation["cantidad"]}}),
    ))]


def booking_in(change: dict) -> dict | None:
    # what THIS write did is in updateDescription; fullDocument may show a later booking
    if change.get("operationType") != "update":
        return None
    booking = (change.get("updateDescription") or {}).get("updatedFields", {}).get("reserva")
    return booking if isinstance(booking, dict) else None


def email_ledger(reserva: str, estado: str) -> tuple[dict, dict]:
    # matches only while the state's email is not sent; once sent, the upsert tries to
    # insert a second document with the same _id and fails: no second email
    return ({"_id": f"{reserva}:{estado}", "enviado": {"$ne": True}},
            {"$setOnInsert": {"reserva": reserva, "estado": estado, "enviado": False},
             "$inc": {"intentos": 1}})
