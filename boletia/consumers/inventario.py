"""Consumer `inventario`: records bookings, refunds cancellations, cancels reservations of
cancelled events (seed flow, steps 2-4: docs/seed-design.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from boletia import config
from boletia.adapters import mongo
from boletia.adapters.kafka import ALREADY_DONE, IGNORED, WROTE, Batched
from boletia.consumers import runner, student
from boletia.domain import decisions, messages

GROUP = "inventario"
TOPICS = ["boletia.inventario", "boletia.reservas"]


def make_handler(db, design: str, rules=None) -> Batched:
    """`rules`: the student design's module (its `booking_in` and `refund` replace the fixed
    design's). Decisions come one message at a time; their writes go to the store a
    partition batch at once (`mongo.apply_all`)."""
    booking_in = rules.booking_in if rules is not None else decisions.booking_written
    refund = rules.refund if rules is not None else None

    def decide(topic: str, doc: dict) -> decisions.Decision:
        if topic == "boletia.inventario":
            messages.inventario(doc, design)
            now = datetime.now(UTC)
            return (decisions.on_inventario(doc, now) if design == "seed"
                    else decisions.on_inventario_change(doc, now, booking_in))
        return decisions.on_reservas(messages.reservation(doc), design, refund)

    def write(decided: list[decisions.Decision]) -> list[str]:
        """WROTE when a write changed something (the point a crash fault waits for),
        ALREADY_DONE when the writes found their work done (a redelivery)."""
        changed = mongo.apply_all(db, [d.writes for d in decided])
        return [IGNORED if not d.writes else WROTE if c else ALREADY_DONE
                for d, c in zip(decided, changed, strict=True)]
    return Batched(decide, write)


def main(hooks=None) -> None:
    s = config.settings()
    client = mongo.client(s.mongo_uri, app_name=GROUP, operation_timeout_ms=10_000)
    rules = student.load(s.student_module) if s.design == "student" else None
    runner.run(GROUP, TOPICS, make_handler(mongo.database(client), s.design, rules), s, hooks=hooks)
