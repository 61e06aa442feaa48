"""What event-driven costs and buys, measured: an open-loop load benchmark.

Bookings arrive on a fixed schedule (`rate` per second) whatever the answers do: each is
sent at its planned time by a pool large enough not to wait for earlier answers, and every
latency is measured from the PLANNED time, so a slow pipeline cannot hide its queueing
(no coordinated omission). The rate is stepped until the pipeline cannot keep up.

A rate counts as **sustained** when every accepted booking's reservation exists (after the
run drains) and the 99th percentile from POST to reservation is at most 1 s.

Each stage of a booking is timed from what the data carries or the lab records, no guessing:

    planned     the booking's slot in the schedule              (this benchmark)
    answered    the POST's answer arrived                       (this benchmark)
    published   its change event reached boletia.inventario     (Kafka record timestamp)
    recorded    the reservation document was written            (`registrada`, by whoever wrote it)
    announced   the reservation's change reached boletia.reservas (Kafka record timestamp)
    emailed     SES accepted its email                          (the ledger's `at`)

The store's ceiling for the write set one booking causes in the fixed design (the booking's
findAndModify, the reservation insert, the ledger write) is measured right before the curve,
in a scratch database no connector watches; the curve is read as fractions of it.
"""

from __future__ import annotations

import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bson import ObjectId, json_util

from boletia import designs
from boletia.adapters import mongo
from boletia.adapters.kafka import security
from boletia.domain import model
from boletia.lab.experiments import drain, load
from boletia.lab.notebook.client import Boletia
from boletia.lab.runtimes.port import Runtime

SUSTAINED_P99_S = 1.0
STAGES = ("answered", "published", "recorded", "announced", "emailed")


@dataclass
class Booking:
    planned: float                  # epoch seconds
    answered: float | None = None
    where: dict = field(default_factory=dict)  # stage -> "topic[partition]@offset" of its record
    status: int = 0
    id: str | None = None
    published: float | None = None
    recorded: float | None = None
    announced: float | None = None
    emailed: float | None = None


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def summary(values: list[float]) -> dict[str, float | None]:
    return {f"p{p}": (round(v * 1000, 1) if (v := pct(values, p)) is not None else None)
            for p in (50, 95, 99)}


# ---------------------------------------------------------------- the store's ceiling
def ceiling(settings, seconds: float = 5.0, threads: int = 8) -> dict:
    """Bookings per second when the store does nothing but one booking's write set
    (findAndModify of the event, insert of the reservation, upsert of the ledger), from
    `threads` writers, in a scratch database."""
    with mongo.connect(settings, operation_timeout_ms=10_000) as c:
        db = c["boletia_ceiling"]
        c.drop_database(db.name)
        db.inventario.insert_one({"nombre": "ceiling", "capacidad": 10**9, "vendidos": 0, "estado": "A"})
        db.notificaciones.create_index([("reserva", 1), ("estado", 1)], unique=True)
        done = [0] * threads
        stop = time.monotonic() + seconds

        def writer(i: int) -> None:
            while time.monotonic() < stop:
                rid = ObjectId()
                req = model.NewBooking(evento="ceiling", cantidad=1, email="c@boletia.example")
                mongo.apply(db, designs.get("fixed").book(req, rid))
                db.reservas.insert_one({"_id": rid, "evento": "ceiling", "estado": "A",
                                        "email": "c@boletia.example", "cantidad": 1})
                db.notificaciones.update_one({"_id": f"{rid}:A"}, {
                    "$setOnInsert": {"reserva": str(rid), "estado": "A"}, "$inc": {"intentos": 1},
                    "$set": {"enviado": True}, "$push": {"confirmados": "ceiling"}}, upsert=True)
                done[i] += 1
        begun = time.monotonic()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(writer, range(threads)))
        elapsed = time.monotonic() - begun
        c.drop_database(db.name)
    return {"bookings_per_s": round(sum(done) / elapsed, 1), "writes_per_booking": 3,
            "threads": threads, "seconds": round(elapsed, 1)}


# ---------------------------------------------------------------- one rate
def open_loop(api: Boletia, evento: str, rate: float, seconds: float, workers: int = 96) -> list[Booking]:
    """Book 1 ticket `rate` times a second for `seconds`, each at its planned time."""
    n = max(1, int(rate * seconds))
    start = time.time() + 0.5
    plan = [Booking(planned=start + i / rate) for i in range(n)]

    def send(b: Booking) -> None:
        try:
            a = api.book(evento, 1, f"bench{int(b.planned * 1000) % 100000}@boletia.example")
            b.status = a.status
            b.id = a.body.get("Id") if isinstance(a.body, dict) else None
        except Exception:  # noqa: BLE001 - no answer: status 0
            b.status = 0
        b.answered = time.time()

    with ThreadPoolExecutor(workers) as pool:
        for b in plan:
            delay = b.planned - time.time()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send, b)
    return plan


def _kafka_times(settings, topic: str, since_ms: int, key) -> dict[str, tuple[float, str]]:
    """id -> (the first record's timestamp in seconds, "topic[partition]@offset") on `topic`
    after `since_ms`, by `key(doc)`."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap.split(","), group_id=None,
                             enable_auto_commit=False, consumer_timeout_ms=1500, **security())
    out: dict[str, tuple[float, str]] = {}
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        starts = consumer.offsets_for_times({tp: since_ms for tp in parts})
        for tp in parts:
            found = starts.get(tp)
            if found is None:
                consumer.seek_to_end(tp)
            else:
                consumer.seek(tp, found.offset)
        for rec in consumer:
            try:
                doc = json_util.loads(rec.value)
            except Exception:  # noqa: BLE001 - not ours
                continue
            ident = key(doc)
            if ident and ident not in out:
                out[ident] = (rec.timestamp / 1000, f"{rec.topic}[{rec.partition}]@{rec.offset}")
    finally:
        consumer.close()
    return out


def _booking_id(doc: dict) -> str | None:
    fields = (doc.get("updateDescription") or {}).get("updatedFields") or {}
    booked = fields.get("reserva")
    if isinstance(booked, dict) and booked.get("id"):
        return str(booked["id"])
    if isinstance(doc.get("canres"), int) and doc["canres"] > 0:  # the seed's document
        return str(doc.get("idres"))
    return None


def _reservation_id(doc: dict) -> str | None:
    return str(doc["_id"]) if doc.get("estado") == "A" and "evento" in doc else None


def fill_stages(settings, bookings: list[Booking], since: float) -> None:
    ok = [b for b in bookings if b.status == 200 and b.id]
    since_ms = int(since * 1000)
    published = _kafka_times(settings, "boletia.inventario", since_ms, _booking_id)
    announced = _kafka_times(settings, "boletia.reservas", since_ms, _reservation_id)
    with mongo.connect(settings) as c:
        db = mongo.database(c)
        ids = [ObjectId(b.id) for b in ok]
        recorded = {str(d["_id"]): d.get("registrada") for d in
                    db.reservas.find({"_id": {"$in": ids}}, {"registrada": 1})}
        emailed = {d["reserva"]: d.get("at") for d in
                   db[mongo.NOTIFICATIONS].find({"_id": {"$in": [f"{b.id}:A" for b in ok]}})}
    for b in ok:
        for stage, found in (("published", published.get(b.id)), ("announced", announced.get(b.id))):
            if found:
                setattr(b, stage, found[0])
                b.where[stage] = found[1]
        if b.id in recorded:
            at = recorded[b.id]
            b.recorded = at.timestamp() if isinstance(at, datetime) else time.time()
        at = emailed.get(b.id)
        b.emailed = at.timestamp() if isinstance(at, datetime) else None


@dataclass
class Step:
    design: str
    rate: float
    seconds: float
    sent: int = 0
    accepted: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    recorded: int = 0
    drained_per_s: float = 0.0
    post_ms: dict = field(default_factory=dict)
    to_reservation_ms: dict = field(default_factory=dict)
    to_email_ms: dict = field(default_factory=dict)
    stages_ms: dict = field(default_factory=dict)   # median time from `planned` to each stage
    sustained: bool = False
    lead_in_s: float = 0.0
    lead_in: dict = field(default_factory=dict)     # the unmeasured seconds before: counts, p50/p99


def judge(design: str, rate: float, seconds: float, everything: list[Booking], lead_in: float,
          drained: bool) -> tuple[Step, list[Booking]]:
    """A rate's figures from its bookings, the first `lead_in` seconds' kept apart (their
    losses count, their latencies do not), and whether it was sustained."""
    early_n = min(len(everything) - 1, round(rate * lead_in))
    early, bookings = everything[:early_n], everything[early_n:]
    ok = [b for b in bookings if b.status == 200]
    step = Step(design, rate, seconds, sent=len(bookings), accepted=len(ok), lead_in_s=lead_in)
    for b in bookings:
        if b.status != 200:
            step.errors[str(b.status)] = step.errors.get(str(b.status), 0) + 1
    recorded = [b for b in ok if b.recorded]
    step.recorded = len(recorded)
    if recorded:
        span = max(b.recorded for b in recorded) - min(b.planned for b in recorded)
        step.drained_per_s = round(len(recorded) / max(span, 1e-3), 1)
    step.post_ms = summary([b.answered - b.planned for b in bookings if b.answered])
    step.to_reservation_ms = summary([b.recorded - b.planned for b in recorded])
    step.to_email_ms = summary([b.emailed - b.planned for b in ok if b.emailed])
    step.stages_ms = {s: (round(statistics.median(v) * 1000, 1) if v else None) for s in STAGES
                      for v in [[getattr(b, s) - b.planned for b in ok if getattr(b, s)]]}
    early_ok = [b for b in early if b.status == 200]
    early_recorded = [b for b in early_ok if b.recorded]
    step.lead_in = {"sent": len(early), "accepted": len(early_ok), "recorded": len(early_recorded),
                    "to_reservation_ms": summary([b.recorded - b.planned for b in early_recorded])}
    p99 = pct([b.recorded - b.planned for b in recorded], 99)
    step.sustained = bool(ok) and step.recorded == step.accepted and drained \
        and len(early_recorded) == len(early_ok) \
        and p99 is not None and p99 <= SUSTAINED_P99_S
    return step, bookings


def run_rate(rt: Runtime, api: Boletia, db, design: str, rate: float, seconds: float,
             drain_timeout: float = 120.0, settle: bool = True, lead_in: float = 0.0
             ) -> tuple[Step, list[Booking]]:
    """One rate. `lead_in`: seconds at the same rate before the measured `seconds`. Their
    bookings are checked like the others (one lost fails the rate) but kept out of the
    latencies: a rate's first seconds meet the services' pools still growing to its
    concurrency and, on a lab just started, the JVMs still compiling (README, "Measured
    here"); their p50/p99 are kept in `lead_in`. `settle`: wait for the cancellation's
    emails to drain, so the next rate starts on a quiet pipeline (worth it above a few dozen
    bookings a second). Returns the step and its measured bookings."""
    record = load.Record(seed=0, prefix=f"bench {design} {rate:g} por s {ObjectId()}")
    load.create_events(api, record, 1, int(rate * (lead_in + seconds)) + 10)
    since = time.time()
    everything = open_loop(api, record.events[0], rate, lead_in + seconds)
    drained = drain.drain(db, rt.settings, design, timeout=drain_timeout)
    fill_stages(rt.settings, everything, since)
    step, bookings = judge(design, rate, seconds, everything, lead_in, drained["drained"])
    # the cancellation's emails would compete with the next rate: it starts on a quiet pipeline
    load.cancel_events(api, record)
    if settle:
        drain.drain(db, rt.settings, design, timeout=drain_timeout)
    return step, bookings


def curve(rt: Runtime, designs: list[str], rates: list[float], seconds: float,
          report=lambda m: None, stop_after_unsustained: int = 2,
          ceiling_seconds: float = 5.0, restore_design: bool = True,
          warmup_seconds: float = 10.0, settle: bool = True, lead_in_seconds: float = 3.0
          ) -> dict[str, Any]:
    """The whole benchmark: the ceiling, then each design's steps in rising rate until
    `stop_after_unsustained` rates in a row are not sustained (two by default: one noisy
    step on a shared machine should not end a curve). Each design starts with an unmeasured
    warm-up at the lowest rate: its first step used to meet cold connection pools, JVMs still
    compiling and the store still busy with the ceiling's dropped database (p99 2.7 s at
    20/s, once); its figures are kept in `warmups`. Each rate then runs `lead_in_seconds`
    before its measured `seconds`, and `settle`s after (see run_rate). The lab is left in the
    design it was in (unless `restore_design` is false: then in the last one)."""
    found = rt.design()
    api = Boletia(token=rt.admin_token(), settings=rt.settings, timeout=10)
    with mongo.connect(rt.settings) as c:
        db = mongo.database(c)
        # work left over from before (a backlog of emails) would lower the ceiling
        report("waiting for the pipeline to be quiet before measuring the store's ceiling")
        quiet = drain.drain(db, rt.settings, found)
        if not quiet["drained"]:
            raise RuntimeError(f"the pipeline did not drain ({quiet['stage']}: {quiet['detail']}): "
                               "a ceiling and a curve measured now would be wrong. "
                               "`boletia lab status` shows what is down.")
        held = _store_size(c, db)
        if held["reservas"] + held["notificaciones"] > BIG_STORE:
            report(f"note: the store already holds {held['reservas']} reservations and "
                   f"{held['notificaciones']} ledger entries from earlier runs; on such a store "
                   "the curves here were lower than on a fresh one (README, 'Measured here'). "
                   "For figures to compare with it: `boletia lab down`, remove the lab "
                   "directory (.lab), `boletia lab up`")
        result: dict[str, Any] = {"machine": _machine(), "store": held,
                                  "ceiling": ceiling(rt.settings, ceiling_seconds),
                                  "sustained_p99_s": SUSTAINED_P99_S, "warmup_seconds": warmup_seconds,
                                  "lead_in_seconds": lead_in_seconds, "warmups": [], "steps": []}
        report(f"store ceiling: {result['ceiling']['bookings_per_s']} bookings/s (3 writes each)")
        try:
            for design in designs:
                if rt.design() != design:
                    rt.set_design(design)
                if warmup_seconds > 0:
                    report(f"{design:5s} warm-up: {rates[0]:g}/s for {warmup_seconds:g} s (not measured)")
                    warm, _ = run_rate(rt, api, db, design, rates[0], warmup_seconds, settle=settle)
                    # kept, not counted: what a lab just started answers (the cold start)
                    result["warmups"].append({"design": design, "rate": warm.rate,
                                              "seconds": warm.seconds,
                                              "to_reservation_ms": warm.to_reservation_ms})
                misses = 0
                for rate in rates:
                    step, _ = run_rate(rt, api, db, design, rate, seconds, settle=settle,
                                       lead_in=lead_in_seconds)
                    result["steps"].append(asdict(step))
                    report(f"{design:5s} {rate:6g}/s: accepted {step.accepted}/{step.sent}, recorded "
                           f"{step.recorded}, p99 POST->reservation {step.to_reservation_ms.get('p99')} ms"
                           f" -> {'sustained' if step.sustained else 'NOT sustained'}")
                    misses = 0 if step.sustained else misses + 1
                    if misses >= stop_after_unsustained:
                        break
        finally:
            if restore_design and rt.design() != found:
                rt.set_design(found)
    result["ratios"] = ratios(result)
    return result


def ratios(result: dict) -> dict[str, Any]:
    """Per design: the highest sustained rate as a fraction of the ceiling, and the p99 from
    POST to reservation at (the step nearest below) half that rate."""
    top = result["ceiling"]["bookings_per_s"]
    out = {}
    for design in sorted({s["design"] for s in result["steps"]}):
        steps = [s for s in result["steps"] if s["design"] == design]
        held = [s for s in steps if s["sustained"]]
        best = max((s["rate"] for s in held), default=0.0)
        half = [s for s in held if s["rate"] <= best / 2] or held[:1]
        at_half = max(half, key=lambda s: s["rate"]) if half else None
        out[design] = {
            "highest_sustained_per_s": best,
            "fraction_of_ceiling": round(best / top, 2) if top else None,
            "p99_post_to_reservation_ms_at_half": at_half["to_reservation_ms"]["p99"] if at_half else None,
            "half_rate_used": at_half["rate"] if at_half else None}
    return out


BIG_STORE = 200_000  # documents left by earlier runs past which the bench says so


def _store_size(client, db) -> dict[str, int]:
    """What earlier runs left in the store: a curve depends on it (README, 'Measured here')."""
    return {"reservas": db["reservas"].estimated_document_count(),
            "notificaciones": db[mongo.NOTIFICATIONS].estimated_document_count(),
            "oplog": client.local["oplog.rs"].estimated_document_count()}


def _machine() -> dict:
    import os

    import psutil

    return {"cores": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "when": datetime.now(UTC).isoformat(timespec="seconds")}


def save(result: dict, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    data = out / "bench.json"
    data.write_text(json.dumps(result, indent=1, default=str))
    return data, plot(result, out / "bench.png")


def plot(result: dict, path: Path) -> Path:
    # a Figure of its own, not pyplot's: switching the backend to write a file silenced
    # every later plt.show() in the notebook that called this
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4))
    left, right = fig.subplots(1, 2)
    for i, design in enumerate(sorted({s["design"] for s in result["steps"]})):
        color = f"C{i}"  # one colour per design in both panels
        steps = [s for s in result["steps"] if s["design"] == design]
        rates = [s["rate"] for s in steps]
        left.plot(rates, [s["to_reservation_ms"].get("p99") or float("nan") for s in steps],
                  marker="o", color=color, label=f"{design} p99")
        left.plot(rates, [s["to_reservation_ms"].get("p50") or float("nan") for s in steps],
                  marker=".", ls="--", color=color, label=f"{design} p50")
        right.plot(rates, [s["drained_per_s"] for s in steps], marker="o", color=color, label=design)
    left.axhline(SUSTAINED_P99_S * 1000, color="#c00", lw=1, ls=":", label="1 s (sustained limit)")
    left.set(title="POST -> reservation", xlabel="offered bookings/s", ylabel="ms", yscale="log")
    top = result["ceiling"]["bookings_per_s"]
    right.axhline(top, color="#555", ls=":", label=f"store ceiling {top:g}/s")
    right.plot([0, top], [0, top], color="#bbb", lw=1)
    right.set(title="bookings recorded per second", xlabel="offered bookings/s", ylabel="recorded/s")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path
