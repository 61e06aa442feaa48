"""The key-order experiment's pure part: which partition a key goes to, and which key moves
when a topic grows (lesson 08)."""

from __future__ import annotations

import pytest

from boletia.lab.experiments import order

# Kafka's own murmur2 test vectors (the Java client's UtilsTest.testMurmur2): signed 32-bit
JAVA_MURMUR2 = {"21": -973932308, "foobar": -790332482, "a-little-bit-long-string": -985981536,
                "a-little-bit-longer-string": -1486304829, "abc": 479470107,
                "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971}


@pytest.mark.parametrize("count", [1, 2, 3, 4, 6])
@pytest.mark.parametrize("key", sorted(JAVA_MURMUR2))
def test_partition_of_is_the_java_clients_choice(key, count):
    """Java: Utils.toPositive(Utils.murmur2(key)) % numPartitions."""
    assert order.partition_of(key, count) == (JAVA_MURMUR2[key] & 0x7FFFFFFF) % count


def test_the_moving_key_changes_partition_and_the_ones_before_it_do_not():
    key = order.moving_key(3, 4)
    assert order.partition_of(key, 3) != order.partition_of(key, 4)
    for earlier in order.NAMES[:order.NAMES.index(key)]:
        assert order.partition_of(earlier, 3) == order.partition_of(earlier, 4)


def test_no_moving_key_is_said_so():
    with pytest.raises(ValueError, match="moves from 3 to 3"):
        order.moving_key(3, 3)


@pytest.mark.parametrize(("topic", "design", "writer", "readers"), [
    ("boletia.inventario", "fixed", "mongo-source-inventario", ["inventario"]),
    ("boletia.reservas", "fixed", "mongo-source", ["notificaciones", "reembolsos"]),
    ("boletia.eventos", "fixed", "mongo-source", ["connect-mongo-sink"]),
    ("boletia.inventario", "seed", "mongo-source", ["inventario"]),
    ("boletia.dead-letter", "fixed", None, []),
])
def test_a_topic_grows_after_its_publisher_pauses_and_its_readers_catch_up(topic, design, writer, readers):
    plan = order.grow_plan(topic, design)
    assert plan["writer"] == writer
    assert sorted(plan["readers"]) == readers
