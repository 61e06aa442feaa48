"""What a message must carry before a consumer acts on it.

A message that does not match can never be handled, however often it is retried: the
consumer dead-letters it with the reason (`InvalidMessage`) and its partition moves on.
Everything else that fails while handling a valid message is transient and retried, so a
bug shows up as lag, never as a silently dropped booking.

Types are strict (no coercion): the services write numbers as numbers, so `"cantidad": "2"`
was written by someone else and is refused here, where it arises, instead of failing later
inside a decision (a TypeError, counted transient: retried forever, and every message behind
it on its partition waited). Each check returns the validated, typed message, and the
decisions act on that, never on the raw document.
"""

from __future__ import annotations

from typing import Literal

from bson import ObjectId
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from boletia.domain.model import Email

# A reservation's id as the services make it (an ObjectId; a string or number from a test or
# a hand-made message): never an array or a document, which the store refuses as an `_id`
# on every retry (a refund keyed by it wedged the partition).
Id = ObjectId | str | int


class InvalidMessage(ValueError):
    """The message does not carry what the design promises."""


class _Loose(BaseModel):
    """Fields we read are typed strictly; fields we do not read pass through untouched."""
    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True, strict=True)


class Reservation(_Loose):
    """A reservation document as the source publishes it (boletia.reservas)."""
    id: Id = Field(alias="_id")
    evento: str
    estado: Literal["A", "X", "C"]
    cantidad: int = Field(gt=0)


class ReservationToEmail(Reservation):
    email: Email


class Booking(_Loose):
    id: Id
    email: Email
    cantidad: int = Field(gt=0)


class EventDoc(_Loose):
    """An inventario document (the seed publishes documents only)."""
    nombre: str
    estado: str


class SeedInventario(EventDoc):
    """The seed's inventario document: a booking is stamped as idres/email/canres."""
    canres: int | None = None

    @model_validator(mode="after")
    def _a_booking_names_its_reservation(self) -> SeedInventario:
        if isinstance(self.canres, int) and self.canres > 0:
            extra = self.model_extra or {}
            if "idres" not in extra:
                raise ValueError("a booking (canres > 0) without idres")
            Booking.model_validate({"id": extra["idres"], "email": extra.get("email"),
                                    "cantidad": self.canres})

        return self


class InventarioChange(_Loose):
    """A full change event of an inventario document (the fixed design)."""
    operationType: str
    fullDocument: EventDoc | None = None
    updateDescription: dict | None = None

    @model_validator(mode="after")
    def _has_what_its_operation_needs(self) -> InventarioChange:
        op = self.operationType
        if op in ("insert", "replace", "update") and self.fullDocument is None:
            raise ValueError(f"an {op} without its fullDocument")
        if op == "update":
            fields = (self.updateDescription or {}).get("updatedFields")
            if not isinstance(fields, dict):
                raise ValueError("an update without updateDescription.updatedFields")
            if isinstance(fields.get("reserva"), dict):  # the typed booking replaces the raw one
                booking = Booking.model_validate(fields["reserva"]).model_dump()
                self.updateDescription = {**self.updateDescription,
                                          "updatedFields": {**fields, "reserva": booking}}
        return self


def _check(model: type[BaseModel], doc: dict, what: str) -> dict:
    """The validated message as a new dict (aliases as published, unread fields as they came)."""
    try:
        return model.model_validate(doc).model_dump(by_alias=True)
    except ValidationError as exc:
        errors = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'document'}: {e['msg']}"
                           for e in exc.errors())
        raise InvalidMessage(f"not {what}: {errors}") from None


def reservation(doc: dict, emailed: bool = False) -> dict:
    if emailed:
        return _check(ReservationToEmail, doc, "a reservation that can be emailed")
    return _check(Reservation, doc, "a reservation")


def inventario_document(doc: dict) -> dict:
    """An inventario document as the seed's connector publishes it (`updateLookup`)."""
    return _check(SeedInventario, doc, "an inventario document")


def inventario_change(doc: dict) -> dict:
    """A full change event of an inventario document (the fixed connectors); a bare document
    (the seed's connector, still publishing after a switch) is checked as one."""
    if "operationType" not in doc:
        return inventario_document(doc)
    return _check(InventarioChange, doc, "an inventario change event")
