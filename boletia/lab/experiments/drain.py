"""Is the pipeline empty? Proved by a canary, not assumed from a lag of zero.

A lag of zero says each consumer group has committed what is on its topics; it cannot say
whether a source connector still has changes to publish, or whether a stuck sink will ever
move. So the canary makes one change at the very start of the chain and waits for it at
the very end, stage by stage:

1. the sentinel event's `categoria` changes in `eventos`     -> source -> boletia.eventos -> sink
   -> seen in `inventario`;
2. one ticket is booked on it (the same write the API makes) -> source -> boletia.inventario
   -> consumer `inventario` -> the reservation document exists;
3. that reservation                                            -> source -> boletia.reservas
   -> consumer `notificaciones` -> SES has its email;
4. then every group (the consumers and the sink) has lag 0 and keeps it for `quiet` seconds.

Change streams are ordered, so a canary that came out proves each source published
everything written before it. The sentinel event (`__sonda__`) is the checker's, never judged.

Slow is not lost (issue 30). While it waits, the drain samples every group's lag: a backlog
that keeps falling is waited for, up to a bound that follows the largest backlog seen
(`bound`), and is shown as it goes (`progress`: stage, lag, rate, estimate). A stage with
work left whose lag has not fallen for `stall` seconds (nor the canary advanced) is *stalled*:
that is a finding. A drain cut short by its bound while everything still moved is only *not
settled*: the checker then says inconclusive, never violated.

A dropped canary is a finding too, and needs no stall to prove it: when the canary's booking is
on `boletia.inventario` and consumer `inventario` has committed past it without writing its
reservation (read after the commit), the consumer read it and did nothing. A committed offset
does not come back: that message will not be delivered again, so no waiting can change it (the
stub connector of notebook 06 publishes documents that the fixed consumer ignores as "not a
change event": seen coming out inconclusive when the bound ran out before the stall clock).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from bson import ObjectId
from kafka import KafkaConsumer, TopicPartition

from boletia import designs
from boletia.adapters import kafka, mongo, ses
from boletia.domain import model
from boletia.lab.components import SINK_GROUP
from boletia.lab.experiments.checker import SENTINEL
from boletia.lab.notebook import observe

CANARY_EMAIL = "sonda@boletia.example"
BASE = 120.0          # seconds: the bound of an empty pipeline (the canary's own trip)
PER_MESSAGE = 0.2     # seconds more per message of backlog seen (a floor of 5 messages/s)
CEILING = 3600.0      # the bound never exceeds an hour unless --timeout says so
STALL = 120.0         # seconds without any progress before a stage is called stalled
WINDOW = 20.0         # seconds of samples a rate is measured over
SHOW_AFTER = 10.0     # progress is shown only for a drain that waits longer than this
LOOK_EVERY = 2.0      # seconds between two looks for a dropped canary
INVENTARIO_TOPIC = "boletia.inventario"

# The canary's stages, and the group whose work each one waits on.
STAGES = (("eventos -> source -> sink -> inventario", SINK_GROUP),
          ("inventario -> source -> consumer inventario -> reservas", "inventario"),
          ("reservas -> source -> consumer notificaciones -> SES", "notificaciones"),
          ("consumer groups", None))


def bound(backlog: int, timeout: float | None = None) -> tuple[float, str]:
    """How long the drain may wait, and why: `timeout` when given, else BASE plus PER_MESSAGE
    per message of the largest backlog seen, at most CEILING."""
    if timeout is not None:
        return timeout, f"--timeout {timeout:.0f} s"
    seconds = min(CEILING, BASE + PER_MESSAGE * max(0, backlog))
    return seconds, (f"{seconds:.0f} s for a backlog of {backlog} messages "
                     f"({BASE:.0f} s + {PER_MESSAGE} s a message; --timeout to change)")


@dataclass
class Backlog:
    """Lag samples per group over time: how fast each backlog falls, when it will be done,
    and whether it moves at all. Pure: fed with (seconds, {group: lag}), no I/O."""

    window: float = WINDOW
    stall: float = STALL
    samples: list[tuple[float, dict[str, int]]] = field(default_factory=list)
    last_fall: dict[str, float] = field(default_factory=dict)   # group -> when its lag last fell
    largest: int = 0

    def add(self, t: float, lags: dict[str, int]) -> None:
        if not self.samples:
            self.last_fall = dict.fromkeys(lags, t)
        else:
            before = self.samples[-1][1]
            for g, n in lags.items():
                if n == 0 or n < before.get(g, n + 1):
                    self.last_fall[g] = t
        self.samples.append((t, dict(lags)))
        self.largest = max(self.largest, sum(lags.values()))
        while len(self.samples) > 2 and self.samples[1][0] <= t - self.window:
            self.samples.pop(0)

    def stages(self) -> dict[str, dict]:
        """group -> {lag, rate (messages/s it falls by), eta (seconds, None: unknown), moving,
        flat_s (seconds since its lag last fell)}."""
        if not self.samples:
            return {}
        t0, first = self.samples[0]
        t1, last = self.samples[-1]
        out = {}
        for g, lag in last.items():
            fell = first.get(g, lag) - lag
            rate = fell / (t1 - t0) if t1 > t0 and fell > 0 else 0.0
            flat = t1 - self.last_fall.get(g, t1)   # seconds since its lag last fell
            out[g] = {"lag": lag, "rate": round(rate, 1),
                      "eta": round(lag / rate) if rate > 0 else (0 if lag == 0 else None),
                      "moving": lag == 0 or flat < self.stall, "flat_s": round(flat, 1)}
        return out

    def stalled(self, now: float, since_progress: float) -> list[str]:
        """Groups with work left whose lag has not fallen for `stall` seconds, when nothing
        else (the canary) advanced either in that time."""
        if now - since_progress < self.stall or not self.samples:
            return []
        return [g for g, s in self.stages().items() if not s["moving"]]


def still(s: dict) -> str:
    """A group whose lag has no rate of fall: stalled, flat for a while, or just measured."""
    if not s["moving"]:
        return "not moving"
    flat = s.get("flat_s") or 0
    return f"(not fallen for {flat:.0f} s)" if flat >= 1 else "(no rate yet)"


def progress_line(stage: str, stages: dict[str, dict], waited: float, limit: float) -> str:
    """One compact line: where the canary is, each group with work left (lag, rate, ETA)."""
    busy = [f"{g} lag {s['lag']}" + (f" −{s['rate']:g}/s ~{fmt_eta(s['eta'])}" if s["rate"]
                                     else f" {still(s)}")
            for g, s in stages.items() if s["lag"]]
    return (f"draining [{waited:.0f}/{limit:.0f} s] {stage}"
            + (": " + "; ".join(busy) if busy else ""))


def dropped(found: tuple[int, int] | None, committed: int | None, written: bool,
            topic: str = INVENTARIO_TOPIC, group: str = "inventario") -> str | None:
    """Why the canary's message is proved dropped, or None when it is not (yet): its message
    is on the topic at `found` (partition, offset), `group` has `committed` past it (the next
    offset it will read, read before `written`), and its work was not `written`. Pure."""
    if written or found is None or committed is None or committed <= found[1]:
        return None
    partition, offset = found
    return (f"dropped: the canary's booking reached {topic}[{partition}]@{offset} and consumer "
            f"{group} committed past it (next offset {committed}) without writing its "
            "reservation: it read the message and did nothing with it. A committed message is "
            "not delivered again: no waiting can change this")


class Trail:
    """Finds one message on a topic among those written after it was opened (no group: it
    commits nothing), and reads a group's committed offset where it lies."""

    def __init__(self, bootstrap: str, topic: str = INVENTARIO_TOPIC):
        self.bootstrap, self.topic = bootstrap, topic
        self.found: tuple[int, int] | None = None
        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None,
                                      enable_auto_commit=False, **kafka.security())
        parts = [TopicPartition(topic, p) for p in self.consumer.partitions_for_topic(topic) or ()]
        self.consumer.assign(parts)
        for part, offset in self.consumer.end_offsets(parts).items():
            self.consumer.seek(part, offset)

    def look(self, needle: bytes) -> tuple[int, int] | None:
        """(partition, offset) of the first message since opening whose value holds `needle`."""
        if self.found is None:
            for records in self.consumer.poll(timeout_ms=500, max_records=500).values():
                for rec in records:
                    if self.found is None and rec.value and needle in rec.value:
                        self.found = (rec.partition, rec.offset)
        return self.found

    def committed(self, group: str) -> int | None:
        if self.found is None:
            return None
        return observe.committed(group, self.topic, self.found[0], self.bootstrap)

    def close(self) -> None:
        self.consumer.close()


def fmt_eta(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def drain(db, settings, design: str, timeout: float | None = None, quiet: float = 2.0,
          progress: Callable[[str], None] | None = None, stall: float = STALL) -> dict:
    """Send a canary through every stage and wait for every group to catch up, while things
    move. Returns {drained, stalled, stage (where it stopped, None if drained), detail, lag,
    stages (group -> lag, rate, eta, moving), unsettled (groups with work left), bound,
    seconds, waited (stage -> seconds the canary waited there: where a slow drain's time
    went), backlogged (the groups it waited on with a backlog, once it had waited SHOW_AFTER)}.
    `progress` gets a line about every 2 s while there is a backlog, once the drain
    has waited SHOW_AFTER seconds (a quick drain stays silent)."""
    begun = time.monotonic()
    # a short --timeout never turns into "stalled": not having watched long enough to tell
    # is "not settled", and only STALL seconds without progress name a stage not moving
    backlog = Backlog(stall=stall)
    state = {"progress_at": begun, "shown": 0.0, "limit": bound(0, timeout), "waited": {},
             "backlogged": []}
    probe = observe.lag_probe(bootstrap=settings.kafka_bootstrap)

    def sample() -> None:
        try:
            per_group = probe.sample()
        except Exception:  # noqa: BLE001 - a moving coordinator: no sample this time
            return
        now = time.monotonic()
        backlog.add(now, {g: sum(per.values()) for g, per in per_group.items()})
        state["limit"] = bound(backlog.largest, timeout)

    def result(drained: bool, stage: str | None, detail: str = "", stalled: bool = False,
               dropped: bool = False) -> dict:
        sample()
        stages = backlog.stages()
        left = [g for g, s in stages.items() if s["lag"]]
        # a stage that dropped the canary has nothing in flight for it: waiting will not help
        waits_on = dict(STAGES).get(stage) if stage and not dropped else None
        if waits_on and waits_on not in left:
            left.insert(0, waits_on)
        return {"drained": drained, "stalled": stalled, "dropped": dropped, "stage": stage,
                "detail": detail,
                "lag": {g: s["lag"] for g, s in stages.items()}, "stages": stages,
                "unsettled": [] if drained else left, "bound": state["limit"][1],
                "seconds": round(time.monotonic() - begun, 1), "waited": dict(state["waited"]),
                "backlogged": list(state["backlogged"])}

    def wait(done: Callable[[], object], stage: str) -> dict | None:
        """None when `done()` came true; else the result that ends the drain. Either way the
        seconds spent here are counted for `stage` (a drain that ends stuck names that stage)."""
        entered = time.monotonic()
        ended = _waiting(done, stage)
        state["waited"][stage] = round(state["waited"].get(stage, 0) + time.monotonic() - entered, 1)
        if ended is not None:
            ended["waited"] = dict(state["waited"])
        return ended

    def _waiting(done: Callable[[], object], stage: str) -> dict | None:
        while True:
            if done():
                state["progress_at"] = time.monotonic()
                return None
            sample()
            now = time.monotonic()
            stuck = backlog.stalled(now, state["progress_at"])
            if stuck or (not any(s["lag"] for s in backlog.stages().values())
                         and now - state["progress_at"] > backlog.stall):
                what = ", ".join(stuck) if stuck else stage
                return result(False, stage, f"not moving: {what} made no progress in "
                                            f"{backlog.stall:.0f} s. Is every component running "
                                            "(`boletia lab status`)? Is a fault armed "
                                            "(`boletia lab clear-faults`)?", stalled=True)
            limit, why = state["limit"]
            if now - begun > limit:
                return result(False, stage, f"still moving when the bound ran out ({why})")
            if now - begun >= SHOW_AFTER and now - state["shown"] >= 2.0 and any(
                    s["lag"] for s in backlog.stages().values()):
                state["shown"] = now
                state["backlogged"] += [g for g, s in backlog.stages().items()
                                        if s["lag"] and g not in state["backlogged"]]
                if progress:
                    progress(progress_line(stage, backlog.stages(), now - begun, limit))
            time.sleep(0.5)

    try:
        return _canary(db, design, settings, wait, result, quiet, backlog)
    finally:
        probe.close()


def _canary(db, design, settings, wait, result, quiet, backlog) -> dict:
    token = uuid.uuid4().hex[:8]
    # the canary is active every time: one cancelled by hand (the API refuses, but a lab
    # written by an older version, or a student's pymongo, may have done it) would otherwise
    # never book again, and every verdict after it would be inconclusive
    db.eventos.update_one({"nombre": SENTINEL},
                          {"$setOnInsert": {"capacidad": model.MAX_CAPACITY},
                           "$set": {"categoria": f"sonda {token}", "estado": model.ACTIVE}},
                          upsert=True)
    (s1, _), (s2, _), (s3, _), (s4, _) = STAGES
    ended = wait(lambda: db.inventario.find_one({"nombre": SENTINEL, "estado": model.ACTIVE,
                                                 "categoria": f"sonda {token}"}), s1)
    if ended:
        return ended
    calm: dict[str, float | None] = {"since": None}

    def settled() -> bool:
        stages = backlog.stages()
        if not stages or any(s["lag"] for s in stages.values()):
            calm["since"] = None
            return False
        calm["since"] = calm["since"] or backlog.samples[-1][0]
        return backlog.samples[-1][0] - calm["since"] >= quiet

    reserva = ObjectId()
    try:   # opened before the booking: its message comes after
        trail: Trail | None = Trail(settings.kafka_bootstrap)
    except Exception:  # noqa: BLE001 - a broker still coming back: no proof of a drop, only waiting
        trail = None
    try:
        booking = model.NewBooking(evento=SENTINEL, cantidad=1, email=CANARY_EMAIL)
        mongo.apply(db, designs.get(design).book(booking, reserva))
        drop: dict[str, object] = {"why": None, "at": 0.0}

        def written_or_dropped() -> bool:
            if db.reservas.find_one({"_id": reserva}):
                return True
            if time.monotonic() - drop["at"] < LOOK_EVERY:
                return False
            drop["at"] = time.monotonic()
            try:
                found = trail.look(str(reserva).encode()) if trail else None
                committed = trail.committed("inventario") if found else None   # before the write
            except Exception:  # noqa: BLE001 - a moving coordinator: look again next time
                return False
            drop["why"] = dropped(found, committed, bool(db.reservas.find_one({"_id": reserva})))
            return drop["why"] is not None

        ended = wait(written_or_dropped, s2)
    finally:
        if trail:
            trail.close()
    if ended:
        return ended
    if drop["why"]:
        # proved: the stage lost it. Let what is still queued elsewhere settle, to judge it too
        ended = wait(settled, s4)
        return result(False, s2, str(drop["why"]) + (f"; then {ended['detail']}" if ended else ""),
                      dropped=True)
    ended = wait(lambda: any(str(reserva) in (m.get("body") or "")
                             for m in ses.sent_about([SENTINEL], settings)), s3)
    if ended:
        return ended
    ended = wait(settled, s4)
    return ended or result(True, None)

