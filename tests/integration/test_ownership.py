"""Who may read or cancel a reservation, against the real lab (issue 28.1): on the seed design a
stranger enumerates the neighbours of their own booking and cancels another customer's; on the
fixed design the same attempt reads and cancels nothing, and a missing or wrong secret changes
nothing; the confirmation email carries the booker's secret."""

from __future__ import annotations

import hashlib
import uuid

import pytest
import requests
from bson import json_util

from boletia.adapters import ses
from boletia.domain import ownership
from boletia.lab.notebook import observe
from boletia.lab.notebook.client import Boletia
from boletia.lab.notebook.neighbours import attempt

pytestmark = pytest.mark.integration


def _event(lab, settings, capacidad: int = 50) -> str:
    api = Boletia(token=lab.admin_token(), settings=settings)
    nombre = f"Propiedad {uuid.uuid4().hex[:6]}"
    assert api.create_event(nombre, capacidad, "Prueba").ok
    api.wait_available(nombre, capacidad, timeout=60)
    return nombre


def _digest(db) -> str:
    h = hashlib.sha256()
    for name in ("inventario", "reservas", "reembolsos"):
        for doc in sorted(json_util.dumps(d, sort_keys=True) for d in db[name].find()):
            h.update(doc.encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def fixed(lab):
    lab.up(design="fixed")
    return lab


def test_on_the_fixed_design_a_stranger_reads_and_cancels_nothing(fixed, settings):
    nombre = _event(fixed, settings)
    run = uuid.uuid4().hex[:6]
    seen = attempt(nombre, f"ana.{run}@example.com", f"eve.{run}@example.com", settings,
                   design="fixed")
    print(seen.summary())
    assert seen.found == [] and not seen.victim_found
    assert (seen.read_by_id, seen.cancel_by_id, seen.victim_state) == (403, 403, "A")
    assert not seen.victim_listing_has_secret


def test_a_missing_or_wrong_secret_changes_nothing_and_the_email_carries_it(fixed, settings, db):
    nombre = _event(fixed, settings)
    email = f"pepe.{uuid.uuid4().hex[:6]}@example.com"
    me = Boletia(settings=settings, keeps_secrets=False)
    booked = me.book(nombre, 2, email)
    assert booked.ok and booked.secret and len(booked.secret) == 22
    rid = booked.body["Id"]
    assert me.wait_reservation(rid, secret=booked.secret).body == booked.body
    observe.wait_drained()
    before = _digest(db)
    url = f"{settings.reservas_url}/reservas/{rid}"
    for headers in ({}, {ownership.HEADER: ""}, {ownership.HEADER: "x" * 22},
                    {ownership.HEADER: booked.secret[:-1] + ("A" if booked.secret[-1] != "A" else "B")},
                    {"Authorization": f"Bearer {booked.secret}"}):
        for method in ("GET", "DELETE"):
            r = requests.request(method, url, headers=headers, timeout=10)
            assert r.status_code == 403 and "no es la suya" in r.json()["error"], (method, headers, r.text)
    # never in the query string: a secret there is not read
    r = requests.delete(f"{url}?{ownership.HEADER}={booked.secret}&clave={booked.secret}", timeout=10)
    assert r.status_code == 403
    observe.wait_drained()
    assert _digest(db) == before, "a refused request changed the database"
    # nothing stored lets anyone act: no document of the lab holds the secret
    for name in db.list_collection_names():
        assert booked.secret not in json_util.dumps(list(db[name].find())), name
    listing = me.reservations(nombre, email)
    assert listing.ok and booked.secret not in str(listing.body)
    # the confirmation email repeats it, for the booker who lost the answer
    mail = observe.wait_for(lambda: [m for m in ses.sent_messages(settings)
                                     if email in m["to"] and rid in m["body"]], 60, "the email")
    assert mail[0]["body"].rstrip().endswith(booked.secret)
    # with it: read and cancel
    assert me.reservation(rid, booked.secret).body["Estado"] == "A"
    assert me.cancel(rid, booked.secret).ok
    assert me.wait_reservation(rid, "X", secret=booked.secret).ok


def test_on_the_seed_design_a_stranger_cancels_another_customers_booking(lab, settings):
    lab.up(design="seed")
    try:
        nombre = _event(lab, settings)
        run = uuid.uuid4().hex[:6]
        seen = attempt(nombre, f"ana.{run}@example.com", f"eve.{run}@example.com", settings,
                       design="seed")
        print(seen.summary())
        assert seen.victim_found, "the victim's id was not among the neighbours of the stranger's"
        assert (seen.read_by_id, seen.cancel_by_id, seen.victim_state) == (200, 200, "X")
    finally:
        lab.up(design="fixed")
