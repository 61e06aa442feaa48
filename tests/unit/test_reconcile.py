"""Issue 28.5: every booking answered 200 is recorded apart from the change stream (fixed
design), and the reconciler completes the ones whose reservation never came. A dict stands
in for the store (the real lab runs it in the chaos scenario `resume-point-lost`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from boletia import designs
from boletia.domain import decisions
from boletia.domain.model import NewBooking
from boletia.lab.setup.reconcile import reconcile

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
REQ = NewBooking(evento="Opera", cantidad=2, email="ana@x.es")


class Collection:
    def __init__(self, docs=()):
        self.docs = {d["_id"]: dict(d) for d in docs}

    def find(self, filt, projection=None):
        ids = filt.get("_id", {}).get("$in") if filt else None
        return [d for i, d in self.docs.items() if ids is None or i in ids]

    def insert_one(self, doc, session=None):
        from pymongo.errors import DuplicateKeyError
        if doc["_id"] in self.docs:
            raise DuplicateKeyError("E11000")
        self.docs[doc["_id"]] = dict(doc)

    def delete_many(self, filt):
        for i in filt["_id"]["$in"]:
            self.docs.pop(i, None)


class Db(dict):
    def __getitem__(self, name):
        return self.setdefault(name, Collection())

    __getattr__ = __getitem__


def test_the_fixed_design_records_a_booking_the_seed_and_txn_do_not():
    record = designs.get("fixed").booking_record(REQ, "R1", NOW)
    assert record == decisions.InsertOne("pedidos", {"_id": "R1", "evento": "Opera",
                                                     "email": "ana@x.es", "cantidad": 2, "at": NOW})
    assert designs.get("seed").booking_record(REQ, "R1", NOW) is None
    assert designs.get("txn").booking_record(REQ, "R1", NOW) is None
    assert designs.get("fixed").records_bookings and not designs.get("seed").records_bookings


def test_a_recorded_booking_without_its_reservation_is_completed_once():
    db = Db()
    old = NOW - timedelta(seconds=60)
    for rid in ("R1", "R2"):
        db.pedidos.insert_one(decisions.booking_record(rid, "Opera", "ana@x.es", 2, old).document)
    db.reservas.insert_one(decisions.reservation("R2", "Opera", "ana@x.es", 2, old))
    done = reconcile(db, grace=30, now=NOW)
    assert done.completed == ["R1"] and done.done == 1 and done.checked == 2
    assert db.reservas.docs["R1"] == decisions.reservation("R1", "Opera", "ana@x.es", 2, NOW)
    assert db.pedidos.docs == {}  # both finished: only bookings in flight stay recorded
    again = reconcile(db, grace=30, now=NOW)
    assert again.completed == [] and again.checked == 0


def test_a_booking_still_in_flight_is_left_to_the_consumer():
    db = Db()
    db.pedidos.insert_one(decisions.booking_record("R1", "Opera", "ana@x.es", 2,
                                                   NOW - timedelta(seconds=5)).document)
    assert reconcile(db, grace=30, now=NOW).completed == []
    assert "R1" in db.pedidos.docs and db.reservas.docs == {}


def test_a_reservation_the_consumer_wrote_meanwhile_is_not_written_twice():
    db = Db()
    db.pedidos.insert_one(decisions.booking_record("R1", "Opera", "ana@x.es", 2,
                                                   NOW - timedelta(seconds=60)).document)
    real_find = db.reservas.find
    db.reservas.find = lambda *a, **k: []  # read before the consumer's insert landed
    db.reservas.insert_one(decisions.reservation("R1", "Opera", "ana@x.es", 2, NOW))
    done = reconcile(db, grace=30, now=NOW)
    db.reservas.find = real_find
    assert done.completed == [] and done.done == 1 and db.pedidos.docs == {}
