"""Lesson 02's exercise check: the one sink setting that makes a replay of `boletia.eventos` safe.

The student starts from the seed's `mongo-sink` configuration (connect/seed/mongo-sink.json) and
changes what must change so that replaying the events' messages never resets what was sold (the
fixed design counts it in `vendidos`, a field no event message carries). Judged by what the setting
does (replace vs update), not by one spelling; everything the seed got right must stay."""

from __future__ import annotations

STRATEGIES = "com.mongodb.kafka.connect.sink.writemodel.strategy."
# Write models that $set the message's fields and leave the document's other fields alone.
UPDATES = ("UpdateOneDefaultStrategy", "UpdateOneTimestampsStrategy")
KEEP = {  # settings the seed got right: (key, what breaks without it)
    "topics": ("boletia.eventos", "the sink copies the events' messages: its topic is boletia.eventos"),
    "collection": ("inventario", "the copy goes to `inventario`, the public copy of each event"),
}
PROVIDED = "ProvidedInValueStrategy"


def check_sink(config: dict, seed: dict) -> str:
    """'right: …' when `config` is the seed's sink with a write model that updates; else 'not yet: …'."""
    if not isinstance(config, dict):
        return "not yet: `my_sink` must stay a dict of the connector's settings"
    for key, (value, why) in KEEP.items():
        if config.get(key) != value:
            return f"not yet: keep {key}={value}: {why}"
    if not str(config.get("document.id.strategy", "")).endswith(PROVIDED):
        return ("not yet: keep document.id.strategy=…ProvidedInValueStrategy: the copy must keep the "
                "event's `_id`, or the bookings would not find it")
    strategy = str(config.get("writemodel.strategy", ""))
    name = strategy.rsplit(".", 1)[-1]
    if strategy == seed.get("writemodel.strategy"):
        return ("not yet: this is still the seed's sink: a replayed message REPLACES the whole "
                "`inventario` document, and whatever the message does not carry (what was sold) is gone")
    if name.startswith("Replace"):
        return (f"not yet: {name} still replaces the whole document: a replay drops every field the "
                "message does not carry; the sink must change only the event's own fields")
    if name not in UPDATES:
        return (f"not yet: {name or 'that'} is not a write model that updates the event's fields in "
                "place (the sink's write models live in " + STRATEGIES + "…)")
    if not strategy.startswith(STRATEGIES):
        return f"not yet: Connect loads the class by its full name: {STRATEGIES}{name}"
    return f"right: {name} $sets the event's fields; `vendidos` survives a replay"
