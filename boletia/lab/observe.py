"""Helpers the notebooks and tests use to look inside the lab: topics, messages, lag."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bson import json_util
from kafka import KafkaConsumer, TopicPartition

from boletia import config


@dataclass
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None

    @property
    def document(self) -> dict[str, Any] | None:
        """The value as the source connector wrote it: (relaxed) extended JSON."""
        return json_util.loads(self.value) if self.value else None


def read_topic(topic: str, until: Callable[[Message], bool] | None = None,
               timeout: float = 30.0, bootstrap: str | None = None,
               from_beginning: bool = True) -> list[Message]:
    """Read `topic` without a consumer group (commits nothing) until `until` matches a
    message or the timeout passes; return what was read."""
    consumer = KafkaConsumer(
        bootstrap_servers=(bootstrap or config.settings().kafka_bootstrap).split(","),
        group_id=None, enable_auto_commit=False, consumer_timeout_ms=500)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        if from_beginning:
            consumer.seek_to_beginning(*parts)
        seen: list[Message] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for rec in consumer:
                msg = Message(rec.topic, rec.partition, rec.offset, rec.key, rec.value)
                seen.append(msg)
                if until and until(msg):
                    return seen
            if until is None and seen:
                break
        return seen
    finally:
        consumer.close()


def find_message(topic: str, predicate: Callable[[dict], bool], timeout: float = 30.0,
                 bootstrap: str | None = None) -> Message | None:
    """The first message on `topic` whose decoded document satisfies `predicate`."""
    def match(m: Message) -> bool:
        doc = m.document
        return doc is not None and predicate(doc)

    found = [m for m in read_topic(topic, match, timeout, bootstrap) if match(m)]
    return found[0] if found else None


CONSUMER_TOPICS = {"inventario": ["boletia.inventario", "boletia.reservas"],
                   "notificaciones": ["boletia.reservas"]}


def lag(group: str, bootstrap: str | None = None) -> dict[str, int]:
    """Messages on the group's topics that it has not committed yet, per topic."""
    from boletia.adapters import kafka

    return kafka.lag(bootstrap or config.settings().kafka_bootstrap, group, CONSUMER_TOPICS[group])


def wait_drained(groups=("inventario", "notificaciones"), quiet: float = 3.0,
                 timeout: float = 90.0, bootstrap: str | None = None) -> bool:
    """Wait until every group has committed everything on its topics and stayed so for
    `quiet` seconds (Connect may still be publishing the last changes). True if drained."""
    deadline = time.monotonic() + timeout
    calm_since = None
    while time.monotonic() < deadline:
        pending = sum(sum(lag(g, bootstrap).values()) for g in groups)
        if pending == 0:
            calm_since = calm_since or time.monotonic()
            if time.monotonic() - calm_since >= quiet:
                return True
        else:
            calm_since = None
        time.sleep(0.5)
    return False
