"""What the hub samples from a real lab, through long-lived clients.

One probe per part of the lab, each with its own client opened once and kept:

- `components` -> `design`, `components`: the runtime's status (local: pid files, /proc);
- `lag` -> `lag` (group -> topic -> messages): one `LagProbe`, one admin client, 2 requests;
- `topics` -> `topics` (end offset, messages/s), `tails` (the last messages, decoded): one
  `KafkaConsumer` without a group, 1 ListOffsets request and the fetches;
- `connectors` -> `connectors`: `observe.connect_overview`, 2 HTTP requests to Connect;
- `inventory` -> `inventory`: 1 HTTP request to `reservas` (which reads MongoDB once).

`calls()` counts those requests, by kind: the fan-out benchmark shows they do not grow with
the number of browsers. A client that failed is closed and opened again at the next sample.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Any

from bson import json_util

from boletia import config
from boletia.adapters.kafka import security
from boletia.config import DEAD_LETTER_TOPIC, TOPICS
from boletia.lab.components import COMPONENTS, LAG_GROUPS
from boletia.lab.notebook import observe
from boletia.lab.notebook.client import Boletia
from boletia.lab.notebook.lag import LagProbe
from boletia.lab.runtimes.port import Runtime

TAIL_TOPICS = (*TOPICS, DEAD_LETTER_TOPIC)
KEEP = 8              # messages kept per topic
SKIP_AHEAD = 2000     # further behind than this on a partition: jump to its end
RATE_WINDOW = 3.0     # seconds over which messages per second are measured
DOC_CHARS = 1600      # a message's document as shown, at most


def summary(doc: Any, headers: dict[str, str] | None = None) -> str:
    """One line that says what a message is, in the lab's words."""
    if not isinstance(doc, dict):
        return "(not a JSON document)"
    if headers and headers.get("reason"):
        return f"from {headers.get('topic')}[{headers.get('partition')}]@{headers.get('offset')}: " \
               f"{headers['reason']}"
    if "operationType" in doc:  # a full change event (the fixed design's inventario source)
        op = doc["operationType"]
        full = doc.get("fullDocument") or {}
        fields = (doc.get("updateDescription") or {}).get("updatedFields") or {}
        booking = fields.get("reserva")
        if isinstance(booking, dict):
            return (f"{op} {full.get('nombre', '?')}: booking {booking.get('cantidad')} by "
                    f"{booking.get('email')}")
        changed = ", ".join(f"{k}={v}" for k, v in list(fields.items())[:3])
        return f"{op} {full.get('nombre', '?')}" + (f": {changed}" if changed else "")
    if "evento" in doc:  # a reservation
        return (f"reservation {doc.get('estado')} {doc.get('evento')} x{doc.get('cantidad')} "
                f"{doc.get('email')}")
    if "nombre" in doc:  # an event (eventos), or the seed's inventario document
        extra = f" booking {doc.get('canres')} by {doc.get('email')}" if "canres" in doc else ""
        sold = f" sold {doc['vendidos']}" if "vendidos" in doc else ""
        return f"event {doc.get('nombre')} {doc.get('estado')} capacity {doc.get('capacidad')}" \
               f"{sold}{extra}"
    return ", ".join(list(doc)[:5])


def describe(rec) -> dict[str, Any]:
    """A consumed record as the control room shows it."""
    headers = {k: v.decode("utf-8", "replace") for k, v in (rec.headers or [])}
    msg = observe.Message(rec.topic, rec.partition, rec.offset, rec.key, rec.value,
                          rec.timestamp, rec.headers)
    try:
        doc = msg.document
        text = json_util.dumps(doc, indent=1, ensure_ascii=False)
    except Exception as exc:  # noqa: BLE001 - undecodable: show the bytes (a poison message)
        doc, text = None, f"(cannot decode: {exc})\n{(rec.value or b'')[:400]!r}"
    return {"partition": rec.partition, "offset": rec.offset, "timestamp": rec.timestamp,
            "key": (rec.key or b"").decode("utf-8", "replace")[:120],
            "summary": summary(doc, headers)[:240],
            "document": text if len(text) <= DOC_CHARS else text[:DOC_CHARS] + "\n…"}


class TopicTail:
    """End offsets, messages per second and the last messages of the lab's topics, through ONE
    KafkaConsumer without a group (it commits nothing, so it changes no consumer's lag)."""

    def __init__(self, bootstrap: str, topics: tuple[str, ...] = TAIL_TOPICS, keep: int = KEEP):
        from kafka import KafkaConsumer, TopicPartition

        self.topics, self.keep = topics, keep
        self.consumer = KafkaConsumer(
            bootstrap_servers=bootstrap.split(","), group_id=None, enable_auto_commit=False,
            client_id="boletia-ui", request_timeout_ms=8000, **security())
        self.parts = [TopicPartition(t, p) for t in topics
                      for p in sorted(self.consumer.partitions_for_topic(t) or ())]
        self.consumer.assign(self.parts)
        ends = self.consumer.end_offsets(self.parts)
        begins = self.consumer.beginning_offsets(self.parts)
        for tp in self.parts:  # start with the last few messages, not the whole history
            self.consumer.seek(tp, max(begins[tp], ends[tp] - keep))
        self.last: dict[str, deque] = {t: deque(maxlen=keep) for t in topics}
        self.history: deque[tuple[float, dict[str, int]]] = deque()

    def sample(self) -> dict[str, Any]:
        now = time.monotonic()
        ends = self.consumer.end_offsets(self.parts)
        totals = {t: 0 for t in self.topics}
        for tp in self.parts:
            totals[tp.topic] += ends[tp]
            if ends[tp] - self.consumer.position(tp) > SKIP_AHEAD:
                self.consumer.seek(tp, ends[tp] - self.keep)
        self._read()
        self.history.append((now, totals))
        while len(self.history) > 2 and now - self.history[1][0] >= RATE_WINDOW:
            self.history.popleft()
        then, before = self.history[0]
        span = now - then
        topics = {t: {"end": totals[t],
                      "rate": round((totals[t] - before[t]) / span, 1) if span > 0 else 0.0}
                  for t in self.topics}
        tails = {t: sorted(self.last[t], key=lambda m: (m["timestamp"], m["offset"]))
                 for t in self.topics}
        return {"topics": topics, "tails": tails}

    def _read(self, rounds: int = 4) -> None:
        for i in range(rounds):
            batch = self.consumer.poll(timeout_ms=100 if i == 0 else 0, max_records=1000)
            if not batch:
                return
            newest: dict[str, list] = {}
            for tp, records in batch.items():
                newest.setdefault(tp.topic, []).extend(records[-self.keep:])
            for topic, records in newest.items():
                for rec in sorted(records, key=lambda r: (r.timestamp, r.offset))[-self.keep:]:
                    self.last[topic].append(describe(rec))

    def close(self) -> None:
        self.consumer.close()


class LabSource:
    """The hub's probes over a running lab (any runtime), with long-lived clients."""

    private = frozenset({"tails"})          # customers' addresses: the control room only
    public_only = frozenset({"inventory"})  # the box office's: the control room draws none

    def __init__(self, rt: Runtime, settings: config.Settings | None = None):
        self.rt = rt
        self.settings = settings or rt.settings
        self.api = Boletia(settings=self.settings, timeout=5.0)
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._lag: LagProbe | None = None
        self._tail: TopicTail | None = None
        self.probes = {"components": self.components, "lag": self.lag, "topics": self.topics,
                       "connectors": self.connectors, "inventory": self.inventory}

    def _count(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self._calls[kind] += n

    def calls(self) -> dict[str, int]:
        with self._lock:
            return dict(self._calls)

    # ------------------------------------------------------------------ probes
    def components(self) -> dict[str, Any]:
        self._count("runtime.status")
        groups = {c.name: c.group for c in COMPONENTS}
        listed = [{"name": c.name, "kind": c.kind, "state": c.state, "pid": c.pid,
                   "ports": c.ports, "group": groups.get(c.name)} for c in self.rt.status()]
        self._count("runtime.design")
        return {"components": listed, "design": self.rt.design()}

    def lag(self) -> dict[str, Any]:
        try:
            if self._lag is None:
                self._count("kafka.admin.open")
                self._lag = LagProbe(self.settings.kafka_bootstrap, LAG_GROUPS)
            self._count("kafka.admin")
            return {"lag": self._lag.sample(attempts=2)}
        except Exception:
            self._drop("_lag")
            raise

    def topics(self) -> dict[str, Any]:
        try:
            if self._tail is None:
                self._count("kafka.consumer.open")
                self._tail = TopicTail(self.settings.kafka_bootstrap)
            self._count("kafka.consumer")
            return self._tail.sample()
        except Exception:
            self._drop("_tail")
            raise

    def connectors(self) -> dict[str, Any]:
        self._count("connect.http", 2)
        overview = observe.connect_overview(self.settings.connect_url)
        worker = overview["worker"]
        return {"connectors": {"worker": {"version": worker.get("version"),
                                          "cluster": worker.get("kafka_cluster_id")},
                               "connectors": overview["connectors"]}}

    def inventory(self) -> dict[str, Any]:
        self._count("reservas.http")
        answer = self.api.inventory()
        if not answer.ok or not isinstance(answer.body, list):
            raise RuntimeError(f"reservas answered {answer.status}: {str(answer.body)[:200]}")
        return {"inventory": [{"Id": e.get("Id"), "Nombre": e.get("Nombre"),
                               "Disponible": e.get("Disponible"), "Estado": e.get("Estado"),
                               "Categoria": e.get("Categoria")} for e in answer.body]}

    # ------------------------------------------------------------------ clients
    def _drop(self, attr: str) -> None:
        client = getattr(self, attr)
        setattr(self, attr, None)
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - it failed already; a new one comes next sample
                pass

    def close(self) -> None:
        self._drop("_lag")
        self._drop("_tail")
        self.api.http.close()
