"""What each request and message means, as the writes to make — pure functions over dicts.

Adapters carry the writes out. Keeping the decisions here, free of I/O, is what lets the
lab show the seed's design and the fixed one side by side. What differs between designs
(how a booking is written, the refund, the email claim) is supplied by each design's module
(boletia/designs/), named after the failure mode it prevents (docs/failure-modes.md); this
module holds the vocabulary (the write values) and the decisions the designs share.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from boletia.domain.model import ACTIVE, CANCELLED, CUSTOMER_CANCEL, NewEvent

Doc = dict[str, Any]
REFUNDS = "reembolsos"  # fixed design: one document per refunded reservation
BOOKINGS = "pedidos"    # fixed design: each booking answered 200, until its reservation exists


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


@dataclass(frozen=True)
class Transaction:
    """Writes made all together or not at all (one multi-document transaction). Every
    FindAndModify must match and every InsertOne must be new, or nothing is written: the
    work was done before, or there is nothing to do."""
    writes: tuple[FindAndModify | InsertOne, ...]


Write = FindAndModify | UpdateMany | InsertOne | Transaction


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


def reservation(reserva_id: Any, evento: str, email: str, cantidad: int, at: Any = None) -> Doc:
    """A reservation document, state A; `registrada` is when it was written (the lab times
    each stage of a booking from it)."""
    return {"_id": reserva_id, "evento": evento, "estado": ACTIVE, "email": email,
            "cantidad": cantidad, "registrada": at}


def booking_record(reserva_id: Any, evento: str, email: str, cantidad: int, at: Any = None) -> InsertOne:
    """Fixed (issue 28.5): what the API durably recorded before answering 200. Until its
    reservation lands, a booking is otherwise only the event's `reserva` stamp (overwritten
    by the next booking) and a change in the stream: a lost resume point lost it for good."""
    return InsertOne(BOOKINGS, {"_id": reserva_id, "evento": evento, "email": email,
                                "cantidad": cantidad, "at": at})


def complete_booking(pedido: Doc, at: Any = None) -> InsertOne:
    """The reservation of a recorded booking, as the consumer would have written it: keyed by
    the same `_id`, so whichever comes second (the consumer or the reconciler) is a no-op."""
    return InsertOne("reservas", reservation(pedido["_id"], pedido["evento"], pedido["email"],
                                             pedido["cantidad"], at))


def cancel_booking(reserva_id: Any) -> FindAndModify:
    """The customer cancels: A -> X. Not found means unknown or already cancelled."""
    return FindAndModify("reservas", {"_id": reserva_id, "estado": ACTIVE},
                         {"$set": {"estado": CUSTOMER_CANCEL}})


# ---------------------------------------------------------------- messages (consumer `inventario`)
def on_inventario(doc: Doc, at: Any = None) -> Decision:
    """Seed: an inventario document as the source published it (`updateLookup`): a booking
    to record, an event cancelled, or an echo (the sink's copy of an event, or our own
    refund) to acknowledge and ignore.

    The document is read when the connector gets to the change, not as the change left it:
    two quick bookings can both arrive carrying the second one's fields (mode 3)."""
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
    return Decision([InsertOne("reservas", reservation(doc["idres"], doc["nombre"], doc["email"],
                                                       cantidad, at))])


def booking_written(change: Doc) -> Doc | None:
    """Fixed: what a booking wrote is read from `updateDescription.updatedFields`, which
    describes exactly that write, never from `fullDocument`, which may already show later
    bookings (SecantusDB serves post-images by lookup; see README)."""
    if change.get("operationType") != "update":
        return None
    booking = (change.get("updateDescription") or {}).get("updatedFields", {}).get("reserva")
    return booking if isinstance(booking, dict) else None


def on_inventario_change(change: Doc, at: Any = None, booking_in=booking_written) -> Decision:
    """Fixed: a full change event of an inventario document. `booking_in` finds the booking
    this change made (the student design brings its own). Only the event's name, which never
    changes, is taken from `fullDocument`."""
    op = change.get("operationType")
    if op is None:
        return Decision(ignore=Ignore("not a change event (published by the seed's connector)"))
    if op in ("insert", "replace"):
        doc = change["fullDocument"]
        if doc.get("estado") == CANCELLED:
            return on_inventario(doc)
        return Decision(ignore=Ignore(f"{op} of the event itself: no booking"))
    if op != "update":
        return Decision(ignore=Ignore(f"{op}: nothing to do"))
    fields = change["updateDescription"]["updatedFields"]
    nombre = (change.get("fullDocument") or {})["nombre"]
    if fields.get("estado") == CANCELLED:
        return on_inventario({"nombre": nombre, "estado": CANCELLED})
    booking = booking_in(change)
    if not isinstance(booking, dict) or not isinstance(booking.get("cantidad"), int) \
            or booking["cantidad"] <= 0:
        return Decision(ignore=Ignore("no booking in this change (sink copy or refund)"))
    return Decision([InsertOne("reservas", reservation(booking["id"], nombre, booking["email"],
                                                       booking["cantidad"], at))])


def on_reservas(doc: Doc, refund) -> Decision:
    """A change of a reservation: only a customer cancel (X) needs work, the refund.
    `refund(doc)` (the design's: boletia/designs/) returns that refund's writes."""
    if doc.get("estado") != CUSTOMER_CANCEL:
        return Decision(ignore=Ignore(f"reservation state {doc.get('estado')!r}: nothing to refund"))
    return Decision(list(refund(doc)))


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


def _pattern(template: str) -> re.Pattern:
    """A template read backwards: each `{field}` becomes a named group."""
    parts = re.split(r"\{(\w+)\}", template)
    rx = "".join(re.escape(p) if i % 2 == 0 else
                 {"id": r"(?P<id>[0-9a-f]{24})", "cantidad": r"(?P<cantidad>\d+)"}.get(p, f"(?P<{p}>.+?)")
                 for i, p in enumerate(parts))
    return re.compile(rx + r"\Z", re.S)


_READ_BACK = {estado: (_pattern(SUBJECTS[estado]), _pattern(BODIES[estado])) for estado in SUBJECTS}
# The fixed designs' confirmation ends with the booking's secret (boletia.domain.ownership):
# the customer who lost the POST's answer finds it here. Read back, it is cut off first.
SECRET_LINE = ("\n\nTu clave para consultar o cancelar esta reserva (guárdala, no la compartas): "
               "{clave}")
_SECRET_TAIL = re.compile(re.escape(SECRET_LINE).replace(re.escape("{clave}"), r"[A-Za-z0-9_-]+")
                          + r"\Z")


def read_notification(subject: str, body: str) -> dict | None:
    """What an email this module wrote says: {reserva, estado, evento, cantidad}, or None
    for an email that is not one of Boletia's. The checker judges emails with it."""
    body = _SECRET_TAIL.sub("", body or "")
    for estado, (subject_rx, body_rx) in _READ_BACK.items():
        s, b = subject_rx.match(subject or ""), body_rx.match(body)
        if s and b and s["evento"] == b["evento"]:
            return {"reserva": b["id"], "estado": estado, "evento": b["evento"],
                    "cantidad": int(b["cantidad"])}
    return None


def ledger_claim(reserva: str, estado: str, to: str = "") -> tuple[Doc, Doc]:
    """Fixed (mode 6): the ledger's upsert before an email is sent. It matches only while the
    state's email is not sent, and counts the attempt; once sent, the upsert meets the
    existing `_id` (a duplicate key) and the email is not sent again."""
    return ({"_id": f"{reserva}:{estado}", "enviado": {"$ne": True}},
            {"$setOnInsert": {"reserva": reserva, "estado": estado, "to": to, "enviado": False},
             "$inc": {"intentos": 1}})


def ledger_identity(filt: Doc, update: Doc, reserva: str, estado: str) -> Doc:
    """The ledger's unique index (reserva, estado) needs both fields on every document: an
    upsert that leaves them out (a student's first try) would insert nulls, and every later
    email would then meet that null pair as a duplicate and never be sent."""
    named = set(filt) | {field for op in update.values() if isinstance(op, dict) for field in op}
    missing = {k: v for k, v in (("reserva", reserva), ("estado", estado)) if k not in named}
    if not missing:
        return update
    return {**update, "$setOnInsert": {**update.get("$setOnInsert", {}), **missing}}


def notification(doc: Doc, secret: Callable[[str], str] | None = None) -> SendEmail | Ignore:
    """The email of a reservation's state; `secret(id)` (the fixed designs) gives the
    booking's secret, which the confirmation repeats."""
    estado = doc.get("estado")
    if estado not in SUBJECTS:
        return Ignore(f"no email for reservation state {estado!r}")
    fields = {"id": str(doc["_id"]), "evento": doc["evento"], "cantidad": doc["cantidad"]}
    body = BODIES[estado].format(**fields)
    if secret is not None and estado == ACTIVE:
        body += SECRET_LINE.format(clave=secret(fields["id"]))
    return SendEmail(to=doc["email"], subject=SUBJECTS[estado].format(**fields),
                     body=body, reserva=str(doc["_id"]), estado=estado)
