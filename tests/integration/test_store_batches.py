"""`mongo.apply_all` against the real store: a partition batch's writes in few round trips,
with the same answers one-by-one writes gave (what changed, what was done before)."""

from __future__ import annotations

import pytest
from pymongo.errors import PyMongoError

from boletia.adapters import mongo
from boletia.domain import decisions as d

pytestmark = pytest.mark.integration


@pytest.fixture
def scratch(mongo_client):
    db = mongo_client["boletia_batches"]
    mongo_client.drop_database(db.name)
    yield db
    mongo.clear_fail_points(mongo_client)
    mongo_client.drop_database(db.name)


def test_inserts_go_together_and_a_redelivered_one_is_already_done(scratch):
    scratch.reservas.insert_one({"_id": "r1", "estado": "A"})
    changed = mongo.apply_all(scratch, [
        [d.InsertOne("reservas", {"_id": "r0", "estado": "A"})],
        [d.InsertOne("reservas", {"_id": "r1", "estado": "A"})],   # written before
        [],                                                         # nothing to write
        [d.InsertOne("reservas", {"_id": "r2", "estado": "A"})],
        [d.InsertOne("reservas", {"_id": "r2", "estado": "A"})],   # twice in one batch
    ])
    assert changed[:4] == [True, False, False, True] and not changed[4]
    assert sorted(r["_id"] for r in scratch.reservas.find()) == ["r0", "r1", "r2"]


def test_writes_keep_their_order_around_a_run_of_inserts(scratch):
    # the cancel of an event must see the reservation inserted before it in the batch
    changed = mongo.apply_all(scratch, [
        [d.InsertOne("reservas", {"_id": "r0", "evento": "E", "estado": "A"})],
        [d.UpdateMany("reservas", {"evento": "E", "estado": "A"}, {"$set": {"estado": "C"}})],
        [d.InsertOne("reservas", {"_id": "r1", "evento": "E", "estado": "A"})],
        [d.InsertOne("reembolsos", {"_id": "r0"})],
    ])
    assert changed == [True, True, True, True]
    assert {r["_id"]: r["estado"] for r in scratch.reservas.find()} == {"r0": "C", "r1": "A"}


def test_a_failure_that_is_not_a_duplicate_raises_for_the_batch_to_be_retried(scratch, mongo_client):
    mongo.fail_next_writes(mongo_client, 1, commands=("insert",))
    with pytest.raises(PyMongoError):
        mongo.apply_all(scratch, [[d.InsertOne("reservas", {"_id": "r0"})],
                                  [d.InsertOne("reservas", {"_id": "r1"})]])
    # the retry writes what the failed attempt did not, and reports it
    assert mongo.apply_all(scratch, [[d.InsertOne("reservas", {"_id": "r0"})],
                                     [d.InsertOne("reservas", {"_id": "r1"})]]) == [True, True]


def test_a_refused_document_among_duplicates_is_not_taken_for_one(scratch):
    scratch.create_collection("reservas", validator={"$jsonSchema": {"required": ["estado"]}})
    scratch.reservas.insert_one({"_id": "r0", "estado": "A"})
    with pytest.raises(PyMongoError, match="validation"):
        mongo.apply_all(scratch, [[d.InsertOne("reservas", {"_id": "r0", "estado": "A"})],
                                  [d.InsertOne("reservas", {"_id": "r1"})]])
