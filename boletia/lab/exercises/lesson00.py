"""Lesson 00's exercise check: which topics each consumer reads, read from the diagram.

The truth is the lab's own component list (`boletia.lab.components`), not a copy of it. The check
never raises on the untouched stub: it says "not yet" and why, pointing to the idea (what each
consumer must know), so the rest of the lesson runs."""

from __future__ import annotations

from boletia.lab.components import COMPONENTS

WHY = {  # (consumer, topic) -> the idea that needs that topic
    ("inventario", "boletia.inventario"): "a booking is a change of the event's `inventario` document "
    "(the findAndModify): the consumer that writes the reservation must see those changes",
    ("reembolsos", "boletia.reservas"): "a customer's cancel (X) is a change of a `reservas` document: "
    "the consumer that gives the tickets back must see those changes",
    ("notificaciones", "boletia.reservas"): "one email per state of a reservation (A, X, C): every state "
    "is a change of a `reservas` document",
}


def truth() -> dict[str, set[str]]:
    """consumer name -> the topics it reads, from the component list."""
    return {c.name: set(c.topics) for c in COMPONENTS if c.kind == "consumer"}


def check_reads(reads: dict) -> str:
    """'right: …' when `reads` names exactly the topics each consumer reads; else 'not yet: …'."""
    want = truth()
    if not isinstance(reads, dict) or not any(reads.get(c) for c in want):
        return ("not yet: fill in `reads`: for each consumer, the set of topics (`boletia.…`) whose "
                "blue arrow ends at it in the diagram")
    for consumer, topics in want.items():
        got = {str(t).strip() for t in (reads.get(consumer) or ())}
        for topic in sorted(topics - got):
            return f"not yet: {consumer} is missing a topic: {WHY.get((consumer, topic), topic)}"
        for topic in sorted(got - topics):
            if topic == "boletia.eventos":
                return (f"not yet: {consumer} does not read boletia.eventos: an event's changes go to "
                        "the sink connector (the red arrow), which copies them into `inventario`")
            if (consumer, topic) == ("inventario", "boletia.reservas"):
                return ("not yet: inventario does not read boletia.reservas here: the seed's one "
                        "inventario consumer did, and its author advised one consumer per topic; the lab "
                        "split it, and the cancels' refunds are reembolsos' (its own blue arrow)")
            return f"not yet: {consumer} does not read {topic}: follow the blue arrows that end at it"
    extra = sorted(set(reads) - set(want))
    if extra:
        return f"not yet: the lab has {len(want)} consumers ({', '.join(sorted(want))}); {extra} is not one"
    return "right: " + "; ".join(f"{c} reads {', '.join(sorted(t))}" for c, t in sorted(want.items()))
