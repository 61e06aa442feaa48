"""A member of a consumer group left holding nothing while its topic's partitions have no owner
asks the group again, on the real brokers (`AtLeastOnceConsumer._check_idle`). In CI a fresh
lab's `inventario`, alone in its group, was once assigned none and never rejoined; here the
group's first assignment is made empty on purpose (an assignor that gives nothing once), the
rest is Kafka's."""

from __future__ import annotations

import threading
import time
import uuid

from kafka import KafkaProducer
from kafka.coordinator.assignors.abstract import ConsumerProtocolAssignment
from kafka.coordinator.assignors.range import RangePartitionAssignor

from boletia.adapters import kafka as adapter
from boletia.adapters.at_least_once import IDLE_CHECK_S, AtLeastOnceConsumer


class Starving(RangePartitionAssignor):
    """`range`, except that it gives every member nothing while `starving`."""

    starving = True

    @classmethod
    def assign(cls, cluster, members):
        if cls.starving:
            return {m.member_id: ConsumerProtocolAssignment(cls.version, [], b"") for m in members}
        return super().assign(cluster, members)


def test_a_member_given_none_of_its_unowned_partitions_asks_again_and_reads_them(settings, scratch_topic):
    topic = scratch_topic
    handled, logs = [], []
    consumer = AtLeastOnceConsumer(f"test-idle-{uuid.uuid4().hex[:8]}", [topic],
                                   lambda r: handled.append(int(r.value)) or True,
                                   settings.kafka_bootstrap, log=logs.append)
    consumer.assignor = Starving
    stop = threading.Event()
    runner = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    runner.start()
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap.split(","), acks="all",
                             **adapter.security())
    try:
        # starved until kafka-python has settled: it rejoins by itself when it sees its topics'
        # partitions change (a topic made a moment ago does), and then no more
        settle = time.monotonic() + 30
        settled = False
        while time.monotonic() < settle and not settled:
            settled = _settled_with_none(settings, consumer.group)
        released = len(logs)
        Starving.starving = False
        for i in range(30):
            producer.send(topic, key=str(i).encode(), value=str(i).encode())
        producer.flush(timeout=30)
        deadline = time.monotonic() + 4 * IDLE_CHECK_S + 30
        while len(handled) < 30 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        producer.close()
        stop.set()
        runner.join(timeout=30)
    assert settled, logs
    rebalances = [m for m in logs if m.startswith("rebalance generation")]
    assert rebalances[0].startswith("rebalance generation 1 assigned none; holds none"), logs
    rejoin = f"rejoin {consumer.group}: {topic}[0],{topic}[1],{topic}[2] held by no member"
    asked = [i for i, m in enumerate(logs) if m.startswith(rejoin) and i >= released]
    assert asked, logs
    given = [i for i, m in enumerate(logs) if m.startswith("rebalance generation")
             and f"assigned {topic}[0],{topic}[1],{topic}[2]" in m]
    assert given and given[0] > asked[0], logs  # given them after it asked, not before
    assert sorted(handled) == list(range(30)), logs


def _settled_with_none(settings, group: str) -> bool:
    """The group Stable for 2 s, its one member holding nothing."""
    time.sleep(0.5)
    for _ in range(2):
        [member] = adapter.group_members(settings.kafka_bootstrap, [group])[group] or [None]
        if member is None or member["group_state"] != "Stable" or member["partitions"] != []:
            return False
        time.sleep(2)
    return True
