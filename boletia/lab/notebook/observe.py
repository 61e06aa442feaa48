"""Helpers the notebooks and tests use to look inside the lab: topics, messages, lag."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bson import json_util
from kafka import KafkaConsumer, TopicPartition

from boletia import config
from boletia.lab.components import CONSUMERS


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


def lags(bootstrap: str | None = None) -> dict[str, dict[str, int]]:
    """Every consumer group's lag, group -> topic -> messages: what the checker judges."""
    return {g: lag(g, bootstrap) for g in CONSUMER_TOPICS}


def wait_drained(groups=CONSUMERS, quiet: float = 3.0,
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


# ---------------------------------------------------------------- what the notebooks show
def quorum_status() -> str:
    """The KRaft controller quorum, as Kafka's own `kafka-metadata-quorum` tool prints it."""
    import subprocess

    from boletia.lab.setup import jars

    out = subprocess.run(
        [jars.java(), "-Dlog4j2.level=ERROR", "-cp", f"{jars.KAFKA_LIBS}/*",
         "org.apache.kafka.tools.MetadataQuorumCommand",
         "--bootstrap-server", config.settings().kafka_bootstrap, "describe", "--status"],
        capture_output=True, text=True, timeout=60)
    return out.stdout or out.stderr


def connect_overview(url: str | None = None) -> dict:
    """Connect's worker, and every connector with its type, state and tasks."""
    import requests

    url = url or config.settings().connect_url
    worker = requests.get(url, timeout=10).json()
    status = requests.get(f"{url}/connectors", params={"expand": "status"}, timeout=10).json()
    connectors = {
        name: {"type": v["status"]["type"], "state": v["status"]["connector"]["state"],
               "worker": v["status"]["connector"]["worker_id"],
               "tasks": [t["state"] for t in v["status"]["tasks"]]}
        for name, v in sorted(status.items())}
    return {"worker": worker, "connectors": connectors}


class Sampler:
    """Sample values (lag per group, availability per event…) in the background while an
    experiment runs, for a plot afterwards.

        with Sampler({"inventario": lambda: sum(lag("inventario").values())}) as s:
            run_experiment()
        s.plot()
    """

    def __init__(self, probes: dict[str, Callable[[], float]], every: float = 0.5):
        import threading

        self.probes, self.every = probes, every
        self.t: list[float] = []
        self.series: dict[str, list[float]] = {k: [] for k in probes}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        start = time.monotonic()
        while not self._stop.is_set():
            self.t.append(time.monotonic() - start)
            for name, probe in self.probes.items():
                try:
                    self.series[name].append(float(probe()))
                except Exception:  # noqa: BLE001 - a probe failing mid-fault is data too
                    self.series[name].append(float("nan"))
            self._stop.wait(self.every)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        time.sleep(self.every)  # one sample after the experiment
        self._stop.set()
        self._thread.join()

    def plot(self, title: str, ylabel: str, ax=None, step: bool = True):
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 3.2))
        for name, values in self.series.items():
            xs = self.t[:len(values)]
            if step:
                ax.step(xs, values, label=name, where="post")
            else:
                ax.plot(xs, values, label=name)
        ax.set_title(title)
        ax.set_xlabel("seconds")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
        return ax


def topic_size(topic: str, bootstrap: str | None = None) -> int:
    """How many messages a topic holds (sum of its partitions' end offsets)."""
    consumer = KafkaConsumer(bootstrap_servers=(bootstrap or config.settings().kafka_bootstrap).split(","),
                             group_id=None, enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(parts).values())
    finally:
        consumer.close()
