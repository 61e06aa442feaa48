"""What the consumers' logs prove: the decisions of the at-least-once loop, read back.

Every decision the loop (boletia.adapters.kafka.AtLeastOnceConsumer) or a fault hook takes is
one log line: an optional timestamp, its name, then `topic[partition]@offset`:

    2026-11-28T12:00:01.123+00:00 retry boletia.inventario[1]@57: attempt 1 failed, ...
    2026-11-28T12:00:02.456+00:00 crash boletia.reservas[0]@12: fault fired after the write, ...
    2026-11-28T12:00:03.789+00:00 already-done boletia.reservas[0]@12: nothing left to change ...

A scenario reads the lines written after its start (`Runtime.log_mark` / `logs(since=...)`)
and so proves that its fault fired, where, and what the redelivery found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("retry", "dead-letter", "already-done", "skipped", "commit-failed", "crash")
LINE = re.compile(r"^(?:\S+ )?(?P<kind>" + "|".join(KINDS) +
                  r") (?P<topic>[\w.\-]+)\[(?P<partition>\d+)\]@(?P<offset>\d+):? ?(?P<detail>.*)$")


@dataclass(frozen=True)
class Event:
    kind: str
    topic: str
    partition: int
    offset: int
    detail: str

    @property
    def where(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


def parse(log: str) -> list[Event]:
    out = []
    for line in log.splitlines():
        m = LINE.match(line.strip())
        if m:
            out.append(Event(m["kind"], m["topic"], int(m["partition"]), int(m["offset"]),
                             m["detail"]))
    return out


def of(events: list[Event], kind: str, topic: str | None = None) -> list[Event]:
    return [e for e in events if e.kind == kind and (topic is None or e.topic == topic)]
