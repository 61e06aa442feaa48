"""Consumer `inventario`: records bookings, refunds cancellations, cancels reservations of
cancelled events (SPEC §4 steps 2-4)."""

from __future__ import annotations

from boletia import config
from boletia.adapters import mongo
from boletia.adapters.kafka import ALREADY_DONE, IGNORED, WROTE
from boletia.consumers import runner
from boletia.domain import decisions

GROUP = "inventario"
TOPICS = ["boletia.inventario", "boletia.reservas"]


def make_handler(db, design: str):
    def handle(topic: str, doc: dict) -> str:
        """WROTE when a write changed something (the point a crash fault waits for),
        ALREADY_DONE when the writes found their work done (a redelivery)."""
        if topic == "boletia.inventario":
            decision = (decisions.on_inventario(doc) if design == "seed"
                        else decisions.on_inventario_change(doc))
        else:
            decision = decisions.on_reservas(doc, design)
        if not decision.writes:
            return IGNORED
        changed = [bool(mongo.apply(db, write)) for write in decision.writes]
        return WROTE if any(changed) else ALREADY_DONE
    return handle


def main(hooks=None) -> None:
    client = mongo.client(config.settings().mongo_uri, app_name=GROUP)
    runner.run(GROUP, TOPICS, make_handler(mongo.database(client), config.design()),
               hooks=hooks)
