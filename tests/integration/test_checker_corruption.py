"""The checker is itself tested by corruption: a real run that the checker finds clean is
copied into a scratch database, one kind of damage is done to it with plain pymongo writes
(or to the record of emails SES accepted), and the checker must name exactly the
invariants that damage breaks. A checker that misses a kind fails here."""

from __future__ import annotations

import uuid

import pytest
from bson import ObjectId

from boletia.adapters import ses
from boletia.domain import decisions
from boletia.lab.experiments import checker, load
from boletia.lab.experiments.verdict import check_lab
from boletia.lab.notebook.client import Boletia

pytestmark = pytest.mark.integration
COLLECTIONS = ("eventos", "inventario", "reservas", "notificaciones", "reembolsos")


@pytest.fixture(scope="module")
def clean_run(lab):
    api = Boletia(token=lab.admin_token(), settings=lab.settings)
    record = load.Record(seed=21, prefix=f"Corrupcion {uuid.uuid4().hex[:6]}")
    load.create_events(api, record, 2, 40)
    load.run(api, record=record, customers=6, operations=8, cancel_ratio=0.3, max_tickets=4)
    load.cancel_events(api, record, [record.events[1]])
    report = check_lab(lab, record)
    assert report.ok, report.examples()
    return record, ses.sent_messages(lab.settings)


@pytest.fixture
def scratch(mongo_client, clean_run):
    """A copy of the clean run's documents in database `boletia_damaged`."""
    record, _ = clean_run
    src, dst = mongo_client["boletia"], mongo_client["boletia_damaged"]
    mongo_client.drop_database(dst.name)
    scope = {"eventos": {"nombre": {"$in": record.events}},
             "inventario": {"nombre": {"$in": record.events}},
             "reservas": {"evento": {"$in": record.events}},
             "reembolsos": {"evento": {"$in": record.events}}}
    ids = [str(r["_id"]) for r in src.reservas.find(scope["reservas"])]
    scope["notificaciones"] = {"reserva": {"$in": ids}}
    for name in COLLECTIONS:
        docs = list(src[name].find(scope[name]))
        dst.create_collection(name)
        if docs:
            dst[name].insert_many(docs)
    yield dst
    mongo_client.drop_database(dst.name)


def judge(lab, db, record, emails) -> set[str]:
    state = checker.snapshot(db, lab.settings, events=record.events, since=record.started,
                             drain={"drained": True}, emails=emails, stopped={})
    return set(checker.judge(state, checker.History.from_record(record), "fixed").counts)


def pick(db, record, estado, event=0, n=1) -> list[dict]:
    found = list(db.reservas.find({"evento": record.events[event], "estado": estado}).sort("_id"))
    assert len(found) >= n, f"the clean run needs {n} reservations in state {estado}"
    return found[:n]


def email(r, estado) -> dict:
    m = decisions.notification({**r, "estado": estado})
    return {"to": [m.to], "subject": m.subject, "body": m.body}


def test_the_clean_run_covers_every_state(scratch, clean_run):
    record, _ = clean_run
    for estado, event in (("A", 0), ("X", 0), ("C", 1)):
        pick(scratch, record, estado, event)
    assert scratch.reembolsos.count_documents({}) >= 1


def delete_reservation(db, record, emails):
    db.reservas.delete_one({"_id": pick(db, record, "A")[0]["_id"]})


def change_email(db, record, emails):
    db.reservas.update_one({"_id": pick(db, record, "A")[0]["_id"]}, {"$set": {"email": "m@x.es"}})


def swap_quantities(db, record, emails):
    actives = list(db.reservas.find({"evento": record.events[0], "estado": "A"}))
    a, b = next((a, b) for a in actives for b in actives if a["cantidad"] < b["cantidad"])
    db.reservas.update_one({"_id": a["_id"]}, {"$set": {"cantidad": b["cantidad"]}})
    db.reservas.update_one({"_id": b["_id"]}, {"$set": {"cantidad": a["cantidad"]}})


def add_refund(db, record, emails):
    r = pick(db, record, "A")[0]
    db.reembolsos.insert_one({"_id": r["_id"], "evento": r["evento"], "cantidad": r["cantidad"]})
    db.inventario.update_one({"nombre": r["evento"]}, {"$inc": {"vendidos": -r["cantidad"]}})


def add_email(db, record, emails):
    emails.append(email(pick(db, record, "A")[0], "A"))


def drop_email(db, record, emails):
    rid = str(pick(db, record, "A")[0]["_id"])
    emails.remove(next(m for m in emails if rid in m["body"]))


def resurrect_cancelled(db, record, emails):
    db.reservas.update_one({"_id": pick(db, record, "X")[0]["_id"]}, {"$set": {"estado": "A"}})


def oversell(db, record, emails):
    db.inventario.update_one({"nombre": record.events[0]}, {"$set": {"vendidos": 41}})


def reservation_without_booking(db, record, emails):
    db.reservas.insert_one({"_id": ObjectId(), "evento": record.events[0], "estado": "A",
                            "email": "fantasma@x.es", "cantidad": 1})
    db.inventario.update_one({"nombre": record.events[0]}, {"$inc": {"vendidos": 1}})


def email_for_a_state_never_had(db, record, emails):
    emails.append(email(pick(db, record, "A")[0], "C"))


def email_without_reservation(db, record, emails):
    emails.append(email({"_id": ObjectId(), "evento": record.events[0], "email": "n@x.es",
                         "cantidad": 1}, "A"))


def active_on_cancelled_event(db, record, emails):
    db.reservas.update_one({"_id": pick(db, record, "C", event=1)[0]["_id"]},
                           {"$set": {"estado": "A"}})


def state_not_propagated(db, record, emails):
    db.inventario.update_one({"nombre": record.events[1]}, {"$set": {"estado": "A"}})


def duplicate_explained_by_a_refused_attempt(db, record, emails):
    r = pick(db, record, "A")[0]
    emails.append(email(r, "A"))
    db.notificaciones.update_one({"_id": f"{r['_id']}:A"},
                                 {"$set": {"intentos": 2, "rechazados": 1}})


DAMAGES = {
    delete_reservation: {"booking-has-reservation", "tickets-conserved",
                         "sold-matches-reservations", "email-without-reservation"},
    change_email: {"reservation-matches-booking", "email-matches-reservation"},
    swap_quantities: {"reservation-matches-booking", "email-matches-reservation"},
    add_refund: {"refund-matches-cancel", "tickets-conserved"},
    add_email: {"email-duplicate"},
    drop_email: {"email-missing"},
    resurrect_cancelled: {"reservation-state", "tickets-conserved", "refund-matches-cancel",
                          "email-wrong-state"},
    oversell: {"no-oversell", "tickets-conserved", "sold-matches-reservations"},
    reservation_without_booking: {"reservation-has-booking", "email-missing"},
    email_for_a_state_never_had: {"email-wrong-state"},
    email_without_reservation: {"email-without-reservation"},
    active_on_cancelled_event: {"cancel-propagated", "reservation-state", "email-wrong-state"},
    state_not_propagated: {"state-propagated"},
    duplicate_explained_by_a_refused_attempt: {"email-duplicate"},
}


def test_the_untouched_copy_is_clean(lab, scratch, clean_run):
    record, emails = clean_run
    assert judge(lab, scratch, record, list(emails)) == set()


@pytest.mark.parametrize("damage", DAMAGES, ids=lambda f: f.__name__)
def test_each_damage_to_a_real_run_is_named(lab, scratch, clean_run, damage):
    record, emails = clean_run
    emails = list(emails)
    damage(scratch, record, emails)
    assert judge(lab, scratch, record, emails) == DAMAGES[damage]
