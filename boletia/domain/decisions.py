"""What each request and message means, as the writes to make — pure functions over dicts.

Adapters carry the writes out. Keeping the decisions here, free of I/O, is what lets the
lab show the seed's design and the fixed one side by side: they differ in a few lines of
this file, and every difference is named after the failure mode of SPEC §5 it prevents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from boletia.domain.model import ACTIVE, CANCELLED, CUSTOMER_CANCEL, NewBooking, NewEvent

Doc = dict[str, Any]


@dataclass(frozen=True)
class FindAndModify:
    """One atomic update of one document; `found` is what the caller learns."""
    collection: str
    filter: Doc
    update: Doc


@dataclass(frozen=True)
class UpdateMany:
    collection: str
    filter: Doc
    update: Doc


@dataclass(frozen=True)
class InsertOne:
    """Insert keyed by `_id`: a duplicate means the work was done already (redelivery)."""
    collection: str
    document: Doc


@dataclass(frozen=True)
class SendEmail:
    to: str
    subject: str
    body: str
    reserva: str
    estado: str


@dataclass(frozen=True)
class Ignore:
    """Acknowledge and do nothing: the echo of our own writes, or nothing to do."""
    reason: str


Write = FindAndModify | UpdateMany | InsertOne


@dataclass(frozen=True)
class Decision:
    writes: list[Write] = field(default_factory=list)
    ignore: Ignore | None = None


# ---------------------------------------------------------------- HTTP requests
def create_event(req: NewEvent) -> InsertOne:
    return InsertOne("eventos", {"nombre": req.nombre, "capacidad": req.capacidad,
                                 "categoria": req.categoria, "estado": ACTIVE})


def cancel_event(nombre: str) -> FindAndModify:
    """Organisers cancel: the event is never deleted, its state becomes C."""
    return FindAndModify("eventos", {"nombre": nombre, "estado": ACTIVE},
                         {"$set": {"estado": CANCELLED}})


def book(req: NewBooking, reserva_id: Any, design: str) -> FindAndModify:
    """Take the tickets and stamp the booking on the event in ONE atomic update.

    The change is published on boletia.inventario; the `inventario` consumer turns it into
    the reservation document (its `_id` = `idres`).
    """
    stamp = {"idres": reserva_id, "email": req.email, "canres": req.cantidad}
    if design == "seed":
        return FindAndModify(
            "inventario",
            {"nombre": req.evento, "estado": ACTIVE, "capacidad": {"$gte": req.cantidad}},
            {"$inc": {"capacidad": -req.cantidad}, "$set": stamp})
    # fixed: count sold tickets up; `capacidad` stays the organisers' number (SPEC §5.4).
    return FindAndModify(
        "inventario",
        {"nombre": req.evento, "estado": ACTIVE,
         "$expr": {"$lte": [{"$add": [{"$ifNull": ["$vendidos", 0]}, req.cantidad]},
                            "$capacidad"]}},
        {"$inc": {"vendidos": req.cantidad}, "$set": stamp})


def cancel_booking(reserva_id: Any) -> FindAndModify:
    """The customer cancels: A -> X. Not found means unknown or already cancelled."""
    return FindAndModify("reservas", {"_id": reserva_id, "estado": ACTIVE},
                         {"$set": {"estado": CUSTOMER_CANCEL}})


# ---------------------------------------------------------------- messages (consumer `inventario`)
def on_inventario(doc: Doc) -> Decision:
    """A change of an inventario document: a booking to record, an event cancelled, or an
    echo (the sink's copy of an event, or our own refund) to acknowledge and ignore."""
    estado = doc.get("estado")
    if estado == CANCELLED:
        return Decision([UpdateMany("reservas", {"evento": doc["nombre"], "estado": ACTIVE},
                                    {"$set": {"estado": CANCELLED}})])
    if estado != ACTIVE:
        return Decision(ignore=Ignore(f"event state {estado!r}"))
    cantidad = doc.get("canres", 0)
    if not isinstance(cantidad, int) or cantidad <= 0 or "idres" not in doc:
        # 0/absent: the event as the sink wrote it; < 0: the echo of a refund (seed's trick)
        return Decision(ignore=Ignore("no booking in this change"))
    return Decision([InsertOne("reservas", {
        "_id": doc["idres"], "evento": doc["nombre"], "estado": ACTIVE,
        "email": doc["email"], "cantidad": cantidad})])


def on_reservas(doc: Doc, design: str) -> Decision:
    """A change of a reservation: only a customer cancel (X) needs work — the refund."""
    if doc.get("estado") != CUSTOMER_CANCEL:
        return Decision(ignore=Ignore(f"reservation state {doc.get('estado')!r}: nothing to refund"))
    echo = {"idres": doc["_id"], "email": doc["email"], "canres": -1}
    if design == "seed":
        # $inc is not idempotent: a redelivered X gives the tickets back twice (SPEC §5.2).
        return Decision([FindAndModify(
            "inventario", {"nombre": doc["evento"], "estado": ACTIVE},
            {"$inc": {"capacidad": doc["cantidad"]}, "$set": echo})])
    # fixed: the refund records the reservation id in the same atomic update and only
    # matches while that id is absent, so a redelivery finds nothing to do.
    return Decision([FindAndModify(
        "inventario", {"nombre": doc["evento"], "estado": ACTIVE, "reembolsos": {"$ne": doc["_id"]}},
        {"$inc": {"vendidos": -doc["cantidad"]}, "$addToSet": {"reembolsos": doc["_id"]},
         "$set": echo})])


# ---------------------------------------------------------------- messages (consumer `notificaciones`)
SUBJECTS = {
    ACTIVE: "Boletia: reserva confirmada para {evento}",
    CUSTOMER_CANCEL: "Boletia: reserva cancelada para {evento}",
    CANCELLED: "Boletia: evento suspendido: {evento}",
}
BODIES = {
    ACTIVE: ("Hola:\n\nTu reserva {id} de {cantidad} boleto(s) para {evento} está confirmada.\n\n"
             "Gracias por comprar en Boletia."),
    CUSTOMER_CANCEL: ("Hola:\n\nTal como pediste, cancelamos tu reserva {id} de {cantidad} "
                      "boleto(s) para {evento}.\n\nBoletia"),
    CANCELLED: ("Hola:\n\nLos organizadores suspendieron el evento {evento}. Tu reserva {id} de "
                "{cantidad} boleto(s) queda cancelada y te devolveremos el importe.\n\nBoletia"),
}


def notification(doc: Doc) -> SendEmail | Ignore:
    estado = doc.get("estado")
    if estado not in SUBJECTS:
        return Ignore(f"no email for reservation state {estado!r}")
    fields = {"id": str(doc["_id"]), "evento": doc["evento"], "cantidad": doc["cantidad"]}
    return SendEmail(to=doc["email"], subject=SUBJECTS[estado].format(**fields),
                     body=BODIES[estado].format(**fields), reserva=str(doc["_id"]), estado=estado)
