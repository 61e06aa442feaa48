"""Helpers the notebooks and tests use to look inside the lab: topics, messages, lag."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bson import json_util
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from boletia import config
from boletia.adapters.kafka import security
from boletia.config import DEAD_LETTER_TOPIC
from boletia.lab.components import LAG_GROUPS
from boletia.lab.notebook.lag import LagProbe

_lab: config.Settings | None = None


def use(settings: config.Settings) -> None:
    """The lab a notebook opened (`open_lab`): its addresses become every helper's default, so a
    lesson run with `runtime = "docker"` reads that lab's published ports, not the local ones."""
    global _lab
    _lab = settings


def _settings() -> config.Settings:
    return _lab or config.settings()


@dataclass
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int = 0  # milliseconds since the epoch
    headers: list | None = None

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
        bootstrap_servers=(bootstrap or _settings().kafka_bootstrap).split(","),
        group_id=None, enable_auto_commit=False, consumer_timeout_ms=500, **security())
    try:
        deadline = time.monotonic() + timeout
        # a topic Connect creates on its first record may not exist yet: wait for it within
        # the timeout (an empty assignment cannot seek)
        while not (found := consumer.partitions_for_topic(topic)) and time.monotonic() < deadline:
            time.sleep(0.5)
            consumer.topics()  # asks the brokers for fresh metadata
        if not found:
            return []
        parts = [TopicPartition(topic, p) for p in found]
        consumer.assign(parts)
        if from_beginning:
            consumer.seek_to_beginning(*parts)
        seen: list[Message] = []
        while time.monotonic() < deadline:
            for rec in consumer:
                msg = Message(rec.topic, rec.partition, rec.offset, rec.key, rec.value,
                              rec.timestamp, rec.headers)
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


def lag_probe(groups: dict[str, tuple[str, ...]] | None = None,
              bootstrap: str | None = None) -> LagProbe:
    """One long-lived lag reader for the lab's groups (the consumers and Connect's sink)."""
    return LagProbe(bootstrap or _settings().kafka_bootstrap, groups or LAG_GROUPS)


def lag(group: str, bootstrap: str | None = None) -> dict[str, int]:
    """Messages on the group's topics that it has not committed yet, per topic."""
    with lag_probe({group: LAG_GROUPS[group]}, bootstrap) as probe:
        return probe.sample()[group]


def lags(bootstrap: str | None = None) -> dict[str, dict[str, int]]:
    """Every group's lag, group -> topic -> messages: the consumers and Connect's sink."""
    with lag_probe(bootstrap=bootstrap) as probe:
        return probe.sample()


def committed(group: str, topic: str, partition: int, bootstrap: str | None = None) -> int | None:
    """The offset `group` has committed on one partition (the next message it will read),
    or None when it has committed nothing there."""
    from boletia.adapters import kafka

    offsets = kafka.group_offsets(bootstrap or _settings().kafka_bootstrap, [group]).get(group, {})
    found = offsets.get(TopicPartition(topic, partition))
    return found.offset if found is not None and found.offset >= 0 else None


def wait_drained(groups=tuple(LAG_GROUPS), quiet: float = 2.0, timeout: float = 90.0,
                 bootstrap: str | None = None) -> float:
    """Wait until every group in `groups` has committed everything on its topics and stayed
    so for `quiet` seconds (Connect may still be publishing the last changes). Returns the
    seconds it took; raises TimeoutError naming what is left."""
    begun = time.monotonic()
    calm_since = None
    with lag_probe({g: LAG_GROUPS[g] for g in groups}, bootstrap) as probe:
        while True:
            now = time.monotonic()
            try:
                sampled = probe.sample()
            except KafkaError as exc:
                # a group's coordinator moving after a broker restart can take longer than the
                # probe's own retries: not drained yet, ask again until the timeout
                if not getattr(exc, "retriable", False):
                    raise
                sampled = {"(lag unknown)": {repr(exc): 1}}
            left = {g: {t: n for t, n in per.items() if n} for g, per in sampled.items()}
            left = {g: per for g, per in left.items() if per}
            if not left:
                calm_since = calm_since or now
                if now - calm_since >= quiet:
                    return now - begun
            else:
                calm_since = None
            if now - begun > timeout:
                raise TimeoutError(
                    f"the consumers did not catch up in {timeout:.0f}s: still behind {left}. "
                    "Is every component running (`boletia lab status`)? Is a fault armed "
                    "(`boletia lab clear-faults`)?")
            time.sleep(0.25)


def wait_for(probe: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll `probe()` until it returns something truthy and return it; raise TimeoutError
    saying `what` did not happen. A demo that waited in vain must not carry on."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not seen within {timeout:.0f}s")
        time.sleep(interval)


def replay_dead_letter(where: str, bootstrap: str | None = None) -> dict:
    """Publish a dead letter (named `topic[partition]@offset`, as `boletia lab dead-letters`
    lists it) back onto its topic: after a fix, its consumers handle it again (idempotently)."""
    from kafka import KafkaProducer

    bootstrap = bootstrap or _settings().kafka_bootstrap
    for m in read_topic(DEAD_LETTER_TOPIC, timeout=3, bootstrap=bootstrap):
        h = {k: v.decode("utf-8", "replace") for k, v in (m.headers or [])}
        if f"{h.get('topic')}[{h.get('partition')}]@{h.get('offset')}" == where:
            if h.get("body") == "by-reference":
                raise LookupError(f"{where} was dead-lettered by reference (its {h.get('size')} "
                                  f"bytes were too large to copy): read it at {where} itself, "
                                  "while the topic's retention keeps it")
            producer = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all",
                                     **security())
            try:
                meta = producer.send(h["topic"], key=m.key, value=m.value,
                                     headers=[("replayed-from", where.encode())]).get(timeout=30)
            finally:
                producer.close()
            return {"replayed": where, "to": f"{meta.topic}[{meta.partition}]@{meta.offset}"}
    raise LookupError(f"no dead letter from {where}; `boletia lab dead-letters` lists them")


def dead_letters(since: float | None = None, bootstrap: str | None = None) -> list[dict]:
    """Every message on the dead-letter topic (published after `since`, epoch seconds): where
    it came from, why, and the document it carried."""
    out = []
    for m in read_topic(DEAD_LETTER_TOPIC, timeout=3, bootstrap=bootstrap):
        if since is not None and m.timestamp < since * 1000:
            continue
        h = {k: v.decode("utf-8", "replace") for k, v in (m.headers or [])}
        try:
            document = m.document
        except Exception:  # noqa: BLE001 - undecodable: that may be why it is here
            document = None
        out.append({"where": f"{h.get('topic')}[{h.get('partition')}]@{h.get('offset')}",
                    "group": h.get("group"), "reason": h.get("reason"), "document": document,
                    "at": m.timestamp / 1000})
    return out


# ---------------------------------------------------------------- what the notebooks show
def quorum_status() -> str:
    """The KRaft controller quorum, as Kafka's own `kafka-metadata-quorum` tool prints it."""
    import subprocess
    import tempfile

    from boletia import config
    from boletia.lab.setup import credentials, jars

    login = config.kafka_login(_settings())
    # the lab's login, when it has one, in a file only this user reads (mkstemp: 0600), deleted
    # after: never on the tool's command line
    with tempfile.NamedTemporaryFile("w", suffix=".properties") as props:
        extra = []
        if login:
            props.write(credentials.client_properties(*login))
            props.flush()
            extra = ["--command-config", props.name]
        out = subprocess.run(
            [jars.java(), "-Dlog4j2.level=ERROR", "-cp", f"{jars.kafka_libs()}/*",
             "org.apache.kafka.tools.MetadataQuorumCommand",
             "--bootstrap-server", _settings().kafka_bootstrap, *extra, "describe", "--status"],
            capture_output=True, text=True, timeout=60)
    return out.stdout or out.stderr


def connect_overview(url: str | None = None) -> dict:
    """Connect's worker, every connector with its type, state and tasks (and the worker
    that runs each), and what each worker of the cluster holds (`lab scale connect=N`)."""
    from boletia.lab import groups
    from boletia.lab.setup.connectors import rest

    url = url or _settings().connect_url
    worker = rest().get(url, timeout=10).json()
    status = rest().get(f"{url}/connectors", params={"expand": "status"}, timeout=10).json()
    connectors = {
        name: {"type": v["status"]["type"], "state": v["status"]["connector"]["state"],
               "worker": v["status"]["connector"]["worker_id"],
               "tasks": [t["state"] for t in v["status"]["tasks"]],
               "task_workers": [t.get("worker_id") for t in v["status"]["tasks"]]}
        for name, v in sorted(status.items())}
    return {"worker": worker, "connectors": connectors, "workers": groups.worker_holdings(status)}


class Sampler:
    """Sample values (lag per group, availability per event…) in the background while an
    experiment runs, for a plot afterwards. `probe()` returns {series name: value}; marks
    (`mark("load starts")`) are drawn as vertical lines.

        with Sampler(lambda: {"a": 1.0}, every=0.25) as s:
            s.mark("load starts"); run_experiment(); s.mark("load ends")
        s.plot("title", "unit")
    """

    def __init__(self, probe: Callable[[], dict[str, float]], every: float = 0.5,
                 on_close: Callable[[], None] | None = None):
        import threading

        self.probe, self.every, self._on_close = probe, every, on_close
        self.t: list[float] = []
        self.series: dict[str, list[float]] = {}
        self.marks: list[tuple[float, str]] = []
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            tick = time.monotonic()
            try:
                values = self.probe()
            except Exception:  # noqa: BLE001 - a probe failing mid-fault is data too
                values = {}
            self.t.append(tick - self._start)
            for name in set(self.series) | set(values):
                column = self.series.setdefault(name, [float("nan")] * (len(self.t) - 1))
                column.append(float(values.get(name, float("nan"))))
            self._stop.wait(max(0.0, self.every - (time.monotonic() - tick)))

    def mark(self, label: str) -> None:
        self.marks.append((time.monotonic() - self._start, label))

    def __enter__(self) -> Sampler:
        self._start = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        time.sleep(self.every)  # one sample after the experiment
        self._stop.set()
        self._thread.join()
        if self._on_close:
            self._on_close()

    @property
    def interval(self) -> float:
        """The median time between samples, as achieved (not as asked)."""
        import statistics

        gaps = [b - a for a, b in zip(self.t, self.t[1:], strict=False)]
        return statistics.median(gaps) if gaps else float("nan")

    def last_nonzero(self, name: str) -> float | None:
        """When `name` was last above zero (None: never): the moment it drained."""
        hits = [t for t, v in zip(self.t, self.series.get(name, []), strict=False) if v and v > 0]
        return hits[-1] if hits else None

    def plot(self, title: str, ylabel: str, ax=None, step: bool = True):
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 3.2))
        # by name (a group keeps its colour from run to run); each line drawn narrower and above the
        # one before: where two coincide (both at zero) the one below still shows on either side
        for k, (name, values) in enumerate(sorted(self.series.items())):
            xs = self.t[:len(values)]
            style = {"label": name, "lw": max(2.8 - 0.8 * k, 1.0), "zorder": 2 + k}
            if step:
                ax.step(xs, values, where="post", **style)
            else:
                ax.plot(xs, values, **style)
        # a mark is named in the legend, not written on the plot: no label over a line
        for (at, label), style in zip(self.marks, ("--", ":", "-.", (0, (5, 5))) * 4, strict=False):
            ax.axvline(at, color="#777", ls=style, lw=1, label=f"{label} ({at:.1f} s)")
        # a little room below zero: a series that stays at 0 is drawn above the axis, not hidden by it
        top = max([v for values in self.series.values() for v in values if v is not None] + [1])
        ax.set_ylim(bottom=-0.04 * top)
        ax.set_title(title)
        ax.set_xlabel("seconds")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
        return ax


def lag_sampler(groups=tuple(LAG_GROUPS), every: float = 0.25,
                bootstrap: str | None = None) -> Sampler:
    """A Sampler of each group's total lag, read through ONE admin client the whole time."""
    probe = lag_probe({g: LAG_GROUPS[g] for g in groups}, bootstrap)
    return Sampler(lambda: {g: sum(per.values()) for g, per in probe.sample().items()},
                   every=every, on_close=probe.close)


def topic_size(topic: str, bootstrap: str | None = None) -> int:
    """How many messages a topic holds (sum of its partitions' end offsets)."""
    consumer = KafkaConsumer(bootstrap_servers=(bootstrap or _settings().kafka_bootstrap).split(","),
                             group_id=None, enable_auto_commit=False, **security())
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(parts).values())
    finally:
        consumer.close()
