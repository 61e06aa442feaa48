"""Boletia's nouns: what a request may contain, and the seed's JSON shapes of each document.

Pure: no database, broker or web imports. Requests are validated here once, so every
adapter (HTTP today, a message tomorrow) refuses bad input the same way.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    RootModel,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

# Event states (set by the organisers) and reservation states.
ACTIVE = "A"          # evento / reserva activa
CANCELLED = "C"       # evento cancelado; reserva cancelada porque el evento lo fue
CUSTOMER_CANCEL = "X"  # reserva cancelada por el cliente

MAX_CAPACITY = 1_000_000
MAX_TICKETS = 100  # per booking: more is not a customer, it is a mistake or an attack
MAX_BODY_BYTES = 4096

OBJECT_ID = re.compile(r"[0-9a-fA-F]{24}")  # always used with fullmatch: no trailing newline
RESERVED_PREFIX = "__"  # names the lab keeps for itself (the checker's canary event)

NAME_PATTERN = r"^[^$/\x00-\x1f\x7f]+$"
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120,
                                        pattern=NAME_PATTERN)]
# One rule for an address, in the API and in the consumer that emails it: a maintained
# validator (email-validator, through pydantic), no quoted or display-name forms, lower case.
Email = Annotated[EmailStr, StringConstraints(max_length=254), AfterValidator(str.lower)]
_EMAIL = TypeAdapter(Email)


class InvalidRequest(ValueError):
    """A request the API must refuse with 400; the message says what to send instead."""


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class NewEvent(_Strict):
    nombre: Name
    capacidad: int = Field(gt=0, le=MAX_CAPACITY)
    categoria: Name


class NewBooking(_Strict):
    evento: Name
    cantidad: int = Field(gt=0, le=MAX_TICKETS)
    email: Email


def _fold_keys(body: Any, example: str) -> dict[str, Any]:
    """Match field names case-insensitively, as the seed's Go JSON decoder does."""
    if not isinstance(body, dict):
        raise InvalidRequest(f"the body must be a JSON object; send {example}")
    return {str(k).lower(): v for k, v in body.items()}


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(x) for x in err["loc"]) or "body"
        parts.append(f"{field}: {err['msg']}")
    return "; ".join(parts)


EVENT_SHAPE = f'{{"nombre": text, "capacidad": integer 1..{MAX_CAPACITY}, "categoria": text}}'
BOOKING_SHAPE = f'{{"evento": text, "cantidad": integer 1..{MAX_TICKETS}, "email": an address}}'


def parse_event(body: Any) -> NewEvent:
    try:
        event = NewEvent.model_validate(_fold_keys(body, EVENT_SHAPE))
    except ValidationError as exc:
        raise InvalidRequest(f"invalid event ({_explain(exc)}); send {EVENT_SHAPE}") from None
    check_own_name(event.nombre)
    return event


def check_own_name(nombre: str) -> str:
    """The lab's own events (the checker's canary) are neither created nor cancelled through
    the API: a cancelled canary would leave every later verdict inconclusive."""
    if nombre.startswith(RESERVED_PREFIX):
        raise InvalidRequest(f"names starting with {RESERVED_PREFIX!r} are the lab's own; choose another")
    return nombre


def parse_booking(body: Any) -> NewBooking:
    try:
        return NewBooking.model_validate(_fold_keys(body, BOOKING_SHAPE))
    except ValidationError as exc:
        raise InvalidRequest(f"invalid booking ({_explain(exc)}); send {BOOKING_SHAPE}") from None


def check_object_id(value: str) -> str:
    if not OBJECT_ID.fullmatch(value):
        raise InvalidRequest(f"id {value[:40]!r} is not 24 hexadecimal digits")
    return value.lower()


def check_name(value: str, what: str = "nombre") -> str:
    if (not value or len(value) > 120 or "$" in value or "/" in value
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in value)):
        raise InvalidRequest(f"{what} {value[:40]!r} is not a valid name")
    return value


def check_email(value: str) -> str:
    """The address rule of NewBooking, for a path segment or a message."""
    try:
        return _EMAIL.validate_python(value)
    except ValidationError:
        raise InvalidRequest(f"{value[:60]!r} is not an email address") from None


# ---------------------------------------------------------------- the seed's JSON shapes
# The answers, as models: the JSON builders below go through them, and the OpenAPI documents
# are generated from them, so what is documented is what is sent.
class EventoOut(BaseModel):
    Id: str
    Nombre: str
    Capacidad: int
    Categoria: str
    Estado: Literal["A", "C"]


class InventarioOut(BaseModel):
    Id: str
    Nombre: str
    Disponible: int
    Categoria: str
    Estado: Literal["A", "C"]


class ReservaOut(BaseModel):
    Id: str
    Evento: str
    Estado: Literal["A", "X", "C"]
    Email: str
    Cantidad: int


class ErrorOut(BaseModel):
    error: str = Field(description="what was wrong, and what to send or do instead")
    status: int
    Id: str | None = Field(None, description="503 on a booking: the id it would have")


class EventoList(RootModel[list[EventoOut]]):
    pass


class InventarioList(RootModel[list[InventarioOut]]):
    pass


class ReservaList(RootModel[list[ReservaOut]]):
    pass


def evento_json(doc: dict) -> dict:
    return EventoOut(Id=str(doc["_id"]), Nombre=doc["nombre"], Capacidad=doc["capacidad"],
                     Categoria=doc.get("categoria", ""), Estado=doc["estado"]).model_dump()


def inventario_json(doc: dict, disponible: int) -> dict:
    """`disponible`: the tickets left, as the design counts them (Design.available)."""
    return InventarioOut(Id=str(doc["_id"]), Nombre=doc["nombre"], Disponible=disponible,
                         Categoria=doc.get("categoria", ""), Estado=doc["estado"]).model_dump()


def reserva_json(doc: dict) -> dict:
    return ReservaOut(Id=str(doc["_id"]), Evento=doc["evento"], Estado=doc["estado"],
                      Email=doc["email"], Cantidad=doc["cantidad"]).model_dump()
