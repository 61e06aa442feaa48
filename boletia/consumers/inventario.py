"""Consumer `inventario`: records bookings and cancels the reservations of cancelled events, from
boletia.inventario (seed flow, steps 2 and 4: docs/seed-design.md). The seed's one consumer also
read boletia.reservas; its author advised one consumer per topic, and the lab splits it: the
refunds are `reembolsos`' (consumers/reembolsos.py). What a message means is the design's
(boletia/designs/)."""

from __future__ import annotations

from datetime import UTC, datetime

from boletia import config, designs
from boletia.adapters import mongo
from boletia.adapters.at_least_once import Batched
from boletia.consumers import runner
from boletia.designs.base import Design

GROUP = "inventario"
TOPICS = ["boletia.inventario"]


def make_handler(db, design: Design) -> Batched:
    """Decisions come one message at a time, from the design; their writes go to the store a
    partition batch at once (`runner.store_writes`)."""
    return Batched(lambda topic, doc: design.on_inventario(doc, datetime.now(UTC)), runner.store_writes(db))


def main(hooks=None) -> None:
    s = config.settings()
    design = designs.get(s.design).prepared(s.student_module)
    client = mongo.connect(s, app_name=GROUP, operation_timeout_ms=10_000)
    runner.run(GROUP, TOPICS, make_handler(mongo.database(client), design), s, design, hooks=hooks)
