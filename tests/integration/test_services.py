"""Boletia's services and consumers against the real lab (the HTTP contract and the message
flow of docs/seed-design.md)."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from bson import ObjectId

from boletia.adapters import ses
from boletia.lab.notebook import observe
from boletia.lab.notebook.client import Boletia
from boletia.lab.notebook.lesson import LogWindow

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(lab) -> Boletia:
    lab.up(design="fixed")  # heals what an earlier module may have left (a stopped connector)
    return Boletia(token=lab.admin_token())


def _name(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def _event(api: Boletia, capacidad: int, prefix: str = "Evento") -> str:
    nombre = _name(prefix)
    assert api.create_event(nombre, capacidad, "Prueba").ok
    assert api.wait_available(nombre, capacidad) == capacidad, "event never reached inventario"
    return nombre


def _emails(to: str) -> list[str]:
    return [m["subject"] for m in ses.sent_messages() if to in m["to"]]


def test_seed_walkthrough(api, db):
    nombre = _name("Opera Boheme")
    created = api.create_event(nombre, 20, "Opera")
    assert created.ok and created.body["Estado"] == "A" and created.body["Capacidad"] == 20
    assert set(created.body) == {"Id", "Nombre", "Capacidad", "Categoria", "Estado"}
    assert api.wait_available(nombre, 20) == 20
    inv = api.inventory(nombre).body
    assert inv["Id"] == created.body["Id"]  # the sink kept the same _id

    email = f"pepe{uuid.uuid4().hex[:4]}@gmail.com"
    booked = api.book(nombre, 3, email)
    assert booked.ok and booked.body["Estado"] == "A" and booked.body["Cantidad"] == 3
    rid = booked.body["Id"]
    assert api.wait_available(nombre, 17) == 17
    assert api.wait_reservation(rid).body == booked.body
    assert api.reservations(nombre, email).body == [booked.body]

    cancelled = api.cancel(rid)
    assert cancelled.status == 200
    assert cancelled.body == f"reserva Id: {rid} Cliente: {email} Evento: {nombre} cancelada"
    assert api.wait_available(nombre, 20) == 20
    assert api.reservation(rid).body["Estado"] == "X"
    assert api.cancel(rid).status == 404  # already cancelled

    other = api.book(nombre, 2, email).body["Id"]
    assert api.wait_reservation(other).ok
    assert api.cancel_event(nombre).body == f"Evento: {nombre} cancelado"
    assert api.wait_reservation(other, "C").body["Estado"] == "C"
    assert api.reservation(rid).body["Estado"] == "X"  # customer cancels stay X
    assert api.book(nombre, 1, email).status == 404  # no bookings on a cancelled event

    observe.wait_drained()  # raises if it does not drain
    subjects = _emails(email)
    assert sorted(subjects) == sorted([
        f"Boletia: reserva confirmada para {nombre}", f"Boletia: reserva cancelada para {nombre}",
        f"Boletia: reserva confirmada para {nombre}", f"Boletia: evento suspendido: {nombre}"])


def test_consumer_crash_between_write_and_commit_is_harmless(lab, api, db):
    nombre = _event(api, 10, "Crash")
    email = f"crash{uuid.uuid4().hex[:4]}@x.com"
    log, refunds = LogWindow(lab, "inventario"), LogWindow(lab, "reembolsos")
    lab.crash_consumer("inventario", 1)
    try:
        rid = api.book(nombre, 4, email).body["Id"]
        api.wait_for(lambda: lab.state("inventario") == "stopped", 30,
                     "the consumer crashing at the armed point")
        assert db.reservas.count_documents({"_id": ObjectId(rid)}) == 1  # written, not committed
        lab.start("inventario")  # redelivers the booking: the unique _id absorbs it
        observe.wait_drained(["inventario"])  # raises if it does not drain
        assert db.reservas.count_documents({"evento": nombre}) == 1

        lab.crash_consumer("reembolsos", 1)  # the refunds are reembolsos' (inventario, split)
        assert api.cancel(rid).ok
        api.wait_for(lambda: lab.state("reembolsos") == "stopped", 30, "the second crash")
        lab.start("reembolsos")  # redelivers the X: the refund's document makes it a no-op
        observe.wait_drained(["reembolsos"])  # raises if it does not drain
        assert api.inventory(nombre).body["Disponible"] == 10
    finally:
        lab.clear_faults()
        for consumer in ("inventario", "reembolsos"):
            if lab.state(consumer) == "stopped":
                lab.start(consumer)
    crashes = [e.where for e in (*log.events("crash"), *refunds.events("crash"))]
    found_done = {e.where for e in (*log.events("already-done"), *refunds.events("already-done"))}
    assert len(crashes) == 2 and set(crashes) <= found_done, log.text() + refunds.text()


def test_refunds_go_on_while_the_bookings_consumer_is_held(lab, api, db):
    """The seed's one inventario consumer read both topics: held (or slowed, or retrying a
    booking), it held the refunds too. Split as its author advised, reembolsos gives a cancel's
    tickets back while inventario is paused; the bookings made meanwhile wait for inventario."""
    nombre = _event(api, 10, "Split")
    rid = api.book(nombre, 3, f"split{uuid.uuid4().hex[:4]}@x.com").body["Id"]
    api.wait_for(lambda: db.reservas.count_documents({"_id": ObjectId(rid)}) == 1, 30,
                 "the reservation written by inventario")
    lab.pause("inventario")
    try:
        assert api.cancel(rid).ok
        late = api.book(nombre, 2, f"late{uuid.uuid4().hex[:4]}@x.com").body["Id"]
        api.wait_for(lambda: api.inventory(nombre).body["Disponible"] == 8, 30,
                     "the refund of the cancel (3 tickets back) while inventario is paused")
        assert lab.state("inventario") == "paused"
        assert db.reservas.count_documents({"_id": ObjectId(late)}) == 0  # waits for inventario
    finally:
        lab.resume("inventario")
    api.wait_for(lambda: db.reservas.count_documents({"_id": ObjectId(late)}) == 1, 30,
                 "the booking made while inventario was paused, recorded once it resumed")


def _race(api: Boletia, nombre: str, customers: int) -> list:
    with ThreadPoolExecutor(max_workers=customers) as pool:
        return list(pool.map(lambda i: api.book(nombre, 1, f"c{i}@race.com"), range(customers)))


def _lost(db, answers) -> list[str]:
    ids = [ObjectId(a.body["Id"]) for a in answers if a.ok]
    found = {d["_id"] for d in db.reservas.find({"_id": {"$in": ids}}, {"_id": 1})}
    return [str(i) for i in ids if i not in found]


def test_fifty_concurrent_bookings_fixed_design(api, db):
    nombre = _event(api, 30, "Carrera")
    answers = _race(api, nombre, 50)
    assert sum(a.ok for a in answers) == 30
    assert all(a.status == 404 for a in answers if not a.ok)
    observe.wait_drained()  # raises if it does not drain
    assert _lost(db, answers) == []
    assert db.reservas.count_documents({"evento": nombre}) == 30
    assert api.inventory(nombre).body["Disponible"] == 0


def test_seed_design_loses_reservations_under_concurrent_booking(lab, db):
    """The test proves its own power: the seed design must be caught losing bookings."""
    lab.set_design("seed")
    try:
        api = Boletia(token=lab.admin_token())
        lost: list[str] = []
        for _ in range(5):
            nombre = _event(api, 50, "Semilla")
            answers = _race(api, nombre, 50)
            observe.wait_drained()  # raises if it does not drain
            lost += _lost(db, answers)
            if lost:
                break
        assert lost, "the seed design lost no reservation in 5 rounds of 50 concurrent bookings"
    finally:
        lab.set_design("fixed")


BAD_BOOKINGS = [
    (b"{not json", 400), (b"", 400), (b"[]", 400), (b'"texto"', 400),
    (b'{"evento": "%s", "cantidad": "3", "email": "a@b.co"}', 400),
    (b'{"evento": "%s", "cantidad": 0, "email": "a@b.co"}', 400),
    (b'{"evento": "%s", "cantidad": -5, "email": "a@b.co"}', 400),
    (b'{"evento": "%s", "cantidad": 100000000000, "email": "a@b.co"}', 400),
    (b'{"evento": "%s", "cantidad": 1.5, "email": "a@b.co"}', 400),
    (b'{"evento": "%s", "cantidad": NaN, "email": "a@b.co"}', 400),
    (b'{"evento": "%s", "email": "a@b.co"}', 400),
    (b'{"evento": {"$gt": ""}, "cantidad": 1, "email": "a@b.co"}', 400),
    (b'{"evento": "%s", "cantidad": 1, "email": {"$ne": null}}', 400),
    (b'{"evento": "%s", "cantidad": 1, "email": "' + b"a" * 5000 + b'@b.co"}', 413),
    (b'{"evento": "no existe", "cantidad": 1, "email": "a@b.co"}', 404),
    (b'{"evento": "%s", "cantidad": 11, "email": "a@b.co"}', 404),
    (b'{"evento": "%s", "cantidad": 1, "email": "a,b@c.de"}', 400),    # SES would refuse it
    (b'{"evento": "%s", "cantidad": 1, "email": "a\\u0001b@c.de"}', 400),  # control character
    (b'{"evento": "%s", "cantidad": 1, "email": "<a>@c.de"}', 400),
    (b"[" * 4000, 400),                                                   # nested too deeply
]


def _snapshot(db) -> dict:
    return {c: sorted(map(repr, db[c].find())) for c in ("eventos", "inventario", "reservas")}


def test_bad_input_is_refused_and_changes_nothing(api, db, settings, lab):
    nombre = _event(api, 10, "Malo")
    observe.wait_drained()  # raises if it does not drain
    before = _snapshot(db)
    token = {"Authorization": f"Bearer {lab.admin_token()}"}
    cases = []
    json_type = {"Content-Type": "application/json"}
    token = {**token, **json_type}
    for body, status in BAD_BOOKINGS:
        body = body.replace(b"%s", nombre.encode()) if b"%s" in body else body
        cases.append(("POST", f"{settings.reservas_url}/reservas", body, json_type, status))
    r, e = settings.reservas_url, settings.eventos_url
    good = json.dumps({"evento": nombre, "cantidad": 1, "email": "a@b.co"}).encode()
    cases += [
        ("POST", f"{r}/reservas", good, {"Content-Type": "text/plain"}, 415),  # a browser's form
        ("POST", f"{r}/reservas", good, {}, 415),
        ("GET", f"{r}/reservas/{ObjectId()}%0A", None, {}, 400),
        ("DELETE", f"{r}/reservas/{ObjectId()}%0A", None, {}, 400),
        ("GET", f"{e}/eventos", None, {"Authorization": "Bearer é"}, 401),
        ("GET", f"{e}/eventos", None, {"Authorization": "Bearer "}, 401),
        ("POST", f"{e}/eventos", b'{"nombre": "__sonda__", "capacidad": 5, "categoria": "c"}',
         token, 400),                                                       # the lab's own name
        ("DELETE", f"{e}/eventos/__sonda__", None, token, 400),             # its canary, too
        ("GET", f"{r}/reservas/123", None, {}, 400),
        ("GET", f"{r}/reservas/{'z' * 24}", None, {}, 400),
        ("DELETE", f"{r}/reservas/not-an-id", None, {}, 400),
        # the fixed design: no booking's secret, a 403 before the id is looked up (issue 28.1)
        ("GET", f"{r}/reservas/{ObjectId()}", None, {}, 403),
        ("DELETE", f"{r}/reservas/{ObjectId()}", None, {"X-Boletia-Clave": "x" * 22}, 403),
        ("GET", f'{r}/reservas/eventos/{{"$ne": null}}', None, {}, 400),
        ("GET", f"{r}/reservas/eventos/no%20existe", None, {}, 404),
        ("GET", f"{r}/reservas/{nombre}/not-an-email", None, {}, 400),
        ("PUT", f"{r}/reservas", b"{}", {}, 405),
        ("POST", f"{e}/eventos", b'{"nombre": "x", "capacidad": 5, "categoria": "c"}', json_type, 401),
        ("POST", f"{e}/eventos", b'{"nombre": "x", "capacidad": 5, "categoria": "c"}',
         {"Authorization": "Bearer wrong", **json_type}, 401),
        ("POST", f"{e}/eventos", b"{bad", token, 400),
        ("POST", f"{e}/eventos", b'{"nombre": "x", "capacidad": "5", "categoria": "c"}', token, 400),
        ("POST", f"{e}/eventos", b'{"nombre": "x", "capacidad": -5, "categoria": "c"}', token, 400),
        ("POST", f"{e}/eventos", b'{"nombre": {"$gt": ""}, "capacidad": 5, "categoria": "c"}',
         token, 400),
        ("POST", f"{e}/eventos", json.dumps({"nombre": nombre, "capacidad": 5,
                                             "categoria": "c"}).encode(), token, 409),  # duplicate
        ("POST", f"{e}/eventos", b"x" * 10000, token, 413),
        ("DELETE", f"{e}/eventos/no%20existe", None, token, 404),
        ("GET", f'{e}/eventos/{{"$ne": null}}', None, token, 400),
    ]
    for method, url, body, headers, status in cases:
        resp = requests.request(method, url, data=body, headers=headers, timeout=10)
        assert resp.status_code == status, (method, url, body and body[:80], resp.text[:200])
        assert resp.json()["error"], (method, url)
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    observe.wait_drained()  # raises if it does not drain
    assert _snapshot(db) == before


def test_the_listing_leaves_out_the_labs_own_events(lab, api, db):
    """The checker's canary (`__sonda__`, made by the lab's first check) is no client's to act
    on: DELETE refuses its name, so the catalogue does not offer it."""
    from boletia.lab.experiments import drain
    from boletia.lab.experiments.checker import SENTINEL

    mine = _name("Listed")
    assert api.create_event(mine, 5, "Teatro").ok
    drained = drain.drain(db, lab.settings, lab.design())   # the canary, as the lab makes it
    assert drained["drained"]
    # and where its time went, stage by stage (lesson 05 names the slowest)
    assert set(drained["waited"]) == {stage for stage, _ in drain.STAGES}, drained["waited"]
    assert all(v >= 0 for v in drained["waited"].values())
    assert db.eventos.find_one({"nombre": SENTINEL}) is not None
    listed = api.events()
    assert listed.ok and mine in {e["Nombre"] for e in listed.body}
    assert not [e["Nombre"] for e in listed.body if e["Nombre"].startswith("__")], listed.body


def test_openapi_and_docs_are_published(settings):
    for base, path in ((settings.eventos_url, "/eventos"), (settings.reservas_url, "/reservas")):
        doc = requests.get(f"{base}/openapi.json", timeout=10).json()
        assert doc["openapi"].startswith("3.") and path in doc["paths"]
        page = requests.get(f"{base}/docs/", timeout=10)
        assert page.status_code == 200 and "swagger" in page.text.lower()


def test_the_services_refuse_a_host_they_do_not_answer_to(settings):
    """A page on a rebound domain (evil.example -> 127.0.0.1) names its own host: refused."""
    for base in (settings.eventos_url, settings.reservas_url, settings.ses_url):
        assert requests.get(f"{base}/health", timeout=10, headers={"Host": "evil.example"}
                            ).status_code in (400, 421), base
    for base in (settings.eventos_url, settings.reservas_url):
        assert requests.get(f"{base}/health", timeout=10).status_code == 200
