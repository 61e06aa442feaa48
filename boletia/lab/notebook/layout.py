"""The lab's picture as data, derived from the one component list: which boxes sit in which
row and column, and which arrows join them. Two renderers draw it: the control room's live
diagram (served as JSON by `GET /api/admin/layout`, laid out in pixels by
`static/control-diagram.js`) and the notebooks' matplotlib picture (`diagram.draw`).

Rows, top to bottom: the HTTP services, MongoDB's collections, Kafka's topics, the consumers
(with the lab's watchdog and the SES endpoint). Columns follow the data: collection i and its
topic share column i (the source connector's hop goes straight down), the dead letters take the
column after them, a consumer sits under the first topic it reads (or right of a consumer already
there), SES right of the consumers, a service above the collections it writes. What the
component list does not say (what each service and consumer writes, the booking's path) is
written here once.

Node ids (the browser tests and the notebooks use them): `api-<service>`, `col-<collection>`,
`top-<topic without its prefix>` (`top-dead` for the dead letters), `con-<consumer>`, `ses`,
`watchdog`.
"""

from __future__ import annotations

from typing import Any

from boletia import config
from boletia.lab.components import COMPONENTS, SINK_CONNECTOR, SINK_GROUP, Component

ROWS = ("services", "collections", "topics", "consumers")

# What the diagram shows each part writing (node id: [(target node id, label)]).
SERVICE_WRITES = {
    "eventos": (("col-eventos", "insert / cancel"),),
    "reservas": (("col-inventario", "findAndModify"), ("col-reservas", "cancel (X)")),
}
CONSUMER_WRITES = {
    "inventario": (("col-reservas", "insert / C"),),
    "reembolsos": (("col-inventario", "refund"),),
    "notificaciones": (("ses", "email"),),
}
SINK = ("top-eventos", "col-inventario")  # mongo-sink: the events' changes into `inventario`
# One booking's path: the hops `/control#booking-flow` shows (each an arrow of the picture).
BOOKING = (("api-reservas", "col-inventario"), ("col-inventario", "top-inventario"),
           ("top-inventario", "con-inventario"),
           ("con-inventario", "col-reservas"), ("col-reservas", "top-reservas"),
           ("top-reservas", "con-notificaciones"), ("con-notificaciones", "ses"))


def topic_id(topic: str) -> str:
    if topic == config.DEAD_LETTER_TOPIC:
        return "top-dead"
    return "top-" + topic.removeprefix(f"{config.DATABASE}.")


def picture(ports: config.Ports | None = None,
            components: tuple[Component, ...] = COMPONENTS) -> dict[str, Any]:
    """{rows, columns, nodes: [{id, row, col, title, sub, kind, comp?, topic?, group?, flow}],
    edges: [{from, to, kind, label, flow}], gutter: {mongo, connect, brokers}, sink}.
    `ports`: the titles' ports (the local runtime's by default)."""
    ports = ports or config.Ports()
    by_kind = {kind: [c for c in components if c.kind == kind] for kind in {c.kind for c in components}}
    column = {f"col-{c}": i for i, c in enumerate(config.COLLECTIONS)}
    extra = len(config.COLLECTIONS)  # the column right of the collections
    on_path = {n for hop in BOOKING for n in hop}
    nodes: list[dict[str, Any]] = []

    def node(id_: str, row: str, col: float, title: str, kind: str, sub: str = "", **more) -> None:
        nodes.append({"id": id_, "row": ROWS.index(row), "col": col, "title": title, "sub": sub,
                      "kind": kind, "flow": id_ in on_path, **more})

    mongo = by_kind["mongo"][0].name
    for c in by_kind["service"]:
        targets = [column[t] for t, _ in SERVICE_WRITES.get(c.name, ())] or [0]
        node(f"api-{c.name}", "services", sum(targets) / len(targets),
             f"{c.name} API :{c.ports(ports)[0]}", "service", comp=c.name)
    for coll in config.COLLECTIONS:
        node(f"col-{coll}", "collections", column[f"col-{coll}"], coll, "collection", "collection",
             comp=mongo)
    for i, topic in enumerate(config.TOPICS):
        node(topic_id(topic), "topics", i, topic, "topic", topic=topic)
    node(topic_id(config.DEAD_LETTER_TOPIC), "topics", extra, "dead letters", "topic",
         topic=config.DEAD_LETTER_TOPIC)
    taken = set()
    for c in by_kind["consumer"]:
        col = config.TOPICS.index(c.topics[0])
        while col in taken:  # two consumers of one topic (reembolsos, notificaciones): side by side
            col += 1
        taken.add(col)
        node(f"con-{c.name}", "consumers", col, c.name, "consumer", "consumer", comp=c.name, group=c.group)
    free = [i for i in range(extra) if i not in taken]
    for c in by_kind.get("watchdog", []):
        col = free.pop(0) if free else max(taken) + 1
        taken.add(col)
        node(c.name, "consumers", col, c.name, "watchdog", "restarts connectors", comp=c.name)
    ses = by_kind["ses"][0].name
    node(ses, "consumers", max(extra, max(taken) + 1), "SES", "external", "moto", comp=ses)

    edges: list[dict[str, Any]] = []

    def edge(a: str, b: str, kind: str, label: str = "") -> None:
        edges.append({"from": a, "to": b, "kind": kind, "label": label, "flow": (a, b) in BOOKING})

    for service, writes in SERVICE_WRITES.items():
        for target, label in writes:
            edge(f"api-{service}", target, "http", label)
    for coll, topic in zip(config.COLLECTIONS, config.TOPICS, strict=True):
        edge(f"col-{coll}", topic_id(topic), "source", "source")
    edge(*SINK, "sink", "sink")
    for c in by_kind["consumer"]:
        for topic in c.topics:
            edge(topic_id(topic), f"con-{c.name}", "consumer")
    for consumer, writes in CONSUMER_WRITES.items():
        for target, label in writes:
            edge(f"con-{consumer}", target, "consumer", label)
    ids = {n["id"] for n in nodes}
    assert all(e["from"] in ids and e["to"] in ids for e in edges), "an arrow to no box"
    return {"rows": list(ROWS), "columns": int(max(n["col"] for n in nodes)) + 1, "nodes": nodes,
            "edges": edges,
            "gutter": {"mongo": mongo, "connect": by_kind["connect"][0].name,
                       "brokers": [c.name for c in by_kind["kafka"]]},
            "sink": {"connector": SINK_CONNECTOR, "group": SINK_GROUP}}
