"""The lab foundation against real processes: Kafka (3 KRaft brokers), Connect, SecantusDB."""

from __future__ import annotations

import time
import uuid

import pytest
from kafka import KafkaProducer

from boletia.adapters import kafka as kafka_adapter
from boletia.lab.components import CONSUMERS
from boletia.lab.notebook import lag, observe
from boletia.lab.setup import connectors

pytestmark = pytest.mark.integration


def _event(name: str) -> dict:
    return {"nombre": name, "capacidad": 20, "categoria": "Prueba", "estado": "A"}


def _wait(predicate, timeout=30.0, interval=0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


def test_status_reports_every_component(lab, settings):
    rows = {r.name: r for r in lab.status()}
    assert set(rows) == {"mongo", "ses", "kafka-1", "kafka-2", "kafka-3", "connect",
                         "eventos", "reservas", "inventario", "reembolsos", "notificaciones", "watchdog",
                         "ui"}
    assert all(r.state == "running" and r.pid for r in rows.values())
    assert rows["mongo"].connection.startswith("mongodb://")
    assert rows["connect"].connection == settings.connect_url
    assert rows["kafka-2"].connection == f"127.0.0.1:{settings.ports.kafka[1]}"


def test_second_up_changes_nothing(lab):
    before = {r.name: r.pid for r in lab.status()}
    lab.up()
    assert {r.name: r.pid for r in lab.status()} == before


def test_topics_are_replicated_three_times_with_min_isr_two(lab, settings):
    topics = ["boletia.eventos", "boletia.inventario", "boletia.reservas"]
    rows = kafka_adapter.partitions(settings.kafka_bootstrap, topics)
    assert {r["topic"] for r in rows} == set(topics)
    for row in rows:
        assert sorted(row["replicas"]) == [1, 2, 3], row
        assert sorted(row["isr"]) == [1, 2, 3], row
    for topic in topics:
        assert kafka_adapter.topic_config(settings.kafka_bootstrap, topic)["min.insync.replicas"] == "2"


def test_group_coordinator_is_where_kafka_says(lab, settings):
    """The chaos scenario broker-kill aims at the group's coordinator; our rule must agree
    with the brokers' own FindCoordinator answer."""
    a = kafka_adapter.admin(settings.kafka_bootstrap)
    try:
        for group in CONSUMERS:
            told = a._manager.run(a._find_coordinator_id, group)  # kafka-python 3.0's own lookup
            assert lag.group_coordinator(settings.kafka_bootstrap, group) == told
    finally:
        a.close()


def test_kafka_python_produces_and_consumes(lab, settings):
    topic = "boletia.dead-letter"
    marker = uuid.uuid4().hex.encode()
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap.split(","), acks="all",
                             **kafka_adapter.security())
    meta = producer.send(topic, key=b"probe", value=marker).get(timeout=30)
    producer.close()
    found = observe.read_topic(topic, lambda m: m.value == marker, timeout=30)
    assert found and found[-1].value == marker and found[-1].offset == meta.offset


def test_source_and_sink_round_trip(lab, db):
    name = f"Opera {uuid.uuid4().hex[:8]}"
    event_id = db.eventos.insert_one(_event(name)).inserted_id

    on_eventos = observe.find_message("boletia.eventos", lambda d: d.get("_id") == event_id, 60)
    assert on_eventos is not None, "insert into eventos never reached topic boletia.eventos"
    assert on_eventos.document["nombre"] == name

    copy = _wait(lambda: db.inventario.find_one({"_id": event_id}), 60)
    assert copy is not None, "the sink never wrote the event into inventario"
    assert copy["nombre"] == name and copy["capacidad"] == 20

    # boletia.inventario carries full change events in the fixed design (documents in the
    # seed's): either way the message names the document it changed.
    def about_event(d: dict) -> bool:
        return (d.get("documentKey") or {}).get("_id") == event_id or d.get("_id") == event_id

    echo = observe.find_message("boletia.inventario", about_event, 60)
    assert echo is not None, "the sink's write into inventario never reached boletia.inventario"


def test_one_broker_down_acks_all_still_works_and_broker_rejoins_isr(lab, settings):
    topic = "boletia.dead-letter"
    lab.kill("kafka-3")
    try:
        assert lab.state("kafka-3") == "stopped"
        producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap.split(",")[:2],
                                 acks="all", retries=10, request_timeout_ms=15000,
                                 **kafka_adapter.security())
        markers = [uuid.uuid4().hex.encode() for _ in range(5)]
        for m in markers:
            producer.send(topic, value=m).get(timeout=60)
        producer.close()
        missing = set(markers)

        def all_seen(msg) -> bool:  # the markers are spread over 3 partitions
            missing.discard(msg.value)
            return not missing

        two_up = ",".join(settings.kafka_bootstrap.split(",")[:2])  # kafka-1 and kafka-2
        observe.read_topic(topic, all_seen, timeout=60, bootstrap=two_up)
        assert not missing, f"{len(missing)} of 5 messages produced with acks=all were lost"
    finally:
        lab.start("kafka-3")

    def all_in_sync():
        rows = kafka_adapter.partitions(settings.kafka_bootstrap, [topic])
        return rows and all(sorted(r["isr"]) == [1, 2, 3] for r in rows)

    assert _wait(all_in_sync, 90, 1.0), "kafka-3 did not rejoin the ISR"


def _sink_group(settings) -> str:
    """What Kafka says of the sink's consumer group, for a failure message."""
    a = kafka_adapter.admin(settings.kafka_bootstrap)
    try:
        g = a.describe_groups(["connect-mongo-sink"])["connect-mongo-sink"]
        return f"group connect-mongo-sink {g['group_state']} with {len(g['members'])} member(s)"
    finally:
        a.close()


def test_change_made_while_connect_is_down_is_published(lab, db, settings):
    lab.kill("connect")
    assert lab.state("connect") == "stopped"
    name = f"Mientras {uuid.uuid4().hex[:8]}"
    event_id = db.eventos.insert_one(_event(name)).inserted_id
    lab.start("connect")
    assert connectors.rest().get(f"{settings.connect_url}/connectors", timeout=10).ok

    msg = observe.find_message("boletia.eventos", lambda d: d.get("_id") == event_id, 90)
    assert msg is not None, "the change made while Connect was down was lost"
    # The sink resumes once the killed worker's consumer has left its group (a 10 s session).
    assert _wait(lambda: db.inventario.find_one({"_id": event_id}), 90), \
        f"the sink did not write the event in 90 s; {_sink_group(settings)}"


def test_sink_replay_waits_for_the_group_to_empty(lab, db, settings):
    """Kafka refuses to reset a consumer group that has members (a killed worker's consumer
    stays one until its session times out), and Connect answers "can be safely retried":
    the replay must wait them out, not fail. A member of our own stands in for the dead one
    for a known time."""
    import threading

    from kafka import KafkaConsumer

    connectors.stop(settings.connect_url, "mongo-sink")
    lingering = KafkaConsumer("boletia.eventos", group_id="connect-mongo-sink",
                              bootstrap_servers=settings.kafka_bootstrap.split(","),
                              enable_auto_commit=False, session_timeout_ms=10000,
                              **kafka_adapter.security())
    try:
        assert _wait(lambda: lingering.poll(timeout_ms=500) is not None and lingering.assignment(), 30)
        leave = threading.Timer(8.0, lingering.close)
        leave.start()
        started = time.monotonic()
        connectors.replay(settings.connect_url, "mongo-sink")
        waited = time.monotonic() - started
    finally:
        leave.cancel()
        lingering.close()
        connectors.resume(settings.connect_url, "mongo-sink")
    assert waited >= 7.0, f"the replay did not wait for the member to leave ({waited:.1f}s)"
    assert connectors.state(settings.connect_url, "mongo-sink")["connector"]["state"] == "RUNNING"
    name = f"Tras replay {uuid.uuid4().hex[:8]}"
    event_id = db.eventos.insert_one(_event(name)).inserted_id
    assert _wait(lambda: db.inventario.find_one({"_id": event_id}), 60), "the sink did not resume"


def test_connect_keeps_its_mongodb_connections_between_heartbeats(lab, settings):
    """SecantusDB answers the Java driver's second streamed heartbeat with a `responseTo` the
    driver refuses; at the default 10 s heartbeat every connector then dropped its pool every
    20 s, and the source's getMore in flight waited ~0.5 s (connectors.CONNECTOR_HEARTBEAT_MS).
    Over 25 s (more than two default heartbeats) no connector's monitor may fail."""
    logger = f"{settings.connect_url}/admin/loggers/org.mongodb.driver.cluster"
    before = connectors.rest().get(logger, timeout=10).json().get("level", "WARN")
    mark = lab.log_mark("connect")
    connectors.rest().put(logger, json={"level": "INFO"}, timeout=10).raise_for_status()
    try:
        time.sleep(25)
    finally:
        connectors.rest().put(logger, json={"level": before}, timeout=10)
    failures = [line for line in lab.logs("connect", lines=0, since=mark).splitlines()
                if "does not match the requestId" in line or "Exception in monitor thread" in line]
    assert not failures, "\n".join(failures[:4])
