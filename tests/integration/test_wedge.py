"""No message wedges a partition (issue 28.4), against the real lab: a wrongly typed message
ahead of good ones on every partition of boletia.reservas is dead-lettered with its reason,
and the good ones behind it are processed."""

from __future__ import annotations

import time
import uuid

import pytest
from bson import ObjectId, json_util
from kafka import KafkaProducer

from boletia.adapters.kafka import security
from boletia.lab.notebook import observe
from boletia.lab.notebook.client import Boletia

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(lab) -> Boletia:
    lab.up(design="fixed")
    return Boletia(token=lab.admin_token())


def test_a_wrongly_typed_message_is_dead_lettered_and_the_good_ones_behind_it_go_through(
        lab, api, settings):
    nombre = f"Cuña {uuid.uuid4().hex[:6]}"
    assert api.create_event(nombre, 20, "Prueba").ok
    assert api.wait_available(nombre, 20) == 20
    since = time.time()
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap.split(","), acks="all",
                             **security())
    bad: dict[str, str] = {}
    try:
        for partition in sorted(producer.partitions_for("boletia.reservas")):
            doc = {"_id": ObjectId(), "evento": nombre, "estado": "X", "email": "cuna@x.es",
                   "cantidad": "2"}  # a string: the refund's arithmetic used to fail on it, forever
            meta = producer.send("boletia.reservas", value=json_util.dumps(doc).encode(),
                                 key=json_util.dumps({"_id": doc["_id"]}).encode(),
                                 partition=partition).get(timeout=30)
            bad[f"boletia.reservas[{meta.partition}]@{meta.offset}"] = str(doc["_id"])
    finally:
        producer.close()

    # good ones behind them: bookings, then their cancellations (each refund is on boletia.reservas)
    ids = [api.book(nombre, 2, f"c{i}@cuna.es").body["Id"] for i in range(4)]
    for rid in ids:
        api.wait_reservation(rid)
        assert api.cancel(rid).ok
    assert api.wait_available(nombre, 20, timeout=60) == 20, "a refund waited behind the bad message"
    for rid in ids:
        api.wait_reservation(rid, "X")
    observe.wait_drained(["inventario", "reembolsos", "notificaciones"])

    letters = [d for d in observe.dead_letters(since=since - 1, bootstrap=settings.kafka_bootstrap)
               if d["where"] in bad]
    by_group = {(d["where"], d["group"]) for d in letters}
    for where in bad:
        for group in ("reembolsos", "notificaciones"):   # boletia.reservas' readers since the split
            assert (where, group) in by_group, f"{where} not dead-lettered by {group}: {letters}"
    assert all("cantidad" in d["reason"] for d in letters), [d["reason"] for d in letters]
    assert all(s.health == "" for s in lab.status()), "a consumer seen stalled"
