"""The lab's components, written once: every runtime, the lag and drain checks, the diagram
and the status table derive theirs from this list."""

from __future__ import annotations

from boletia.config import TOPICS

SERVICES = ("eventos", "reservas")
CONSUMERS = ("inventario", "notificaciones")
APPS = (*SERVICES, *CONSUMERS)  # what every runtime restarts when the design changes

# The topics each consumer group reads (its lag is measured over these).
CONSUMER_TOPICS: dict[str, tuple[str, ...]] = {
    "inventario": ("boletia.inventario", "boletia.reservas"),
    "notificaciones": ("boletia.reservas",),
}
# Connect's sink reads like a consumer group of its own (`connect-<connector name>`): a
# pipeline is drained only when it has caught up too.
SINK_CONNECTOR = "mongo-sink"
SINK_GROUP = f"connect-{SINK_CONNECTOR}"
LAG_GROUPS: dict[str, tuple[str, ...]] = {**CONSUMER_TOPICS, SINK_GROUP: ("boletia.eventos",)}

assert set(CONSUMER_TOPICS) == set(CONSUMERS) and all(
    t in TOPICS for topics in CONSUMER_TOPICS.values() for t in topics)
