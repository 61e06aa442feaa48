"""Request validation and the seed's JSON shapes: pure, no I/O."""

from __future__ import annotations

import pytest
from bson import ObjectId

from boletia import designs
from boletia.domain import model
from boletia.domain.model import InvalidRequest


def test_booking_fields_are_matched_case_insensitively_like_the_go_decoder():
    req = model.parse_booking({"Evento": "Opera Boheme", "CANTIDAD": 3, "eMail": "Pepe@Gmail.com"})
    assert (req.evento, req.cantidad, req.email) == ("Opera Boheme", 3, "pepe@gmail.com")


@pytest.mark.parametrize("body", [
    {"evento": "Opera", "cantidad": "3", "email": "a@b.co"},          # wrong type
    {"evento": "Opera", "cantidad": 3.0, "email": "a@b.co"},          # float, not int
    {"evento": "Opera", "cantidad": True, "email": "a@b.co"},         # bool is not a count
    {"evento": "Opera", "cantidad": 0, "email": "a@b.co"},
    {"evento": "Opera", "cantidad": -2, "email": "a@b.co"},
    {"evento": "Opera", "cantidad": 10**12, "email": "a@b.co"},        # absurd
    {"evento": "Opera", "email": "a@b.co"},                          # missing
    {"evento": {"$gt": ""}, "cantidad": 1, "email": "a@b.co"},        # operator injection
    {"evento": "$where", "cantidad": 1, "email": "a@b.co"},
    {"evento": "Opera", "cantidad": 1, "email": {"$ne": None}},
    {"evento": "Opera", "cantidad": 1, "email": "not-an-email"},
    {"evento": "", "cantidad": 1, "email": "a@b.co"},
    [1, 2, 3],
    "Opera",
    None,
])
def test_bad_bookings_are_refused_with_a_hint(body):
    with pytest.raises(InvalidRequest) as err:
        model.parse_booking(body)
    assert "send" in str(err.value)


def test_event_validation():
    ev = model.parse_event({"Nombre": " Opera Boheme ", "Capacidad": 20, "Categoria": "Opera"})
    assert (ev.nombre, ev.capacidad, ev.categoria) == ("Opera Boheme", 20, "Opera")
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
