"""Consumer `inventario`: records bookings, refunds cancellations, cancels reservations of
cancelled events (seed flow, steps 2-4: docs/seed-design.md)."""

from __future__ import annotations

from boletia import config
from boletia.adapters import mongo
from boletia.adapters.kafka import ALREADY_DONE, IGNORED, WROTE
from boletia.consumers import runner
from boletia.domain import decisions, messages

GROUP = "inventario"
TOPICS = ["boletia.inventario", "boletia.reservas"]


def make_handler(db, design: str):
    def handle(topic: str, doc: dict) -> str:
        """WROTE when a write changed something (the point a crash fault waits for),
        ALREADY_DONE when the writes found their work done (a redelivery)."""
        if topic == "boletia.inventario":
            messages.inventario(doc, design)
            decision = (decisions.on_inventario(doc) if design == "seed"
                        else decisions.on_inventario_change(doc))
        else:
            decision = decisions.on_reservas(messages.reservation(doc), design)
        if not decision.writes:
            return IGNORED
        changed = [bool(mongo.apply(db, write)) for write in decision.writes]
        return WROTE if any(changed) else ALREADY_DONE
    return handle


def main(hooks=None) -> None:
    s = config.settings()
    client = mongo.client(s.mongo_uri, app_name=GROUP, operation_timeout_ms=10_000)
    runner.run(GROUP, TOPICS, make_handler(mongo.database(client), s.design), s, hooks=hooks)
