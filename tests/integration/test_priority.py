"""The email path's yield on the real brokers: while messages pour into its topic the
consumer fetches nothing (kafka-python's pause, the end offsets read from the brokers), and
when they stop it handles every one of them, once, and commits."""

from __future__ import annotations

import threading
import time
import uuid

from kafka import KafkaProducer

from boletia.adapters import kafka as adapter
from boletia.adapters.at_least_once import AtLeastOnceConsumer
from boletia.consumers.priority import Yield


def test_a_consumer_holds_while_its_topic_fills_fast_then_handles_everything(settings, scratch_topic):
    topic = scratch_topic
    handled: list[tuple[float, int]] = []
    logs: list[str] = []
    consumer = AtLeastOnceConsumer(
        f"test-yield-{uuid.uuid4().hex[:8]}", [topic],
        lambda r: handled.append((time.monotonic(), int(r.value))) or True,
        settings.kafka_bootstrap, log=logs.append, priority=Yield(above=40, interval=0.5))
    stop = threading.Event()
    runner = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    runner.start()
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap.split(","), acks="all",
                             **adapter.security())
    try:
        time.sleep(8)  # joined and assigned before the load starts
        assert not any(m.startswith("yield") for m in logs), logs
        started = time.monotonic()
        for i in range(600):  # 150/s for 4 s
            producer.send(topic, key=str(i % 7).encode(), value=str(i).encode())
            time.sleep(max(0.0, started + (i + 1) / 150 - time.monotonic()))
        producer.flush(timeout=30)
        ended = time.monotonic()
        deadline = ended + 60
        while len(handled) < 600 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        producer.close()
        stop.set()
        runner.join(timeout=30)
    assert sorted(v for _, v in handled) == list(range(600))   # all of them, once
    assert any(m.startswith("yield") for m in logs), logs
    assert any(m.startswith("resume") for m in logs), logs
    # held while they poured in: at most the first second's worth got through before
    # the first sample saw the rate, none in the load's last two seconds
    during = [t for t, _ in handled if started + 2 < t < ended]
    assert during == [], f"{len(during)} handled while 150/s arrived: {logs}"
    assert consumer.stats["held_s"] > 1.5
