"""Consumer `inventario`: records bookings, refunds cancellations, cancels reservations of
cancelled events (SPEC §4 steps 2-4)."""

from __future__ import annotations

from boletia import config
from boletia.adapters import mongo
from boletia.consumers import runner
from boletia.domain import decisions

GROUP = "inventario"
TOPICS = ["boletia.inventario", "boletia.reservas"]


def make_handler(db, design: str):
    def handle(topic: str, doc: dict) -> bool:
        """True when a write changed something (the point a crash fault waits for)."""
        if topic == "boletia.inventario":
            decision = (decisions.on_inventario(doc) if design == "seed"
                        else decisions.on_inventario_change(doc))
        else:
            decision = decisions.on_reservas(doc, design)
        changed = False
        for write in decision.writes:
            result = mongo.apply(db, write)
            changed = changed or bool(result)
        return changed
    return handle


def main(hooks=None) -> None:
    client = mongo.client(config.settings().mongo_uri, app_name=GROUP)
    runner.run(GROUP, TOPICS, make_handler(mongo.database(client), config.design()),
               hooks=hooks)
