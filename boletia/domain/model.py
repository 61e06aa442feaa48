"""Boletia's nouns: what a request may contain, and the seed's JSON shapes of each document.

Pure: no database, broker or web imports. Requests are validated here once, so every
adapter (HTTP today, a message tomorrow) refuses bad input the same way.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import email_validator
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
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

# A name (of an event, of a category): 1-120 characters, no '$' (an operator to MongoDB), no
# '/' (a path separator) and no control characters, taken exactly as sent (no trimming: what the
# document's pattern says about the text sent is what the API decides on it).
_NAME_CHAR = r"[^$/\x00-\x1f\x7f]"
NAME_PATTERN = rf"^{_NAME_CHAR}+$"
# A name a client may create or cancel: one that does not start with RESERVED_PREFIX ('__'),
# written without a lookahead (the pattern is checked by pydantic's regex engine and by the
# fuzzers' generators, which have none): a first character other than '_', or one '_' alone or
# followed by something else.
_NOT_UNDERSCORE = r"[^_$/\x00-\x1f\x7f]"
OWN_NAME_PATTERN = rf"^(?:{_NOT_UNDERSCORE}{_NAME_CHAR}*|_(?:{_NOT_UNDERSCORE}{_NAME_CHAR}*)?)$"
Name = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=NAME_PATTERN)]
OwnName = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=OWN_NAME_PATTERN),
                    Field(description=f"names starting with {RESERVED_PREFIX!r} are the lab's own: "
                                      "refused with 400")]


def _none_of(words: set[str], tail: int) -> str:
    """A regex for a run of letters (either case) that is none of `words`, with no lookahead:
    built on the words' trie. After the run leaves the trie, up to `tail` more letters."""
    def ranges(chars: str) -> str:  # "abcdfg" -> "a-df-g", in both cases
        runs: list[list[str]] = []
        for c in sorted(chars):
            if runs and ord(c) == ord(runs[-1][-1]) + 1:
                runs[-1].append(c)
            else:
                runs.append([c])
        lower = "".join(r[0] if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)
        return lower + lower.upper()

    def rest(prefix: str, may_end: bool) -> str:
        kids = sorted({w[len(prefix)] for w in words if w.startswith(prefix) and len(w) > len(prefix)})
        others = ranges("".join(c for c in map(chr, range(ord("a"), ord("z") + 1)) if c not in kids))
        alts = [f"[{others}][a-zA-Z]{{0,{tail}}}"]
        alts += [f"[{k}{k.upper()}]{rest(prefix + k, prefix + k not in words)}" for k in kids]
        return f"(?:{'|'.join(alts)})" + ("?" if may_end else "")

    return rest("", False)


# An address: one rule for the API (body and path) and for the consumer that emails it,
# written as a pattern (so the OpenAPI documents state it, and a fuzzer generates from it) and
# checked by a maintained validator too (email-validator, through pydantic: it must accept every
# address of the pattern; tests/unit/test_model.py generates them to prove it). ASCII only (what
# SES sends), no quoted or display-name forms, lower-cased:
#   local part: up to 64 of RFC 5322's atext but '/' (a path separator), or up to three runs of
#               at most 20 joined by single dots;
#   domain:     one to three labels of letters, digits and hyphens (not first or last, not
#               two in the 3rd and 4th places, which IDNA keeps for itself: "xn--"), up to 62
#               each, then a top-level domain of letters that is not one of the special-use
#               names email-validator refuses (RFC 6761 and others);
#   at most 254 characters in all (the schema's maxLength).
_ATEXT = "[a-zA-Z0-9!#$%&'*+=?^_`{|}~-]"
_A, _H = "[a-zA-Z0-9]", "[a-zA-Z0-9-]"
_LABEL = f"(?:{_A}(?:{_H}{{0,2}}{_A})?|{_A}{_H}(?:{_A}{_H}|-{_A}){_H}{{0,57}}{_A})"
SPECIAL_USE_DOMAINS = frozenset(email_validator.SPECIAL_USE_DOMAIN_NAMES)
EMAIL_PATTERN = (f"^(?:{_ATEXT}{{1,64}}|{_ATEXT}{{1,20}}(?:\\.{_ATEXT}{{1,20}}){{1,2}})"
                 f"@(?:{_LABEL}\\.){{1,3}}{_none_of(SPECIAL_USE_DOMAINS, 20)}$")


def _deliverable_syntax(address: str) -> str:
    """email-validator's syntax check (no DNS), then lower case."""
    try:
        email_validator.validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except email_validator.EmailNotValidError as exc:
        raise ValueError(f"not an email address: {exc}") from None
    return address.lower()


Email = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN),
                  AfterValidator(_deliverable_syntax),
                  Field(description="an address: the pattern says which (ASCII, no quoted forms, "
                                    "not a special-use domain such as .test or .local); stored "
                                    "in lower case")]
_EMAIL = TypeAdapter(Email)
_NAME = TypeAdapter(Name)


def _integral(value: Any) -> Any:
    """A count sent as 3.0 is the count 3. JSON has one kind of number, and JSON Schema (so the
    OpenAPI documents) counts 3.0 as an integer: refusing it would refuse what the document
    allows. A fraction (1.5), a string ("3") and a boolean stay refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class InvalidRequest(ValueError):
    """A request the API must refuse with 400; the message says what to send instead."""


def _any_case(name: str) -> str:
    return "^" + "".join(f"[{c}{c.upper()}]" if c.isalpha() else re.escape(c) for c in name) + "$"


def _any_case_fields(schema: dict[str, Any]) -> None:
    """The document says what _fold_keys does: a property whose name is a field's name in
    any case ("Evento", "EMAIL") is that field, and must be what the field must be; other
    properties are ignored. So a required field is present when a property of that name in
    any case is: `required` (exact names) becomes "some property name matches the field's
    any-case pattern" (JSON Schema 2020-12: not every name fails the pattern)."""
    schema["patternProperties"] = {
        _any_case(name): {k: v for k, v in prop.items() if k != "title"}
        for name, prop in schema.get("properties", {}).items()}
    required = schema.pop("required", [])
    if required:
        schema["allOf"] = [{"not": {"propertyNames": {"not": {"pattern": _any_case(name)}}}}
                           for name in required]
        schema["description"] = (f"required: {', '.join(required)}, each named in any case "
                                 "(\"Nombre\" is nombre); a field sent twice, in two cases, "
                                 "must be valid both times (the last one counts)")


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True,
                              json_schema_extra=_any_case_fields)


# What a client sends, as the documents show it: the examples a reader copies, and the cases a
# fuzzer's examples phase sends first. The event's name is one no lesson or test uses (the
# examples phase creates and cancels it on the lab it fuzzes).
EXAMPLE_EVENT = {"nombre": "Concierto de ejemplo", "capacidad": 100, "categoria": "Musica"}
EXAMPLE_BOOKING = {"evento": "Concierto de ejemplo", "cantidad": 2, "email": "ana@example.com"}
EXAMPLE_ID = "65f0c2a1e4b0a1a2b3c4d5e6"
EXAMPLE_SECRET = "q3Jz0c9vVb6bX1yHnA4mWg"  # the shape of a booking's secret (22 URL-safe characters)


def _documented(example: dict[str, Any]) -> ConfigDict:
    def extra(schema: dict[str, Any]) -> None:
        _any_case_fields(schema)
        schema["examples"] = [example]
    return ConfigDict(json_schema_extra=extra)


class NewEvent(_Strict):
    model_config = _documented(EXAMPLE_EVENT)

    nombre: OwnName
    capacidad: Annotated[int, BeforeValidator(_integral)] = Field(gt=0, le=MAX_CAPACITY)
    categoria: Name


class NewBooking(_Strict):
    model_config = _documented(EXAMPLE_BOOKING)

    evento: Name
    cantidad: Annotated[int, BeforeValidator(_integral)] = Field(gt=0, le=MAX_TICKETS)
    email: Email


def _fold_keys(body: Any, example: str) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """Match field names case-insensitively, as the seed's Go JSON decoder does: the last
    spelling of a field is its value. Returns those fields, and every earlier spelling's value
    (the document says each must be valid too: `_validate` checks them)."""
    if not isinstance(body, dict):
        raise InvalidRequest(f"the body must be a JSON object; send {example}")
    fields: dict[str, Any] = {}
    shadowed: list[tuple[str, Any]] = []
    for key, value in body.items():
        name = str(key).lower()
        if name in fields:
            shadowed.append((name, fields[name]))
        fields[name] = value
    return fields, shadowed


def _validate(kind: type[_Strict], fields: dict[str, Any], shadowed: list[tuple[str, Any]]) -> Any:
    """The model from the fields; a field spelled twice ("capacidad", "Capacidad") is valid only
    if every spelling is (ValidationError otherwise)."""
    parsed = kind.model_validate(fields)
    for name, value in shadowed:
        if name in kind.model_fields:
            kind.model_validate({**fields, name: value})
    return parsed


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(x) for x in err["loc"]) or "body"
        msg = err["msg"]
        if err["type"] == "string_pattern_mismatch":  # the pattern is in /docs, not repeated here
            msg = ("not an email address this API accepts" if field == "email"
                   else "not a valid name (no '$', '/' or control characters)")
        parts.append(f"{field}: {msg}")
    return "; ".join(parts)


EVENT_SHAPE = f'{{"nombre": text, "capacidad": integer 1..{MAX_CAPACITY}, "categoria": text}}'
BOOKING_SHAPE = f'{{"evento": text, "cantidad": integer 1..{MAX_TICKETS}, "email": an address}}'


def parse_event(body: Any) -> NewEvent:
    fields, shadowed = _fold_keys(body, EVENT_SHAPE)
    for name, value in (*shadowed, *fields.items()):
        if name == "nombre" and isinstance(value, str):
            check_own_name(value)  # before the pattern says the same, less plainly
    try:
        return _validate(NewEvent, fields, shadowed)
    except ValidationError as exc:
        raise InvalidRequest(f"invalid event ({_explain(exc)}); send {EVENT_SHAPE}") from None


def check_own_name(nombre: str) -> str:
    """The lab's own events (the checker's canary) are neither created nor cancelled through
    the API: a cancelled canary would leave every later verdict inconclusive. OWN_NAME_PATTERN
    states the same rule in the documents."""
    if nombre.startswith(RESERVED_PREFIX):
        raise InvalidRequest(f"names starting with {RESERVED_PREFIX!r} are the lab's own; choose another")
    return nombre


def parse_booking(body: Any) -> NewBooking:
    try:
        return _validate(NewBooking, *_fold_keys(body, BOOKING_SHAPE))
    except ValidationError as exc:
        raise InvalidRequest(f"invalid booking ({_explain(exc)}); send {BOOKING_SHAPE}") from None


def check_object_id(value: str) -> str:
    if not OBJECT_ID.fullmatch(value):
        raise InvalidRequest(f"id {value[:40]!r} is not 24 hexadecimal digits")
    return value.lower()


def check_name(value: str, what: str = "nombre") -> str:
    """A name in a path segment: the rule of the body's names (Name), applied to the segment."""
    try:
        return _NAME.validate_python(value)
    except ValidationError:
        raise InvalidRequest(f"{what} {value[:40]!r} is not a valid name (1-120 characters, "
                             "no '$', '/' or control characters)") from None


def check_email(value: str) -> str:
    """The address rule of NewBooking (Email), for a path segment or a message."""
    try:
        return _EMAIL.validate_python(value)
    except ValidationError:
        raise InvalidRequest(f"{value[:60]!r} is not an email address this API accepts "
                             "(its pattern is in /docs)") from None


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


class ReservaNueva(ReservaOut):
    """The booking's 200: the reservation, and (the fixed designs) its secret, given once."""
    Clave: str | None = Field(None, description="the booking's secret, answered only here and in "
                              "the confirmation email: send it in header X-Boletia-Clave to read "
                              "or cancel the reservation (absent in the seed design)")


class ErrorOut(BaseModel):
    error: str = Field(description="what was wrong, and what to send or do instead")
    status: int
    Id: str | None = Field(None, description="503 on a booking: the id it would have")
    Clave: str | None = Field(None, description="503 on a booking: the secret it would have")


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
