"""Request validation and the seed's JSON shapes: pure, no I/O."""

from __future__ import annotations

import re

import jsonschema
import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boletia import designs
from boletia.domain import model
from boletia.domain.model import InvalidRequest


def test_booking_fields_are_matched_case_insensitively_like_the_go_decoder():
    req = model.parse_booking({"Evento": "Opera Boheme", "CANTIDAD": 3, "eMail": "Pepe@Gmail.com"})
    assert (req.evento, req.cantidad, req.email) == ("Opera Boheme", 3, "pepe@gmail.com")


@pytest.mark.parametrize("body", [
    {"evento": "Opera", "cantidad": "3", "email": "a@b.co"},          # wrong type
    {"evento": "Opera", "cantidad": 3.5, "email": "a@b.co"},          # a fraction is not a count
    {"evento": "Opera", "cantidad": True, "email": "a@b.co"},         # bool is not a count
    {"evento": "Opera", "cantidad": 0, "email": "a@b.co"},
    {"evento": "Opera", "cantidad": -2, "email": "a@b.co"},
    {"evento": "Opera", "cantidad": 10**12, "email": "a@b.co"},        # absurd
    {"evento": "Opera", "email": "a@b.co"},                          # missing
    {"evento": {"$gt": ""}, "cantidad": 1, "email": "a@b.co"},        # operator injection
    {"evento": "$where", "cantidad": 1, "email": "a@b.co"},
    {"evento": "Opera", "cantidad": 1, "email": {"$ne": None}},
    {"evento": "Opera", "cantidad": 1, "email": "not-an-email"},
    {"evento": "Opera", "cantidad": 1, "email": "6#2@c.test"},        # a special-use domain
    {"evento": "Opera", "cantidad": 1, "email": "a/b@c.de"},          # '/' cannot be a path segment
    {"evento": "", "cantidad": 1, "email": "a@b.co"},
    [1, 2, 3],
    "Opera",
    None,
])
def test_bad_bookings_are_refused_with_a_hint(body):
    with pytest.raises(InvalidRequest) as err:
        model.parse_booking(body)
    assert "send" in str(err.value)


def test_an_integral_number_is_a_count_as_json_schema_says():
    assert model.parse_booking({"evento": "Opera", "cantidad": 3.0, "email": "a@b.co"}).cantidad == 3
    assert model.parse_event({"nombre": "x", "capacidad": 2e1, "categoria": "c"}).capacidad == 20


def test_event_validation():
    ev = model.parse_event({"Nombre": "Opera Boheme", "Capacidad": 20, "Categoria": "Opera"})
    assert (ev.nombre, ev.capacidad, ev.categoria) == ("Opera Boheme", 20, "Opera")
    # a name is taken as sent: the document's pattern speaks of the text sent, not of a trimmed one
    assert model.parse_event({"nombre": " x ", "capacidad": 1, "categoria": "c"}).nombre == " x "
    for bad in ({"nombre": "x", "capacidad": 0, "categoria": "c"},
                {"nombre": "a/b", "capacidad": 5, "categoria": "c"},
                {"nombre": "x", "capacidad": "20", "categoria": "c"},
                {"nombre": "x", "capacidad": 5}):
        with pytest.raises(InvalidRequest):
            model.parse_event(bad)


def test_object_ids_and_names():
    assert model.check_object_id("619C1DAE4B21200001952449") == "619c1dae4b21200001952449"
    for bad in ("123", "zz9c1dae4b21200001952449", '{"$ne": null}', ""):
        with pytest.raises(InvalidRequest):
            model.check_object_id(bad)
    with pytest.raises(InvalidRequest):
        model.check_name('{"$ne": null}')


def test_seed_json_shapes():
    oid = ObjectId("619c1b9190812c00013e29c1")
    doc = {"_id": oid, "nombre": "Opera Boheme", "capacidad": 20, "categoria": "Opera",
           "estado": "A", "vendidos": 3}
    assert model.evento_json(doc) == {"Id": str(oid), "Nombre": "Opera Boheme", "Capacidad": 20,
                                      "Categoria": "Opera", "Estado": "A"}
    assert model.inventario_json(doc, designs.get("fixed").available(doc))["Disponible"] == 17
    seed_doc = {**doc, "capacidad": 17}
    assert model.inventario_json(seed_doc, designs.get("seed").available(seed_doc))["Disponible"] == 17
    res = {"_id": oid, "evento": "Opera Boheme", "estado": "A", "email": "p@d.com", "cantidad": 3}
    assert list(model.reserva_json(res)) == ["Id", "Evento", "Estado", "Email", "Cantidad"]


@pytest.mark.parametrize("nombre", ["__sonda__", "__", "__x"])
def test_the_labs_own_names_are_refused_by_the_check_and_by_the_documented_pattern(nombre):
    with pytest.raises(InvalidRequest, match="lab's own"):
        model.parse_event({"nombre": nombre, "capacidad": 1, "categoria": "c"})
    assert not re.fullmatch(model.OWN_NAME_PATTERN, nombre)
    assert re.fullmatch(model.NAME_PATTERN, nombre)  # still a name to read or book (the canary)


@pytest.mark.parametrize("nombre", ["_", "_x", "x__", "a b"])
def test_other_names_pass_both(nombre):
    assert model.parse_event({"nombre": nombre, "capacidad": 1, "categoria": "c"}).nombre == nombre
    assert re.fullmatch(model.OWN_NAME_PATTERN, nombre)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.from_regex(model.EMAIL_PATTERN, fullmatch=True).filter(lambda a: len(a) <= 254))
def test_every_address_of_the_documented_pattern_is_accepted(address):
    """The pattern in the documents is the rule: email-validator must accept all of it (a
    fuzzer generates from the pattern, as this does), and the path applies the body's rule."""
    assert model.check_email(address) == address.lower()
    assert model.parse_booking({"evento": "x", "cantidad": 1, "email": address}).email == address.lower()


@pytest.mark.parametrize("address", ["a@b.test", "a@b.LOCAL", "a@b.localhost", "a@b.onion",
                                     "a@b.invalid", "a@b.arpa", "a..b@c.de", ".a@c.de",
                                     "a@c.d-", "a@c", "\u00e9@c.de", "a@c.d3", "a@ab--c.de",
                                     "a@xn--c.de", "a@-c.de", "a@c-.de"])
def test_addresses_outside_the_pattern_are_refused(address):
    assert not re.fullmatch(model.EMAIL_PATTERN, address)
    with pytest.raises(InvalidRequest):
        model.check_email(address)


@pytest.mark.parametrize("address", ["cliente3@ui-carga-1234.example",
                                     "bench7@bench-fixed-240-por-s-6b130a713e43448f46705bd0.example",
                                     "x@ses-outage-fixed-s1-12345.example", "a@b-c--d.de",
                                     f"{'a' * 64}@{'b' * 62}.es"])
def test_the_labs_own_addresses_follow_the_pattern(address):
    """The load generator, the benchmark and the chaos scenarios make addresses like these."""
    assert re.fullmatch(model.EMAIL_PATTERN, address)
    assert model.check_email(address) == address


def test_the_special_use_domains_are_email_validators():
    assert {"test", "local", "localhost", "onion", "invalid", "arpa"} <= model.SPECIAL_USE_DOMAINS
    for tld in ("testing", "locals", "tes", "loc", "com", "es"):
        assert re.fullmatch(model.EMAIL_PATTERN, f"a@b.{tld}"), tld


def test_the_schema_says_a_field_in_another_case_is_that_field():
    """_fold_keys reads "EMAIL" as email (the seed's Go decoder did): the document must not
    call it an extra property anyone may send with any value."""
    schema = model.NewBooking.model_json_schema()
    email_rule = schema["patternProperties"]["^[eE][mM][aA][iI][lL]$"]
    assert email_rule["pattern"] == model.EMAIL_PATTERN
    for body in ({"evento": "x", "cantidad": 1, "email": "a@b.co", "EMAIL": 5},
                 {"evento": "x", "cantidad": 1, "email": "a@b.co", "Cantidad": 0}):
        with pytest.raises(InvalidRequest):
            model.parse_booking(body)
    assert model.parse_booking({"evento": "x", "cantidad": 1, "email": "a@b.co", "otro": 5})


@pytest.mark.parametrize(("model_cls", "parse", "body"), [
    (model.NewEvent, model.parse_event, {"nomBre": "x", "capacidad": 1, "categoria": "c"}),
    (model.NewEvent, model.parse_event, {"NOMBRE": "x", "Capacidad": 1, "categoria": "c"}),
    (model.NewBooking, model.parse_booking, {"Evento": "x", "cantidad": 1, "EMAIL": "a@b.co"}),
])
def test_the_schema_accepts_what_the_parser_accepts_a_field_in_any_case(model_cls, parse, body):
    """A body whose only 'nombre' is 'nomBre' is an event to the API (the seed's decoder): the
    document must call it valid too, or a fuzzer that drops the field and adds 'nomBre' finds an
    invalid request accepted (schemathesis ST201 did)."""
    assert parse(body)
    jsonschema.validate(body, model_cls.model_json_schema())


@pytest.mark.parametrize(("model_cls", "parse", "body"), [
    (model.NewEvent, model.parse_event, {"capacidad": 1, "categoria": "c", "nombres": "x"}),
    (model.NewBooking, model.parse_booking, {"cantidad": 1, "email": "a@b.co"}),
])
def test_a_field_missing_in_every_case_is_refused_by_both(model_cls, parse, body):
    with pytest.raises(InvalidRequest):
        parse(body)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, model_cls.model_json_schema())


@pytest.mark.parametrize(("parse", "body"), [
    (model.parse_event, {"nombre": "x", "capacidad": 1_000_001, "cAPaCIDad": 367, "categoria": "c"}),
    (model.parse_event, {"NOMBRE": "__lab", "nombre": "x", "capacidad": 1, "categoria": "c"}),
    (model.parse_booking, {"evento": "x", "cantidad": 0, "Cantidad": 2, "email": "a@b.co"}),
])
def test_every_spelling_of_a_field_must_be_valid_not_only_the_last(parse, body):
    """The document says each property named like a field, in any case, must be what the field
    must be (patternProperties): an invalid one is refused even when a later one is valid
    (schemathesis ST201 found {"capacidad": 1000001, "cAPaCIDad": 367} accepted)."""
    with pytest.raises(InvalidRequest):
        parse(body)
