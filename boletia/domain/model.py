"""Boletia's nouns: what a request may contain, and the seed's JSON shapes of each document.

Pure: no database, broker or web imports. Requests are validated here once, so every
adapter (HTTP today, a message tomorrow) refuses bad input the same way.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

# Event states (set by the organisers) and reservation states.
ACTIVE = "A"          # evento / reserva activa
CANCELLED = "C"       # evento cancelado; reserva cancelada porque el evento lo fue
CUSTOMER_CANCEL = "X"  # reserva cancelada por el cliente

MAX_CAPACITY = 1_000_000
MAX_TICKETS = 100  # per booking: more is not a customer, it is a mistake or an attack
MAX_BODY_BYTES = 4096

OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")
EMAIL = re.compile(r"^[^@\s$]{1,64}@[^@\s$]{1,190}\.[^@\s$]{1,63}$")

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120,
                                        pattern=r"^[^$/\x00-\x1f]+$")]


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
    email: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True,
                                            max_length=254, pattern=EMAIL.pattern)]


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
        return NewEvent.model_validate(_fold_keys(body, EVENT_SHAPE))
    except ValidationError as exc:
        raise InvalidRequest(f"invalid event ({_explain(exc)}); send {EVENT_SHAPE}") from None


def parse_booking(body: Any) -> NewBooking:
    try:
        return NewBooking.model_validate(_fold_keys(body, BOOKING_SHAPE))
    except ValidationError as exc:
        raise InvalidRequest(f"invalid booking ({_explain(exc)}); send {BOOKING_SHAPE}") from None


def check_object_id(value: str) -> str:
    if not OBJECT_ID.match(value):
        raise InvalidRequest(f"id {value[:40]!r} is not 24 hexadecimal digits")
    return value.lower()


def check_name(value: str, what: str = "nombre") -> str:
    if not value or len(value) > 120 or "$" in value or any(ord(ch) < 32 for ch in value):
        raise InvalidRequest(f"{what} {value[:40]!r} is not a valid name")
    return value


# ---------------------------------------------------------------- the seed's JSON shapes
def evento_json(doc: dict) -> dict:
    return {"Id": str(doc["_id"]), "Nombre": doc["nombre"], "Capacidad": doc["capacidad"],
            "Categoria": doc.get("categoria", ""), "Estado": doc["estado"]}


def available(doc: dict, design: str) -> int:
    """Tickets left. The seed counts them down in `capacidad`; the fixed design keeps the
    organisers' `capacidad` untouched and counts `vendidos` up (so a sink replay that
    rewrites `capacidad` cannot hand out sold tickets again)."""
    if design == "seed":
        return int(doc["capacidad"])
    return int(doc["capacidad"]) - int(doc.get("vendidos", 0))


def inventario_json(doc: dict, design: str) -> dict:
    return {"Id": str(doc["_id"]), "Nombre": doc["nombre"], "Disponible": available(doc, design),
            "Categoria": doc.get("categoria", ""), "Estado": doc["estado"]}


def reserva_json(doc: dict) -> dict:
    return {"Id": str(doc["_id"]), "Evento": doc["evento"], "Estado": doc["estado"],
            "Email": doc["email"], "Cantidad": doc["cantidad"]}
