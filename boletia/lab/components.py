"""The lab's components, written once. Every runtime (its process table, compose services,
Kubernetes workloads), the lag and drain checks, the diagram and the status table derive
theirs from this list; tests keep the compose file and the manifests in step with it.

To add a consumer: add it here and to `CONSUMERS` in `boletia/product.py`, write
`boletia/consumers/<name>.py` with `main(hooks)`, and give it a service in
`lab-infra/compose.yaml` and `k8s/boletia.yaml` (the tests say if not; docs/architecture.md,
"How to add a consumer", step by step).
"""

from __future__ import annotations

from dataclasses import dataclass

from boletia.config import TOPICS, Ports


@dataclass(frozen=True)
class Component:
    name: str
    kind: str                     # mongo | ses | kafka | connect | service | consumer | watchdog
    health: str                   # how a runtime knows it is up: ping | http | plugins | ready
                                  # | port | alive
    group: str | None = None      # a consumer's group
    topics: tuple[str, ...] = ()  # what a consumer reads
    start_timeout: float = 90.0   # seconds a local start may take
    members: int = 1              # on docker and kind: MongoDB runs a replica set of 3
    host_side: bool = False       # a lab tool that runs on this machine on every runtime

    def ports(self, p: Ports) -> list[int]:
        """The loopback ports this component listens on in the local runtime."""
        if self.kind == "kafka":
            i = int(self.name.split("-")[1]) - 1
            return [p.kafka[i], p.controllers[i]]
        port = getattr(p, self.name, None)
        return [port] if isinstance(port, int) else []

    def instances(self) -> list[str]:
        """Its names on the container runtimes (one per replica-set member)."""
        return [self.name] if self.members == 1 else [f"{self.name}-{i + 1}" for i in range(self.members)]


COMPONENTS: tuple[Component, ...] = (
    Component("mongo", "mongo", "ping", members=3),
    Component("ses", "ses", "http"),
    *(Component(f"kafka-{i}", "kafka", "port", start_timeout=120) for i in (1, 2, 3)),
    Component("connect", "connect", "plugins", start_timeout=180),
    Component("eventos", "service", "http", start_timeout=30),
    Component("reservas", "service", "http", start_timeout=30),
    # the seed's one inventario consumer read both topics; split as its author advised, one
    # consumer per topic, so that neither topic's work waits behind the other's
    Component("inventario", "consumer", "ready", group="inventario",
              topics=("boletia.inventario",), start_timeout=60),
    Component("reembolsos", "consumer", "ready", group="reembolsos",
              topics=("boletia.reservas",), start_timeout=60),
    Component("notificaciones", "consumer", "ready", group="notificaciones",
              topics=("boletia.reservas",), start_timeout=60),
    Component("watchdog", "watchdog", "alive", start_timeout=20),  # restarts failed connectors
    Component("ui", "ui", "http", start_timeout=30, host_side=True),  # the control room
)
BY_NAME = {c.name: c for c in COMPONENTS}

SERVICES = tuple(c.name for c in COMPONENTS if c.kind == "service")
CONSUMERS = tuple(c.name for c in COMPONENTS if c.kind == "consumer")
APPS = (*SERVICES, *CONSUMERS)  # the design's code: restarted when the design changes
BROKERS = tuple(c.name for c in COMPONENTS if c.kind == "kafka")
WATCHERS = tuple(c.name for c in COMPONENTS if c.kind == "watchdog")
TOOLS = tuple(c.name for c in COMPONENTS if c.host_side)  # started last, on this machine

# The topics each consumer group reads (its lag is measured over these).
CONSUMER_TOPICS: dict[str, tuple[str, ...]] = {c.group: c.topics for c in COMPONENTS if c.group}
# Connect's sink reads like a consumer group of its own (`connect-<connector name>`): a
# pipeline is drained only when it has caught up too.
SINK_CONNECTOR = "mongo-sink"
SINK_GROUP = f"connect-{SINK_CONNECTOR}"
LAG_GROUPS: dict[str, tuple[str, ...]] = {**CONSUMER_TOPICS, SINK_GROUP: ("boletia.eventos",)}

assert all(t in TOPICS for topics in CONSUMER_TOPICS.values() for t in topics)
