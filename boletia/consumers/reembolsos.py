"""Consumer `reembolsos`: gives a customer-cancelled booking's tickets back to its event, from
boletia.reservas (seed flow, step 3: docs/seed-design.md). The seed's `inventario` consumer read
this topic too; its author advised one consumer per topic, so that one topic's work never waits
behind the other's, and so that each is watched and scaled on its own: a booking slowed or
retried on boletia.inventario no longer holds the refunds back. What a message means is the
design's (`on_reservas`, `refund`)."""

from __future__ import annotations

from boletia import config, designs
from boletia.adapters import mongo
from boletia.adapters.at_least_once import Batched
from boletia.consumers import runner
from boletia.designs.base import Design

GROUP = "reembolsos"
TOPICS = ["boletia.reservas"]


def make_handler(db, design: Design) -> Batched:
    """As inventario's: a decision a message, the writes a partition batch at once."""
    return Batched(lambda topic, doc: design.on_reservas(doc), runner.store_writes(db))


def main(hooks=None) -> None:
    s = config.settings()
    design = designs.get(s.design).prepared(s.student_module)
    client = mongo.connect(s, app_name=GROUP, operation_timeout_ms=10_000)
    runner.run(GROUP, TOPICS, make_handler(mongo.database(client), design), s, design, hooks=hooks)
