"""What growing a topic does to one key's order (lesson 08, issue 27.4), with real records.

Kafka's default partitioner sends a key to `murmur2(key) % partitions`: grow the topic and the
same key may hash to another partition, and Kafka orders records only within a partition. Two
experiments, both on the running lab:

- `grow_and_read`: a scratch topic of the lab's own, a key's records before and after growing
  it, and two readers, one per partition, the old partition's reader a moment behind (as a
  member is that has just taken a partition in a rebalance): the newer records are processed
  before the older ones. The topic is deleted afterwards.
- `booking_keys`: where Boletia's own records of one booking land. Its source connectors key
  each record by the changed document's `_id` (the connector's default key, the change's
  `documentKey`): a booking's creation and its cancellation share a key, so one partition,
  in order, until the topic grows. `grow_drained` grows a lab topic without breaking that.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.partitioner.default import murmur2

from boletia import config
from boletia.adapters import kafka
from boletia.lab.components import LAG_GROUPS
from boletia.lab.errors import LabError
from boletia.lab.notebook import observe
from boletia.lab.setup import connectors

SCRATCH = "lab.orden"
NAMES = ("ana", "luis", "eve", "bea", "tomas", "rosa", "juan")


def partition_of(key: str, partitions: int) -> int:
    """The default partitioner's choice (kafka-python's and the Java client's: murmur2, sign
    bit cleared, modulo the count)."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def moving_key(before: int, after: int, names: Iterable[str] = NAMES) -> str:
    """The first name whose partition changes when the topic grows from `before` to `after`."""
    for name in names:
        if partition_of(name, before) != partition_of(name, after):
            return name
    raise ValueError(f"none of {list(names)} moves from {before} to {after} partitions")


def _send(producer: KafkaProducer, topic: str, key: str, n: int) -> dict:
    meta = producer.send(topic, key=key.encode(), value=f"{key} #{n}".encode()).get(timeout=30)
    return {"n": n, "partition": meta.partition, "offset": meta.offset}


def _producer(bootstrap: str) -> KafkaProducer:
    # a producer learns the partition count from its metadata: a fresh one after the growth
    return KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", linger_ms=0,
                         max_block_ms=30000, **kafka.security())


def _wait_partitions(bootstrap: str, topic: str, count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while len(kafka.partitions(bootstrap, [topic])) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{topic} did not show {count} partitions within {timeout:.0f} s")
        time.sleep(0.5)


def _read(bootstrap: str, topic: str, partition: int, want: int, log: list) -> None:
    """Read `want` records of one partition from its start, appending (n, partition, offset)
    to the shared log in the order they were processed."""
    c = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None,
                      enable_auto_commit=False, consumer_timeout_ms=10000, **kafka.security())
    try:
        c.assign([TopicPartition(topic, partition)])
        c.seek_to_beginning()
        got = 0
        for rec in c:
            log.append({"n": int(rec.value.decode().split("#")[1]), "partition": rec.partition,
                        "offset": rec.offset})
            got += 1
            if got == want:
                return
        raise TimeoutError(f"{topic}[{partition}]: read {got} of {want} records in 10 s")
    finally:
        c.close()


def grow_and_read(bootstrap: str, before: int = 3, after: int = 4, per_side: int = 3,
                  behind_s: float = 1.0) -> dict:
    """Write `per_side` records of one key, grow the topic, write `per_side` more; then read
    each partition with its own reader, the old partition's once the new one has read, and
    `behind_s` later. Returns the
    records as written (number, partition, offset), as processed, and whether a newer record
    was processed before an older one."""
    topic = f"{SCRATCH}-{uuid.uuid4().hex[:8]}"
    key = moving_key(before, after)
    admin = kafka.admin(bootstrap)
    try:
        admin.create_topics([NewTopic(topic, before, kafka.REPLICATION)])
        _wait_partitions(bootstrap, topic, before)
        p = _producer(bootstrap)
        try:
            old = [_send(p, topic, key, n) for n in range(1, per_side + 1)]
        finally:
            p.close()
        kafka.add_partitions(bootstrap, topic, after)
        _wait_partitions(bootstrap, topic, after)
        p = _producer(bootstrap)
        try:
            new = [_send(p, topic, key, n) for n in range(per_side + 1, 2 * per_side + 1)]
        finally:
            p.close()
        log: list[dict] = []
        new_reader = threading.Thread(target=_read, args=(bootstrap, topic, new[0]["partition"],
                                                          per_side, log))
        new_reader.start()
        # the old partition's reader is behind: it starts once the new one has read (a fixed
        # delay raced a slow consumer start on a loaded machine), and `behind_s` after that
        new_reader.join(timeout=30)
        time.sleep(behind_s)
        _read(bootstrap, topic, old[0]["partition"], per_side, log)
    finally:
        try:
            admin.delete_topics([topic])
        finally:
            admin.close()
    order = [r["n"] for r in log]
    return {"topic": topic, "key": key, "before": before, "after": after, "written": old + new,
            "processed": log, "overtaken": order != sorted(order)}


def booking_keys(bootstrap: str, reserva_ids: list[str], topic: str = "boletia.reservas",
                 timeout: float = 60.0) -> dict[str, list[dict]]:
    """Each reservation's records on `topic` (its creation, its cancellation): key, estado,
    partition and offset, read from the topic's start until every reservation has two; and
    the partition the default partitioner gives its key (`computed`)."""
    wanted: dict[str, list[dict]] = {str(r): [] for r in reserva_ids}
    count = len(kafka.partitions(bootstrap, [topic]))

    def note(m: observe.Message) -> bool:
        doc = m.document or {}
        if str(doc.get("_id", "")) in wanted:
            key = m.key.decode()
            wanted[str(doc["_id"])].append({"estado": doc.get("estado"), "key": key,
                                            "partition": m.partition, "offset": m.offset,
                                            "computed": partition_of(key, count)})
        return all(len(v) >= 2 for v in wanted.values())

    observe.read_topic(topic, until=note, timeout=timeout, bootstrap=bootstrap)
    return wanted


# ------------------------------------------------------------ growing a lab topic, drained
def grow_plan(topic: str, design: str) -> dict:
    """Who must pause and who must catch up before `topic` grows: the source connector that
    publishes it (None for a topic no connector writes), and every group that reads it."""
    writer = None
    collection = topic.removeprefix(f"{config.DATABASE}.")
    if topic in config.TOPICS:
        try:
            writer = connectors.publisher(design, collection)
        except LabError:
            writer = None  # a design whose connectors do not publish it
    return {"writer": writer, "readers": [g for g, topics in LAG_GROUPS.items() if topic in topics]}


def grow_drained(settings, topic: str, count: int, design: str, report=lambda line: None,
                 timeout: float = 120.0) -> dict:
    """Grow a lab topic so that no key's older record is still unread when its newer ones may
    land on another partition: pause the connector that publishes it, wait until every group
    that reads it has caught up (lag 0 for a second, `observe.wait_drained`), grow it, resume the
    connector. Bookings go on being answered meanwhile; their changes wait in the change
    stream and are published, on the new count, once the connector resumes."""
    plan = grow_plan(topic, design)
    writer, readers = plan["writer"], plan["readers"]
    begun = time.monotonic()
    if writer:
        connectors.pause(settings.connect_url, writer)
        report(f"{writer} paused: nothing new reaches {topic}")
    try:
        if readers:
            try:
                observe.wait_drained(tuple(readers), quiet=1.0, timeout=timeout,
                                     bootstrap=settings.kafka_bootstrap)
            except TimeoutError as exc:
                raise LabError(f"{topic} was not drained, so nothing was grown: {exc}") from None
            report(f"{', '.join(readers)}: lag 0")
        drained_s = round(time.monotonic() - begun, 1)
        kafka.add_partitions(settings.kafka_bootstrap, topic, count)
        _wait_partitions(settings.kafka_bootstrap, topic, count)
    finally:
        if writer:
            connectors.resume(settings.connect_url, writer)
            report(f"{writer} resumed")
    return {"topic": topic, "partitions": count, "paused": writer, "readers": sorted(readers),
            "drained_s": drained_s, "paused_s": round(time.monotonic() - begun, 1)}
