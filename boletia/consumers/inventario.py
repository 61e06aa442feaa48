"""Consumer `inventario`: records bookings, refunds cancellations, cancels reservations of
cancelled events (seed flow, steps 2-4: docs/seed-design.md). What a message means is the
design's (boletia/designs/)."""

from __future__ import annotations

from datetime import UTC, datetime

from boletia import config, designs
from boletia.adapters import mongo
from boletia.adapters.at_least_once import ALREADY_DONE, IGNORED, WROTE, Batched
from boletia.consumers import runner
from boletia.designs.base import Design
from boletia.domain import decisions

GROUP = "inventario"
TOPICS = ["boletia.inventario", "boletia.reservas"]


def make_handler(db, design: Design) -> Batched:
    """Decisions come one message at a time, from the design; their writes go to the store a
    partition batch at once (`mongo.apply_all`)."""

    def decide(topic: str, doc: dict) -> decisions.Decision:
        if topic == "boletia.inventario":
            return design.on_inventario(doc, datetime.now(UTC))
        return design.on_reservas(doc)

    def write(decided: list[decisions.Decision]) -> list[str]:
        """WROTE when a write changed something (the point a crash fault waits for),
        ALREADY_DONE when the writes found their work done (a redelivery)."""
        changed = mongo.apply_all(db, [d.writes for d in decided])
        return [IGNORED if not d.writes else WROTE if c else ALREADY_DONE
                for d, c in zip(decided, changed, strict=True)]
    return Batched(decide, write)


def main(hooks=None) -> None:
    s = config.settings()
    design = designs.get(s.design).prepared(s.student_module)
    client = mongo.client(s.mongo_uri, app_name=GROUP, operation_timeout_ms=10_000)
    runner.run(GROUP, TOPICS, make_handler(mongo.database(client), design), s, design, hooks=hooks)
