"""The lab's view of consumer lag and group coordinators (kafka-python's admin client): what
the notebooks, the drain, the control room and the chaos scenarios measure. Not the product's:
the product's consumers never ask."""

from __future__ import annotations

import struct
import time

from kafka.errors import KafkaError

from boletia.adapters.kafka import admin, partitions


def java_string_hash(s: str) -> int:
    """Java's `String.hashCode()` (over UTF-16 code units), as a signed 32-bit int."""
    data = s.encode("utf-16-be")
    h = 0
    for unit in struct.unpack(f">{len(data) // 2}H", data):
        h = (31 * h + unit) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def group_coordinator(bootstrap: str, group: str) -> int:
    """The broker id coordinating a consumer group: the leader of the `__consumer_offsets`
    partition the group's id hashes to (Kafka's own rule, `abs(groupId.hashCode()) % n`).
    Its loss is the harshest one-broker fault for a consumer: commits and heartbeats go there."""
    rows = partitions(bootstrap, ["__consumer_offsets"])
    if not rows:
        raise RuntimeError("topic __consumer_offsets does not exist yet: no group has committed")
    return rows[(java_string_hash(group) & 0x7FFFFFFF) % len(rows)]["leader"]



class LagProbe:
    """The lag of several consumer groups, sampled through ONE long-lived admin client (two
    requests a sample, a few milliseconds): end offsets minus each group's committed offsets,
    per topic. A group with no commit on a partition lags by everything the partition holds."""

    def __init__(self, bootstrap: str, groups: dict[str, tuple[str, ...]]):
        from kafka import TopicPartition

        self.groups = groups
        self._bootstrap = bootstrap
        self._admin = admin(bootstrap)
        topics = sorted({t for ts in groups.values() for t in ts})
        described = self._admin.describe_topics(topics)
        self._partitions = [TopicPartition(t["name"], p["partition_index"])
                            for t in described for p in t["partitions"]]

    def sample(self, attempts: int = 5) -> dict[str, dict[str, int]]:
        """group -> topic -> messages not yet committed. A retriable error (a coordinator or
        a leader that moved with a restarted broker) is retried with a short back-off, through
        a new admin client: kafka-python's keeps each group's coordinator cached and asks the
        old one again (seen answering NotCoordinator for 90 s after a broker restart)."""
        for attempt in range(attempts):
            try:
                return self._sample()
            except KafkaError as exc:
                if not getattr(exc, "retriable", False) or attempt == attempts - 1:
                    raise
                time.sleep(0.2 * 2 ** attempt)
                self._reopen()
        raise AssertionError("unreachable")

    def _sample(self) -> dict[str, dict[str, int]]:
        from kafka.admin import OffsetSpec

        ends = self._admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in self._partitions})
        begins = None
        committed = self._admin.list_group_offsets(list(self.groups))
        out: dict[str, dict[str, int]] = {}
        for group, topics in self.groups.items():
            mine = committed.get(group, {})
            per_topic = dict.fromkeys(topics, 0)
            for tp in self._partitions:
                if tp.topic not in per_topic:
                    continue
                done = mine.get(tp)
                if done is None or done.offset < 0:
                    if begins is None:
                        begins = self._admin.list_partition_offsets(
                            {p: OffsetSpec.EARLIEST for p in self._partitions})
                    start = begins[tp].offset
                else:
                    start = done.offset
                per_topic[tp.topic] += max(0, ends[tp].offset - start)
            out[group] = per_topic
        return out

    def _reopen(self) -> None:
        try:
            fresh = admin(self._bootstrap)
        except KafkaError:
            return  # no broker answers now: the next attempt tries the old client again
        try:
            self._admin.close()
        except Exception:  # noqa: BLE001 - the old client may be half broken: that is why
            pass
        self._admin = fresh

    def close(self) -> None:
        self._admin.close()

    def __enter__(self) -> LagProbe:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def lag(bootstrap: str, group: str, topics: list[str]) -> dict[str, int]:
    """Per topic: end offset minus the group's committed offset (all of it if none)."""
    with LagProbe(bootstrap, {group: tuple(topics)}) as probe:
        return probe.sample()[group]
