"""Each exercise's feedback in its own terms: the evidence of ITS failure mode, read from the
run that judged it, and the grade's one line per question.

Why: an invariant names what broke in the end state ("capacity 40 != available 15 + held 29
(+4 tickets)"), which a student has to translate back into their function's mistake. The run
also knows what happened: which messages the consumer crashed on and whether their
redelivery found the work done. Put together, the refund's failure reads as what it is: this
reservation was refunded twice.
"""

from __future__ import annotations

import re

from bson import json_util

CRASHED = "reembolsos crashed after its write, before its commit"  # the refunds' consumer
_EXCESS = re.compile(r"^(?P<event>.*?): capacity .*\((?P<n>[+-]\d+) tickets")


def read_at(bootstrap: str, where: str) -> dict | None:
    """The message at `topic[partition]@offset`, decoded (None: gone or not a document)."""
    from kafka import KafkaConsumer, TopicPartition

    from boletia.adapters.kafka import security

    m = re.match(r"^(?P<t>.+)\[(?P<p>\d+)\]@(?P<o>\d+)$", where)
    if m is None:
        return None
    tp = TopicPartition(m["t"], int(m["p"]))
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), enable_auto_commit=False,
                             consumer_timeout_ms=5000, **security())
    try:
        consumer.assign([tp])
        consumer.seek(tp, int(m["o"]))
        for record in consumer:
            try:
                doc = json_util.loads(record.value)
            except (ValueError, TypeError):
                return None
            return doc if isinstance(doc, dict) else None
        return None
    finally:
        consumer.close()


def excess(run: dict) -> dict[str, int]:
    """Tickets that appeared, per event, from the run's tickets-conserved findings."""
    out = {}
    for line in run.get("examples", {}).get("tickets-conserved", []):
        m = _EXCESS.match(line)
        if m:
            out[m["event"]] = int(m["n"])
    return out


def refunded_twice(run: dict, read=None) -> list[str]:
    """The refund's own evidence, one line per event that ended with tickets to spare: the
    cancels the consumer crashed on after its write, whose redelivery did not find the refund
    done, and what else the event gained (the cancels redelivered with them: a crash before the
    commit brings back its whole batch). `read(where)`: the message at a position."""
    fact = next((f for f in run.get("evidence", []) if f.get("fact") == CRASHED), None)
    if fact is None or read is None:
        return []
    done = set(fact.get("redelivery_found_work_done", []))
    extra = excess(run)
    twice: dict[str, list[dict]] = {}
    for where in fact.get("at", []):
        if not where.startswith("boletia.reservas[") or where in done:
            continue
        doc = read(where)
        if doc and extra.get(doc.get("evento"), 0) > 0:
            twice.setdefault(doc["evento"], []).append(doc)
    lines = []
    for evento, docs in twice.items():
        named = sum(d.get("cantidad") or 0 for d in docs)
        crashes: dict[str, list[dict]] = {}  # the same cancel crashed on again after its redelivery
        for d in docs:
            crashes.setdefault(str(d.get("_id")), []).append(d)
        which = ", ".join(f"reservation {rid} ({_tickets(ds[0].get('cantidad'))}) refunded "
                          f"{'twice' if len(ds) == 1 else f'{len(ds) + 1} times'}"
                          for rid, ds in crashes.items())
        rest = extra[evento] - named
        lines.append(f"{evento!r} ended with {_tickets(extra[evento])} too many: {which} "
                     "(the consumer crashed after the refund, before its commit, and the cancel that "
                     "came back was refunded again)"
                     + (f"; the other {_tickets(rest)} from cancels redelivered with it (a crash before "
                        "the commit brings back the whole batch)" if rest > 0 else ""))
    return lines


def _tickets(n) -> str:
    return f"{n} ticket{'' if n == 1 else 's'}"


def own_evidence(exercise: str, run: dict, settings=None) -> list[str]:
    """What a scenario's run shows of `exercise`'s own failure (empty: nothing more than the
    invariant's finding)."""
    if exercise == "refund" and settings is not None:
        return refunded_twice(run, lambda where: read_at(settings.kafka_bootstrap, where))
    return []


def one_line(results: list, exercise: str) -> str:
    """A question's feedback as the grade gives it: one line, the cases passed and the first
    failure's idea, no hidden case named (these are the practice ones)."""
    mine = [r for r in results if r.case.exercise == exercise]
    passed = sum(r.passed for r in mine)
    first = next((r for r in mine if not r.passed), None)
    tail = f"; first to fix: {first.case.name}" if first else "; all pass"
    return f"{exercise}: {passed}/{len(mine)} practice cases{tail}"
