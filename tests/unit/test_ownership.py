"""Who may read or cancel a reservation (issue 28.1): the booking's secret, how it is made and
compared, the ids nobody can guess, and the reservas API refusing a stranger before it reads
the database (boletia.domain.ownership, boletia.services.reservas)."""

from __future__ import annotations

import hmac
import time

import pytest
from bson import ObjectId

from boletia import designs
from boletia.domain import decisions, ownership
from boletia.lab.notebook import client as client_mod
from boletia.lab.notebook.client import Answer, Boletia
from boletia.lab.notebook.neighbours import neighbour_ids
from boletia.services import http, reservas

KEY = ownership.key_bytes("a-booking-key-for-the-unit-tests")
RID = "6b0ad095dbaf53e40dc481dc"


# ---------------------------------------------------------------- the secret
def test_a_secret_is_128_bits_one_per_booking_and_per_key():
    s = ownership.secret_for(KEY, RID)
    assert len(s) == 22 and s == ownership.secret_for(KEY, ObjectId(RID))
    assert s != ownership.secret_for(KEY, "6b0ad095dbaf53e40dc481dd")
    assert s != ownership.secret_for(ownership.key_bytes("another-key-of-another-lab"), RID)


@pytest.mark.parametrize("given", [None, "", " ", "wrong", "é" * 22, "\udcff",
                                   "SECRET_OF_ANOTHER_ID"])
def test_only_the_bookings_own_secret_is_accepted(given):
    if given == "SECRET_OF_ANOTHER_ID":
        given = ownership.secret_for(KEY, "6b0ad095dbaf53e40dc481dd")
    assert ownership.owns(KEY, RID, given) is False
    good = ownership.secret_for(KEY, RID)
    assert ownership.owns(KEY, RID, good) is True
    assert ownership.owns(KEY, RID, good[:-1] + ("A" if good[-1] != "A" else "B")) is False


def test_the_secret_is_compared_in_constant_time(monkeypatch):
    seen = []

    def spy(a, b):
        seen.append((type(a), type(b)))
        return real(a, b)
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert ownership.owns(KEY, RID, ownership.secret_for(KEY, RID))
    assert ownership.owns(KEY, RID, "wrong") is False
    assert seen == [(bytes, bytes)] * 2


@pytest.mark.parametrize("key", ["", "   ", "short"])
def test_an_empty_or_short_booking_key_is_refused(key):
    with pytest.raises(ownership.MissingKey, match="BOLETIA_BOOKING_KEY"):
        ownership.key_bytes(key)


# ---------------------------------------------------------------- the ids
def test_the_seeds_ids_are_one_step_from_each_other():
    seed = designs.get("seed")
    first, second = str(seed.new_reservation_id()), str(seed.new_reservation_id())
    assert first in neighbour_ids(second)  # the hole lesson 03 shows


def test_the_fixed_designs_ids_keep_the_time_and_share_nothing_else():
    now = time.time()
    ids = [designs.get(d).new_reservation_id() for d in ("fixed", "txn", "student")
           for _ in range(300)]
    assert len({str(i) for i in ids}) == len(ids)
    assert all(abs(i.generation_time.timestamp() - now) < 5 for i in ids)
    assert len({i.binary[4:9] for i in ids}) == len(ids)  # no process part shared
    assert not any(str(a) in neighbour_ids(str(b)) for a, b in zip(ids, ids[1:], strict=False))


# ---------------------------------------------------------------- the email
def test_the_confirmation_carries_the_secret_and_reads_back_the_same():
    doc = {"_id": ObjectId(RID), "evento": "Opera", "cantidad": 2, "estado": "A", "email": "a@b.co"}
    plain = decisions.notification(doc)
    with_secret = decisions.notification(doc, lambda rid: ownership.secret_for(KEY, rid))
    secret = ownership.secret_for(KEY, RID)
    assert secret not in plain.body and with_secret.body.endswith(secret)
    assert (decisions.read_notification(with_secret.subject, with_secret.body)
            == decisions.read_notification(plain.subject, plain.body)
            == {"reserva": RID, "estado": "A", "evento": "Opera", "cantidad": 2})
    cancelled = decisions.notification({**doc, "estado": "X"}, lambda rid: secret)
    assert secret not in cancelled.body  # only the confirmation repeats it


# ---------------------------------------------------------------- the reservas API
class NoDatabase:
    def __getattr__(self, name):
        raise AssertionError(f"the database was used ({name}) for a request that must be refused first")

    def __getitem__(self, name):
        return self.__getattr__(name)


class OneReservation:
    """A database holding one reservation, RID, for the requests the secret lets through."""

    class Reservas:
        def find_one(self, filt):
            return ({"_id": ObjectId(RID), "evento": "Opera", "estado": "A", "email": "a@b.co",
                     "cantidad": 2} if filt == {"_id": ObjectId(RID)} else None)

    reservas = Reservas()


@pytest.mark.parametrize("method", ["get", "delete"])
@pytest.mark.parametrize("header", [None, "", "wrong", "Bearer x"])
def test_a_stranger_gets_a_403_and_nothing_is_read(method, header):
    app = reservas.create_app(db=NoDatabase(), design="fixed", booking_key=KEY.decode())
    headers = {} if header is None else {ownership.HEADER: header}
    r = getattr(app.test_client(), method)(f"/reservas/{RID}", headers=headers)
    assert r.status_code == 403, r.get_json()
    assert "no es la suya" in r.get_json()["error"] and ownership.HEADER in r.get_json()["error"]


def test_the_owner_reads_her_reservation_and_the_secret_is_never_in_it():
    app = reservas.create_app(db=OneReservation(), design="fixed", booking_key=KEY.decode())
    r = app.test_client().get(f"/reservas/{RID}",
                              headers={ownership.HEADER: ownership.secret_for(KEY, RID)})
    assert r.status_code == 200 and r.get_json()["Id"] == RID
    assert ownership.FIELD not in r.get_json()


def test_the_seed_keeps_its_open_api():
    app = reservas.create_app(db=OneReservation(), design="seed", booking_key="")
    assert app.test_client().get(f"/reservas/{RID}").status_code == 200


@pytest.mark.parametrize("design", ["fixed", "txn", "student"])
def test_a_design_that_owns_bookings_refuses_to_start_without_its_key(design):
    with pytest.raises(SystemExit, match="BOLETIA_BOOKING_KEY"):
        reservas.create_app(db=NoDatabase(), design=design, booking_key="")


def test_the_openapi_document_declares_the_secret_and_its_links_pass_it():
    app = reservas.create_app(db=NoDatabase(), design="fixed", booking_key=KEY.decode())
    doc = app.test_client().get("/openapi.json").get_json()
    scheme = doc["components"]["securitySchemes"]["clave"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", ownership.HEADER)
    ops = {op["operationId"]: op for path in doc["paths"].values() for op in path.values()}
    for name in http.OWNED_OPERATIONS:
        assert ops[name]["security"] == [{"clave": []}]
        assert any(p["in"] == "header" and p["name"] == ownership.HEADER and p["required"]
                   for p in ops[name]["parameters"])
    links = ops["post__reservas"]["responses"]["200"]["links"]
    assert links["CancelReservation"]["parameters"][f"header.{ownership.HEADER}"] == "$response.body#/Clave"
    assert "header." + ownership.HEADER not in str(links["ListCustomerReservations"])
    again = ops["delete__reservas_{reserva_id}"]["responses"]["200"]["links"]["CancelReservationAgain"]
    assert again["parameters"][f"header.{ownership.HEADER}"] == f"$request.header.{ownership.HEADER}"
    assert "Clave" in doc["components"]["schemas"]["ReservaNueva"]["properties"]
    assert "Clave" not in doc["components"]["schemas"]["ReservaOut"]["properties"]


def test_the_seeds_openapi_document_declares_no_secret():
    app = reservas.create_app(db=NoDatabase(), design="seed", booking_key="")
    doc = app.test_client().get("/openapi.json").get_json()
    assert "clave" not in doc.get("components", {}).get("securitySchemes", {})
    assert "X-Boletia-Clave" not in str(doc["paths"])


# ---------------------------------------------------------------- the lab's client
def test_the_client_keeps_the_secret_out_of_the_body_and_sends_it_back(monkeypatch):
    calls = []

    def fake(self, method, url, **kw):
        calls.append((method, url, kw.get("headers")))
        if method == "POST":
            return Answer(200, {"Id": RID, "Estado": "A", ownership.FIELD: "s3cret"})
        return Answer(200, {"Id": RID, "Estado": "A"})
    monkeypatch.setattr(Boletia, "_call", fake)
    monkeypatch.setattr(client_mod, "SECRETS", {})
    api = Boletia(settings=_settings())
    booked = api.book("Opera", 2, "a@b.co")
    assert booked.secret == "s3cret" and ownership.FIELD not in booked.body
    assert "s3cret" not in repr(booked)
    api.reservation(RID)
    Boletia(settings=_settings()).cancel(RID)  # any client of the process: the booker's secret
    stranger = Boletia(settings=_settings(), keeps_secrets=False)
    stranger.cancel(RID)
    assert [c[2] for c in calls[1:]] == [{ownership.HEADER: "s3cret"}] * 2 + [{}]


def _settings():
    from boletia import config
    return config.Settings()
