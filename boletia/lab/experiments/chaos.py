"""Failure-injection scenarios: load + fault + recovery + proof, in either design.

Each scenario is an experiment in the Chaos Toolkit sense, readable top to bottom: the load
it runs, the fault it injects and when, how the lab recovers. It ends by proving its fault
happened (`Context.require`: the crash fired at these offsets, these writes failed, this
broker was down for so long), because a scenario whose fault never fired proves nothing.
The verdict is one of:

- `clean`        the fault fired and the checker found nothing wrong;
- `violated`     the fault fired and the checker names what broke (with example ids), or a
                 component died that the scenario did not stop;
- `inconclusive` the fault did not fire, or a wait timed out: no judgement either way.

`boletia chaos run NAME --design seed|fixed --seed S` prints the summary as JSON and exits
non-zero unless the verdict is clean; notebook 04 runs the same scenarios side by side. A
scenario leaves the lab in the design it found it in.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from kafka import TopicPartition

from boletia import designs
from boletia.adapters import kafka, mongo
from boletia.lab import autoscaler, groups
from boletia.lab.components import BY_NAME, CONSUMER_TOPICS, CONSUMERS, SINK_CONNECTOR, SINK_GROUP
from boletia.lab.errors import LabError
from boletia.lab.experiments import checker, drain, load
from boletia.lab.experiments.verdict import check_lab
from boletia.lab.notebook import evidence, lag, observe
from boletia.lab.notebook.client import Boletia
from boletia.lab.runtimes.port import Runtime
from boletia.lab.setup import connectors

CLEAN, VIOLATED, INCONCLUSIVE = "clean", "violated", "inconclusive"
# What a scenario itself may find broken, beside the checker's invariants (checker.KINDS)
SCENARIO_KINDS = {
    "poison-dead-lettered": "a message that can never succeed, sent on purpose, was not "
                            "dead-lettered (skipped or retried instead)",
}


class Inconclusive(Exception):
    """The fault did not fire, or a wait timed out: the scenario cannot judge."""


@dataclass
class Context:
    rt: Runtime
    api: Boletia
    db: Any
    design: str
    seed: int
    record: load.Record
    marks: dict[str, Any] = field(default_factory=dict)   # component -> log mark at the start
    facts: list[dict] = field(default_factory=list)
    requirements: list[dict] = field(default_factory=list)
    died: dict[str, str] = field(default_factory=dict)     # component -> last lines of its log
    expected_dead_letters: set[str] = field(default_factory=set)
    after: list[Callable[[], None]] = field(default_factory=list)  # facts to read once drained
    broken: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, subject, detail):
    #                                    what the scenario itself saw broken (SCENARIO_KINDS)
    t0: float = field(default_factory=time.monotonic)

    # ------------------------------------------------------------ evidence
    def fact(self, what: str, **data) -> None:
        self.facts.append({"fact": what, "at_s": round(time.monotonic() - self.t0, 2), **data})

    def require(self, claim: str, held: bool, **data) -> bool:
        """A condition without which the scenario proves nothing (its fault did not fire)."""
        self.requirements.append({"claim": claim, "held": bool(held), **data})
        return bool(held)

    def wait(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise Inconclusive(f"{what}: not seen within {timeout:.0f}s")
            time.sleep(0.2)

    def events(self, component: str) -> list[evidence.Event]:
        """The loop's decisions `component` logged since the scenario began."""
        return evidence.parse(self.rt.logs(component, 0, since=self.marks[component]))

    # ------------------------------------------------------------ actions
    def load(self, customers: int = 8, operations: int = 10, pause: float = 0.2,
             cancel_ratio: float = 0.35, max_tickets: int = 3,
             stop: threading.Event | None = None) -> None:
        load.run(self.api, seed=self.seed, customers=customers, operations=operations,
                 cancel_ratio=cancel_ratio, max_tickets=max_tickets, pause=pause,
                 record=self.record, stop=stop)

    def during_load(self, inject: Callable[[], None], delay: float = 1.0, **kw) -> None:
        """Run the load in the background and call `inject` after `delay` seconds."""
        errors: list[BaseException] = []

        def work():
            try:
                self.load(**kw)
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                errors.append(exc)

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        time.sleep(delay)
        try:
            inject()
        finally:
            worker.join()
        if errors:
            raise errors[0]

    def outage(self, component: str, seconds: float,
               until: Callable[[float], bool] | None = None,
               most: float = 30.0) -> tuple[float, float]:
        """Kill `component`, keep it down `seconds` (and, given `until`, until it holds for
        the epoch second it went down, `most` seconds at most), start it again. Returns the
        epoch seconds it went down and came back (the window requests fell into)."""
        self.rt.kill(component)
        down = time.time()
        self.require(f"{component} was down after the kill", self.rt.state(component) == "stopped")
        time.sleep(seconds)
        while until is not None and not until(down) and time.time() - down < most:
            time.sleep(0.2)
        begun = time.monotonic()
        self.rt.start(component)
        back = time.time()
        self.fact(f"{component} down", seconds=round(back - down, 1),
                  restart_s=round(time.monotonic() - begun, 1))
        return down, back

    def answered_between(self, start: float, end: float, op: str = "book") -> dict[int, int]:
        """How the requests in flight during [start, end] were answered: status -> count."""
        out: dict[int, int] = {}
        for o in self.record.ops:
            if o.op == op and o.sent is not None and o.sent <= end and o.t >= start:
                out[o.status] = out.get(o.status, 0) + 1
        return out


# The seed design's six failure modes (docs/failure-modes.md), each shown by one scenario.
SEED_MODES = {
    1: "commit skips a failed message",
    2: "double refund",
    3: "lost reservation under concurrent booking",
    4: "sink replay resets availability",
    5: "source offsets on a temporary disk",
    6: "duplicate emails",
}


@dataclass(frozen=True)
class Scenario:
    name: str
    about: str
    run: Callable[[Context], None]
    mode: int = 0            # the seed failure mode this shows (0: none)
    seed_violates: str = ""  # the invariant (checker.KINDS) that catches the seed here
    events: int = 3
    capacity: int = 40

    @property
    def breaks_seed(self) -> str:
        return f"{SEED_MODES[self.mode]} (mode {self.mode})" if self.mode else ""


class _Supervisor:
    """Restarts a consumer the armed crash fault killed, as systemd or Kubernetes would. A
    stop that no `crash` line explains is a death the scenario did not cause: recorded."""

    def __init__(self, ctx: Context, consumer: str):
        self.ctx, self.consumer = ctx, consumer
        self.explained = 0  # crashes that explained a stop so far
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self.stop.is_set():
            self._revive()
            time.sleep(0.3)

    def _revive(self) -> None:
        if self.ctx.rt.state(self.consumer) == "stopped":
            crashes = len(evidence.of(self.ctx.events(self.consumer), "crash"))
            if crashes <= self.explained:
                self.ctx.died[self.consumer] = self.ctx.rt.logs(self.consumer, 25)
            self.explained = crashes
            try:
                self.ctx.rt.start(self.consumer)
            except LabError:
                pass  # crashed again at once (the next armed crash): seen on the next turn

    def __enter__(self) -> _Supervisor:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        # the last crash may be newer than the last turn (a loop that committed before its
        # work has nothing to redeliver, and the scenario ends at once): restart it, as a
        # supervisor would, instead of reporting the scenario's own crash as a death
        self._revive()


def _crashes(ctx: Context, consumer: str, topic: str | None, at_least: int) -> list[evidence.Event]:
    def fired():
        crashes = evidence.of(ctx.events(consumer), "crash", topic)
        return crashes if len(crashes) >= at_least else None
    return ctx.wait(fired, 40, f"{at_least} crash(es) of {consumer}" + (f" on {topic}" if topic else ""))


def _redeliveries(ctx: Context, consumer: str, crashes: list[evidence.Event],
                  timeout: float = 60.0) -> None:
    """What each crashed message met when it came back. Read once the group has committed
    past every one (it came back and was handled, in any design), not after a fixed pause:
    a container starts again slower than a process, and on docker 2 s left the last crash's
    redelivery unread."""
    bootstrap = ctx.rt.settings.kafka_bootstrap

    def handled() -> bool:
        offsets = kafka.group_offsets(bootstrap, [consumer]).get(consumer, {})
        return all((o := offsets.get(TopicPartition(c.topic, c.partition))) is not None
                   and o.offset > c.offset for c in crashes)
    ctx.wait(handled, timeout, f"{consumer} committing past the {len(crashes)} message(s) "
             "it crashed on (their redelivery)")
    done = {e.where for e in evidence.of(ctx.events(consumer), "already-done")}
    ctx.fact(f"{consumer} crashed after its write, before its commit",
             at=[c.where for c in crashes],
             redelivery_found_work_done=[c.where for c in crashes if c.where in done])


def consumer_crash(ctx: Context) -> None:
    """Mode 2: after a refund's write, before its commit, the consumer dies; the X comes back."""
    # first inventario right after bookings are recorded (harmless: the unique _id absorbs
    # them), then reembolsos right after refunds (the seed's $inc is not idempotent)
    seen = 0
    for consumer, topic in (("inventario", "boletia.inventario"), ("reembolsos", "boletia.reservas")):
        with _Supervisor(ctx, consumer):
            ctx.during_load(lambda c=consumer, t=topic: ctx.rt.crash_consumer(c, 2, t), delay=1.5)
            crashes = _crashes(ctx, consumer, topic, 2)
            seen += len(crashes)
            _redeliveries(ctx, consumer, evidence.of(ctx.events(consumer), "crash"))
    ctx.require("4 crashes fired between a write and its commit (2 bookings, 2 refunds)",
                seen >= 4, crashes=seen)


def db_write_failures(ctx: Context) -> None:
    """Mode 1: six writes of the consumer fail; the seed commits past them."""
    ctx.during_load(lambda: ctx.rt.fail_writes(6, service="inventario"), delay=0.8)
    def failures():
        failed = [e for e in ctx.events("inventario") if e.kind in ("retry", "skipped")]
        return failed if len(failed) >= 6 else None
    failed = ctx.wait(failures, 30, "6 failed writes of the inventario consumer")
    ctx.require("6 writes failed at the fail point", len(failed) == 6, failed=len(failed))
    ctx.fact("failed writes", retried=[e.where for e in failed if e.kind == "retry"],
             skipped=[e.where for e in failed if e.kind == "skipped"])


def broker_kill(ctx: Context) -> None:
    """The broker coordinating group notificaciones dies under load: its commits and
    heartbeats go there."""
    broker = f"kafka-{lag.group_coordinator(ctx.rt.settings.kafka_bootstrap, 'notificaciones')}"
    window: list[float] = []

    def answered(down: float) -> bool:   # three bookings answered 200 since the kill
        return ctx.answered_between(down, time.time()).get(200, 0) >= 3
    # the load lasts until the broker is back: a fixed number of operations could be over
    # before the kill on a busy machine (the fault would not have fired)
    _under_load(ctx, lambda: window.extend(ctx.outage(broker, 5, until=answered)), after=1.0)
    answers = ctx.answered_between(*window)
    ctx.fact(f"{broker} (coordinator of group notificaciones) was killed", answers=answers)
    ctx.require(f"bookings were answered while {broker} was down", answers.get(200, 0) > 0,
                answers=answers)


def connect_restart(ctx: Context) -> None:
    """Mode 5: Connect dies under load; changes made meanwhile must still be published. The
    seed's standalone worker kept source offsets in /tmp: emulated by deleting them."""
    url = ctx.rt.settings.connect_url
    lose_offsets = not designs.get(ctx.design).durable_connect_offsets
    sources = connectors.names(url, "source")
    window: list[float] = []

    def answered(down: float) -> bool:   # three bookings answered 200 since the kill
        return ctx.answered_between(down, time.time()).get(200, 0) >= 3

    def inject():
        if lose_offsets:
            for name in sources:
                connectors.stop(url, name)
        window.extend(ctx.outage("connect", 4, until=answered))
        if lose_offsets:
            for name in sources:
                connectors.forget_offsets(url, name)
                connectors.resume(url, name)
            # readiness: a source without offsets opens its change stream at "now" when its
            # task starts; a change made before that (the checker's canary, were it sent at
            # once) is never published, and the drain then waited out its whole bound
            for name in sources:
                connectors.wait_running(url, name)
            ctx.fact("source offsets lost with the temporary disk", connectors=sources)
    # the load lasts until Connect is back: a fixed number of operations could be over before
    # the kill on a busy machine (seen in CI: the fault did not fire, the run was inconclusive)
    _under_load(ctx, inject, after=1.0)
    answers = ctx.answered_between(*window)
    ctx.require("bookings were made while Connect was down (changes it must publish later)",
                answers.get(200, 0) > 0, answers=answers)
    made = [o.id for o in ctx.record.ops if o.op == "book" and o.status == 200 and o.sent
            and o.sent <= window[1] and o.t >= window[0]]

    def published():  # once drained: which of them did the restarted source publish?
        recorded = ctx.db.reservas.count_documents({"_id": {"$in": [ObjectId(i) for i in made]}})
        ctx.fact("bookings made while Connect was down, then recorded as reservations",
                 made=len(made), recorded=recorded, skipped=len(made) - recorded)
    ctx.after.append(published)


def mongo_restart(ctx: Context) -> None:
    """MongoDB dies under load: bookings answered 503 meanwhile may or may not exist."""
    window: list[float] = []
    ctx.during_load(lambda: window.extend(ctx.outage("mongo", 3)), delay=1.0)
    answers = ctx.answered_between(*window)
    slowest = max((o.t - o.sent for o in ctx.record.ops if o.sent and o.sent <= window[1]
                   and o.t >= window[0]), default=0.0)
    # the driver waits up to its server-selection timeout for MongoDB to come back, so a
    # short outage is felt as slow answers, a longer one as 503s
    ctx.require("requests were in flight while MongoDB was down", sum(answers.values()) > 0,
                answers=answers, slowest_answer_s=round(slowest, 2))


def sink_replay(ctx: Context) -> None:
    """Mode 4: the sink re-reads boletia.eventos from the start (offsets lost)."""
    ctx.load()
    drain_left = drain.drain(ctx.db, ctx.rt.settings, ctx.design)
    if not drain_left["drained"]:
        raise Inconclusive(f"the lab did not drain before the replay: {drain_left['stage']}")
    url = ctx.rt.settings.connect_url
    bootstrap = ctx.rt.settings.kafka_bootstrap

    def committed() -> int:
        offsets = kafka.group_offsets(bootstrap, [SINK_GROUP]).get(SINK_GROUP, {})
        return sum(o.offset for o in offsets.values())
    before = committed()
    connectors.stop(url, SINK_CONNECTOR)
    try:
        connectors.forget_offsets(url, SINK_CONNECTOR)
        forgotten = committed()
    finally:
        connectors.resume(url, SINK_CONNECTOR)
    connectors.wait_running(url, SINK_CONNECTOR)
    ctx.require("the sink's offsets were deleted", forgotten == 0, committed_before=before)
    reread = ctx.wait(lambda: (n := committed()) >= before and n, 60,
                      "the sink re-reading boletia.eventos")
    # no pause here: the checker's drain waits for every group's lag 0 (the sink commits only
    # what it wrote), so the replay's writes have landed before anything is judged
    ctx.fact("the sink re-read boletia.eventos from the start", messages=reread)


def concurrent_race(ctx: Context) -> None:
    """Mode 3: the source that publishes inventario falls behind while 50 customers book at
    once: with updateLookup every message then carries the latest booking."""
    url = ctx.rt.settings.connect_url
    publisher = connectors.publisher(ctx.design, "inventario")
    connectors.pause(url, publisher)
    try:
        ctx.load(customers=50, operations=1, pause=0, cancel_ratio=0, max_tickets=1)
    finally:
        connectors.resume(url, publisher)
        connectors.wait_running(url, publisher)
    booked = ctx.record.count("book", 200)
    ctx.fact(f"{publisher} paused while 50 customers booked one ticket each", booked=booked)
    ctx.require("at least two bookings waited for the same lookup", booked >= 2, booked=booked)


def notification_redelivery(ctx: Context) -> None:
    """Mode 6: notificaciones dies after SES took an email, before its commit."""
    with _Supervisor(ctx, "notificaciones"):
        ctx.during_load(lambda: ctx.rt.crash_consumer("notificaciones", 3), delay=1.0)
        crashes = _crashes(ctx, "notificaciones", None, 3)
        ctx.require("3 crashes fired after an email was sent, before its commit",
                    len(crashes) >= 3, crashes=len(crashes))
        _redeliveries(ctx, "notificaciones", crashes)


def _members(ctx: Context, groups=CONSUMERS) -> dict[str, list[str]]:
    """Each consumer group's member ids: unchanged across a fault = no rebalance, membership kept."""
    admin = kafka.admin(ctx.rt.settings.kafka_bootstrap)
    try:
        described = admin.describe_groups(list(groups))
    finally:
        admin.close()
    return {g: sorted(m["member_id"] for m in d["members"]) for g, d in described.items()}


def _paused(ctx: Context, component: str, seconds: float,
            until: Callable[[], bool] | None = None, most: float = 40.0) -> tuple[float, float]:
    """Pause `component` for `seconds` (and, given `until`, until it holds, `most` seconds at
    most). Returns the epoch seconds it was paused and resumed."""
    ctx.rt.pause(component)
    start = time.time()
    time.sleep(seconds)
    while until is not None and not until() and time.time() - start < most:
        time.sleep(0.5)
    ctx.rt.resume(component)
    end = time.time()
    ctx.fact(f"{component} paused (SIGSTOP: it holds its sockets and answers nothing)",
             seconds=round(end - start, 1))
    return start, end


def ses_outage(ctx: Context) -> None:
    """SES stops answering under load: emails wait, none is lost or duplicated unexplained,
    and the consumer keeps its place in its group."""
    before = _members(ctx)

    def retried() -> bool:
        return any(e.kind == "retry" for e in ctx.events("notificaciones"))

    # Held until a send failed: the email path yields to the bookings (consumers/priority.py),
    # so on a loaded machine its first send may come only after eight seconds (CI once saw
    # none within them, and the scenario proved nothing).
    ctx.during_load(lambda: _paused(ctx, "ses", 8, until=retried), delay=1.0)
    failed = [e for e in ctx.events("notificaciones") if e.kind == "retry"]
    ctx.require("sends failed while SES was paused (and were retried)", bool(failed),
                retries=len(failed))
    after = _members(ctx)
    ctx.fact("group membership across the outage", before=before, after=after)
    ctx.require("the consumers kept their group membership", before == after)


def mongo_pause(ctx: Context) -> None:
    """MongoDB freezes under load: the APIs answer 503 within their timeout instead of
    hanging, the consumers keep their membership, and nothing is lost after it resumes."""
    before = _members(ctx)
    window: list[float] = []
    ctx.during_load(lambda: window.extend(_paused(ctx, "mongo", 8)), delay=1.0)
    in_window = [o for o in ctx.record.ops if o.sent and o.sent <= window[1] and o.t >= window[0]
                 and o.op in ("book", "cancel")]
    slowest = max((o.t - o.sent for o in in_window), default=0.0)
    answers = ctx.answered_between(*window)
    ctx.fact("answers while MongoDB was paused", answers=answers, slowest_s=round(slowest, 2))
    ctx.require("the APIs answered 503 while MongoDB was paused", answers.get(503, 0) > 0,
                answers=answers)
    ctx.require("no answer took longer than 5 s", slowest <= 5.0, slowest_s=round(slowest, 2))
    after = _members(ctx)
    ctx.require("the consumers kept their group membership", before == after,
                before=before, after=after)


def poison_message(ctx: Context) -> None:
    """A reservation message whose address SES would refuse (published by a foreign producer):
    it is dead-lettered at once with the reason, and no other customer's email waits for it."""
    from bson import json_util
    from kafka import KafkaProducer

    poison = ObjectId()
    doc = {"_id": poison, "evento": ctx.record.events[0], "estado": "A", "email": "a,b@c.de",
           "cantidad": 1}
    sent: list = []

    def inject():
        producer = KafkaProducer(bootstrap_servers=ctx.rt.settings.kafka_bootstrap.split(","),
                                 acks="all", **kafka.security())
        try:
            meta = producer.send("boletia.reservas", key=json_util.dumps({"_id": poison}).encode(),
                                 value=json_util.dumps(doc).encode()).get(timeout=30)
        finally:
            producer.close()
        sent.extend([time.time(), meta.partition, meta.offset])
    ctx.during_load(inject, delay=1.0)
    ctx.expected_dead_letters.add(str(poison))
    at, partition, offset = sent
    where = f"boletia.reservas[{partition}]@{offset}"
    try:
        dead = ctx.wait(lambda: [e for e in ctx.events("notificaciones")
                                 if e.kind == "dead-letter" and e.where == where], 30,
                        f"the poison message {where} dead-lettered by notificaciones")
    except Inconclusive:
        # the poison was published (the fault fired): a consumer that never put it aside failed
        # (a student's own loop may not: notebook 06, level "consumer loop")
        ctx.broken.append(("poison-dead-lettered", where, "never dead-lettered within 30 s "
                           "(skipped or retried instead)"))
        return
    after = [e for e in ctx.events("notificaciones") if e.kind == "retry" and e.where == where]
    ctx.fact("the poison message", at=where, reason=dead[0].detail[:160], retries=len(after))
    ctx.require("the poison was dead-lettered, not retried", not after)


def resume_point_lost(ctx: Context) -> None:
    """Issue 28.5: the source that publishes boletia.inventario loses its resume point under
    load (stopped, its offsets deleted, resumed: it starts from the stream's current position),
    in either design. The bookings answered 200 meanwhile never reach the consumer. The seed
    has no other record of them: lost. The fixed design recorded each in `pedidos` before
    answering; `boletia lab reconcile` (run here once the flow has caught up; the watchdog
    runs it every minute) writes their reservations, idempotently."""
    from boletia.lab.setup.reconcile import reconcile

    url = ctx.rt.settings.connect_url
    sources = connectors.names(url, "source")
    source = "mongo-source-inventario" if "mongo-source-inventario" in sources else "mongo-source"
    window: list[float] = []

    def inject():
        connectors.stop(url, source)
        window.append(time.time())
        time.sleep(3)
        connectors.forget_offsets(url, source)
        connectors.resume(url, source)
        window.append(time.time())
        ctx.fact("the resume point of the inventario source lost", connector=source)
    # load that outlasts the fault: on a busy machine stopping a connector can take longer than
    # a fixed number of bookings (seen in CI: nothing answered meanwhile, "did not fire")
    _under_load(ctx, inject, after=1.0)
    answers = ctx.answered_between(*window)
    ctx.require("bookings were answered 200 while the source was stopped (their changes are "
                "skipped)", answers.get(200, 0) > 0, answers=answers)
    made = [ObjectId(o.id) for o in ctx.record.ops if o.op == "book" and o.status == 200
            and o.sent and o.sent <= window[1] and o.t >= window[0]]
    caught_up = drain.drain(ctx.db, ctx.rt.settings, ctx.design)
    missing = len(made) - ctx.db.reservas.count_documents({"_id": {"$in": made}})
    ctx.fact("bookings made while the source was stopped, without their reservation once the "
             "flow caught up", made=len(made), missing=missing, drained=caught_up["drained"])
    done = reconcile(ctx.db, grace=0)
    ctx.fact("reconcile", recorded=done.checked, completed=len(done.completed),
             already=done.done)


# ------------------------------------------------------------ scaling out (issue 27)
SCALED = "inventario"  # the consumer the scale scenarios scale: boletia.inventario, 3 partitions
REBALANCE = re.compile(r"rebalance generation (?P<generation>\d+) assigned (?P<assigned>\S+); "
                       r"holds (?P<holds>\S+)")


def _partitions(consumer: str) -> int:
    """How many partitions the group of `consumer` reads in all (its topics' 3 each)."""
    return kafka.PARTITIONS * len(CONSUMER_TOPICS[BY_NAME[consumer].group])


def _held(ctx: Context, group: str = SCALED) -> dict[str, list[str]]:
    """Each member's instance id -> the partitions it holds now, as the coordinator says."""
    rows = groups.member_rows(group, kafka.group_members(ctx.rt.settings.kafka_bootstrap,
                                                         [group]).get(group, []))
    return {r["instance"]: r["partitions"] or [] for r in rows}


def _generations(ctx: Context, member: str, since: int | None = None) -> list[int]:
    """The group generations `member` logged joining (its `rebalance generation N` lines),
    since a log mark, or in the last 400 lines of its log."""
    text = ctx.rt.logs(member, 0 if since is not None else 400, since=since)
    return [int(m["generation"]) for m in REBALANCE.finditer(text)]


def _under_load(ctx: Context, inject: Callable[[], None], after: float = 2.0) -> tuple[float, float]:
    """Load that lasts until `after` seconds past the end of `inject` (a scale verb may take
    10 s to settle, an outage lasts until bookings were answered: a fixed number of
    operations would be over before on a busy machine).
    Returns the epoch seconds the injection began and ended."""
    stop = threading.Event()
    window: list[float] = []

    def timed():
        window.append(time.time())
        try:
            inject()
        finally:
            window.append(time.time())
            time.sleep(after)
            stop.set()
    ctx.during_load(timed, delay=1.0, customers=4, operations=400, pause=0.25, stop=stop)
    return window[0], window[1]


def _proved_rebalance(ctx: Context, member: str, before: list[int], mark: int,
                      window: tuple[float, float]) -> None:
    """The facts every scale scenario needs: a new generation, bookings answered meanwhile."""
    after = _generations(ctx, member, since=mark)
    ctx.fact(f"{member} joined new generations of group {SCALED}",
             before=before[-1] if before else None, after=after)
    ctx.require(f"group {SCALED} rebalanced: {member} logged a newer generation",
                bool(after) and (not before or max(after) > before[-1]), before=before[-1:],
                after=after)
    answers = ctx.answered_between(*window)
    ctx.require("bookings were answered while the group rebalanced", answers.get(200, 0) > 0,
                answers=answers)


def scale_up_under_load(ctx: Context) -> None:
    """A second member joins inventario's group under load: partitions move to it, the
    members stop during the rebalance, and nothing is lost or done twice unexplained."""
    held, before, mark = _held(ctx), _generations(ctx, SCALED), ctx.rt.log_mark(SCALED)
    ctx.require(f"{SCALED} starts as one member holding every partition",
                len(held) == 1 and len(next(iter(held.values()), [])) == _partitions(SCALED),
                members=held)
    ctx.after.append(lambda: ctx.rt.scale(SCALED, 1))  # once judged, back to one member
    window = _under_load(ctx, lambda: ctx.rt.scale(SCALED, 2))
    now = _held(ctx)
    new = now.get(groups.group_instance_id(SCALED, 2), [])
    ctx.fact(f"{SCALED} scaled to 2 under load", seconds=round(window[1] - window[0], 1),
             members=now)
    ctx.require("partitions moved to the new member", bool(new) and len(now) == 2, members=now)
    _proved_rebalance(ctx, SCALED, before, mark, window)


def scale_down_under_load(ctx: Context) -> None:
    """The second member of inventario leaves under load (SIGTERM, then out of the group):
    its partitions move back to the first, which picks them up from their last commit."""
    ctx.rt.scale(SCALED, 2)
    second = groups.group_instance_id(SCALED, 2)
    held, before, mark = _held(ctx), _generations(ctx, SCALED), ctx.rt.log_mark(SCALED)
    leaving = held.get(second, [])
    ctx.require(f"{SCALED} starts as two members, the second holding partitions",
                len(held) == 2 and bool(leaving), members=held)
    window = _under_load(ctx, lambda: ctx.rt.scale(SCALED, 1))
    now = _held(ctx)
    ctx.fact(f"{SCALED} scaled to 1 under load", seconds=round(window[1] - window[0], 1),
             moved=leaving, members=now)
    # the one left by whatever instance id it has (compose's containers set none: hostname-pid)
    left = next(iter(now.values())) if len(now) == 1 and second not in now else []
    ctx.require("the leaving member's partitions moved to the one left",
                bool(left) and set(leaving) <= set(left), members=now)
    _proved_rebalance(ctx, SCALED, before, mark, window)


def member_kill(ctx: Context) -> None:
    """A member of inventario is SIGKILLed under load: as a static member it sends no
    LeaveGroup, so its partitions wait for its session timeout (10 s), then move to the other
    member, which redoes what the dead one did but never committed."""
    ctx.rt.scale(SCALED, 2)
    victim, second = groups.member_name(SCALED, 2), groups.group_instance_id(SCALED, 2)
    held, before, mark = _held(ctx), _generations(ctx, SCALED), ctx.rt.log_mark(SCALED)
    orphaned = held.get(second, [])
    ctx.require(f"{victim} holds partitions before the kill", bool(orphaned), members=held)
    moved: dict[str, float] = {}

    def inject():
        ctx.rt.kill(victim)
        killed, moved["killed_at"] = time.monotonic(), time.time()
        ctx.require(f"{victim} was down after the kill", ctx.rt.state(victim) == "stopped")
        ctx.wait(lambda: len(now := _held(ctx)) == 1 and second not in now, 60,
                 f"{victim}'s partitions moving to {SCALED} after its session timeout")
        moved["seconds"], moved["moved_at"] = round(time.monotonic() - killed, 1), time.time()
    window = _under_load(ctx, inject)
    # the wall-clock moments (epoch s) let a lesson lay the bookings' delays against them
    ctx.fact(f"{victim} killed under load; its partitions moved to {SCALED}",
             after_s=moved.get("seconds"), moved=orphaned, members=_held(ctx),
             killed_at=moved.get("killed_at"), moved_at=moved.get("moved_at"))
    ctx.rt.scale(SCALED, 1)  # the dead member out of the lab's list, as an operator would
    _proved_rebalance(ctx, SCALED, before, mark, window)


# the lab's autoscaler sized for a lesson: a lag of 10 per member, down after 4 s wanted, 2 s
# between changes (the lab's defaults are 50, 30 s and 15 s; Kubernetes' HPA waits 5 minutes)
BURST_POLICY = autoscaler.Policy(target_lag=10, min_members=1, max_members=3, cooldown=2,
                                 stabilize_down=4)
BURST_HELD = 8.0   # seconds the burst lasts once a second member has joined


def autoscale_burst(ctx: Context) -> None:
    """A burst the one member cannot keep up with (each of its messages slowed to 0.2 s by the
    lab's delay fault, under load): the autoscaler adds members on the lag; the burst goes on
    for BURST_HELD seconds with them, and once the delay is lifted and the backlog gone it
    goes back to one. Its readings (lag, members) and its decisions, each with the moment it
    was made and the moment the change had settled (the loop makes no reading while a scale
    waits for the group to rebalance), are the facts a lesson plots."""
    said: list[str] = []
    decided: list[dict] = []
    readings: list[dict] = []
    stop = threading.Event()
    members = autoscaler.members_running(ctx.rt, SCALED)
    ctx.require(f"{SCALED} starts as one member", members == 1, members=members)

    def watch(lag_now: int, partitions: int, members: int) -> None:
        now = time.time()
        readings.append({"t": now, "lag": lag_now, "members": members})
        for d in decided:
            d.setdefault("settled_at", now)

    def log(line: str) -> None:
        said.append(line)
        if ": scale " in line:
            decided.append({"at": time.time(), "decision": line.split(": ", 1)[1]})
    scaler = threading.Thread(target=autoscaler.run, args=(ctx.rt, SCALED, BURST_POLICY, stop),
                              kwargs={"every": 1.0, "log": log, "watch": watch},
                              daemon=True)
    marks: dict[str, float] = {}

    def burst():
        ctx.rt.slow_consumer(SCALED, 0.2)   # 5 messages a second a member
        marks["burst_at"] = time.time()
        scaler.start()
        ctx.wait(lambda: autoscaler.members_running(ctx.rt, SCALED) > 1, 90,
                 f"the autoscaler adding a member of {SCALED}")
        time.sleep(BURST_HELD)   # the burst goes on with more members: the lag they face
        ctx.rt.slow_consumer(SCALED, 0)
        marks["lifted_at"] = time.time()
    try:
        _under_load(ctx, burst, after=1.0)
        # down, and then a reading of the one member left (the loop reads after each change)
        ctx.wait(lambda: any(" -> 1 member(s)" in d["decision"] for d in decided)
                 and readings and readings[-1]["members"] == 1, 120,
                 f"the autoscaler back to one member of {SCALED}")
    finally:
        stop.set()
        ctx.rt.slow_consumer(SCALED, 0)
        if scaler.ident is not None:  # started
            scaler.join(30)
        if autoscaler.members_running(ctx.rt, SCALED) != 1:
            ctx.rt.scale(SCALED, 1)
    decisions = [d["decision"] for d in decided]
    ctx.fact("the autoscaler followed the burst", decisions=decisions, readings=readings,
             changes=decided,
             most=max((r["members"] for r in readings), default=0), **marks)
    ctx.require(f"it scaled {SCALED} up on the backlog",
                any(d.startswith("scale 1 -> ") for d in decisions), said=said[-10:])
    ctx.require("and back down to one once the backlog was gone",
                any(" -> 1 member(s)" in d for d in decisions), said=said[-10:])


API_SCALED = "reservas"


def answering(url: str, probes: int = 40) -> dict[str, int]:
    """Which replica answers each of `probes` new connections to one address (the kernel
    spreads connections, not requests, between the processes that share a port)."""
    from boletia.lab.runtimes.replicas import replica_at

    seen: dict[str, int] = {}
    for _ in range(probes):
        replica = replica_at(url) or "(no answer)"
        seen[replica] = seen.get(replica, 0) + 1
    return seen


def api_replica_kill(ctx: Context) -> None:
    """reservas runs as three replicas sharing its one port; the second is SIGKILLed under
    load. The kernel stops giving it connections at once; a customer whose kept-alive
    connection it held sees that request fail and reconnects to another replica; every
    booking answered 200 still has its reservation."""
    url = ctx.rt.settings.reservas_url
    ctx.rt.scale(API_SCALED, 3)
    replicas = {groups.member_name(API_SCALED, k) for k in (1, 2, 3)}
    victim = groups.member_name(API_SCALED, 2)
    before = answering(url)
    ctx.require(f"all 3 replicas answer {API_SCALED}'s one address", set(before) == replicas,
                answered=before)

    def inject():
        ctx.rt.kill(victim)
        ctx.require(f"{victim} was down after the kill", ctx.rt.state(victim) == "stopped")
    window = _under_load(ctx, inject, after=3.0)
    after = answering(url)
    ctx.fact(f"{victim} killed under load; the address answered by", before=before, after=after,
             answers=ctx.answered_between(window[0], window[1] + 3.0))
    ctx.require("the address is answered by the other two alone", set(after) == replicas - {victim},
                answered=after)
    ctx.require("bookings were answered 200 after the kill",
                any(o.op == "book" and o.status == 200 and o.sent and o.sent > window[1]
                    for o in ctx.record.ops))
    ctx.rt.scale(API_SCALED, 1)  # the dead replica out of the lab's list, as an operator would


def _workers(ctx: Context) -> dict[str, tuple[str, str]]:
    """Connect's running workers as the runtime lists them: name (`connect`, `connect-2`) ->
    (its REST URL from this machine, the worker id Connect reports its tasks on)."""
    return {r.name: (r.connection, r.member_id) for r in ctx.rt.status()
            if r.kind == "connect" and r.state == "running"}


def _task_holder(url: str, connector: str) -> str | None:
    try:
        return groups.task_worker(connectors.statuses(url), connector)
    except Exception:  # noqa: BLE001 - the worker between rebalances: not yet
        return None


def connect_worker_kill(ctx: Context) -> None:
    """Connect runs as two workers; the one running the task of inventario's source is
    SIGKILLed under load. Its task waits out the worker's session (10 s) and the delay a
    departed worker is given to return (`scheduled.rebalance.max.delay.ms`, 10 s), then
    starts on the other worker, from the last offset the dead one committed: the changes made
    meanwhile are published late, none lost. Then the dead worker is started again."""
    ctx.rt.scale(groups.CONNECT, 2)
    ctx.after.append(lambda: ctx.rt.scale(groups.CONNECT, 1))  # once judged, one worker again
    source = connectors.publisher(ctx.design, "inventario")
    topic = "boletia.inventario"
    workers = _workers(ctx)
    urls, ids = {n: u for n, (u, _) in workers.items()}, {n: i for n, (_, i) in workers.items()}
    statuses = connectors.statuses(urls[groups.CONNECT])
    holder = groups.task_worker(statuses, source)
    victim = next((n for n, wid in ids.items() if wid == holder), None)
    ctx.require(f"Connect runs as two workers, one of them running {source}'s task",
                len(urls) == 2 and victim is not None, holder=holder,
                workers=groups.worker_holdings(statuses))
    if victim is None:
        return
    survivor = next(n for n in urls if n != victim)
    bootstrap = ctx.rt.settings.kafka_bootstrap
    times: dict[str, float] = {}
    orphaned: list[float] = []  # epoch seconds: the kill, the task running again

    def inject():
        ctx.rt.kill(victim)
        killed = time.monotonic()
        orphaned.append(time.time())
        ctx.require(f"{victim} was down after the kill", ctx.rt.state(victim) == "stopped")
        size = observe.topic_size(topic, bootstrap)  # what the dead task had published
        ctx.wait(lambda: _task_holder(urls[survivor], source) == ids[survivor], 120,
                 f"{source}'s task starting on {survivor}")
        orphaned.append(time.time())
        times["task_moved_s"] = round(time.monotonic() - killed, 1)
        ctx.wait(lambda: observe.topic_size(topic, bootstrap) > size, 60,
                 f"{source} publishing to {topic} again from {survivor}")
        times["published_again_s"] = round(time.monotonic() - killed, 1)
        if victim == groups.CONNECT:  # worker 1 is the lab's address: started as it was
            ctx.rt.start(groups.CONNECT)
        ctx.rt.scale(groups.CONNECT, 2)  # the dead worker back in the cluster
        times["back_s"] = round(time.monotonic() - killed, 1)
    _under_load(ctx, inject)
    ctx.fact(f"{victim} (running {source}'s task) SIGKILLed under load; the task moved to "
             f"{survivor}", **times, workers=groups.worker_holdings(
                 connectors.statuses(_workers(ctx)[groups.CONNECT][0])))
    ctx.require(f"{source}'s task moved to {survivor} and published again",
                "published_again_s" in times, **times)
    answers = ctx.answered_between(*orphaned) if len(orphaned) == 2 else {}
    ctx.require(f"bookings were answered while {source} had no task (changes to publish late)",
                answers.get(200, 0) > 0, answers=answers)


SCENARIOS = {s.name: s for s in [
    Scenario("db-write-failures", "the inventario consumer's next 6 writes fail (fail point)",
             db_write_failures, mode=1, seed_violates="booking-has-reservation"),
    Scenario("consumer-crash-before-commit", "inventario, then reembolsos, crash after their "
             "writes, before their commits; the messages come back", consumer_crash, mode=2,
             seed_violates="tickets-conserved"),
    Scenario("concurrent-booking-race", "50 simultaneous bookings on one event while the "
             "source of inventario lags", concurrent_race, mode=3,
             seed_violates="booking-has-reservation", events=1, capacity=60),
    Scenario("sink-replay", "the sink re-reads boletia.eventos from the start", sink_replay,
             mode=4, seed_violates="tickets-conserved"),
    Scenario("connect-restart", "Connect killed during load, restarted once 4 s passed and 3 "
             "bookings were answered meanwhile",
             connect_restart, mode=5, seed_violates="booking-has-reservation"),
    Scenario("notification-redelivery", "notificaciones crashes after sending, before its "
             "commit", notification_redelivery, mode=6, seed_violates="email-duplicate"),
    Scenario("broker-kill", "the broker coordinating the consumer group killed during load, "
             "restarted 5 s later", broker_kill),
    Scenario("mongo-restart", "MongoDB killed during load, restarted 3 s later", mongo_restart),
    Scenario("ses-outage", "SES paused under load until a send failed (8 s at least)", ses_outage),
    Scenario("mongo-pause", "MongoDB paused for 8 s under load", mongo_pause),
    Scenario("poison-message", "a reservation whose address SES refuses reaches notificaciones",
             poison_message),
    Scenario("resume-point-lost", "the source of boletia.inventario loses its resume point "
             "under load; then `lab reconcile`", resume_point_lost,
             seed_violates="booking-has-reservation"),
    Scenario("scale-up-under-load", "a second inventario member joins its group under load",
             scale_up_under_load, events=2, capacity=60),
    Scenario("scale-down-under-load", "the second inventario member leaves its group under load",
             scale_down_under_load, events=2, capacity=60),
    # 20 events: one event's bookings share a key (its inventory document), so one partition.
    # With 2, no booking sits on the killed member's one partition of boletia.inventario in
    # (2/3)^2 = 44% of runs (a clone run did, and lesson 08's pause showed nothing); with 20,
    # (2/3)^20 < 0.001
    Scenario("member-kill", "the second inventario member SIGKILLed under load; its partitions "
             "move after its session timeout", member_kill, events=20, capacity=60),
    Scenario("connect-worker-kill", "Connect as two workers; the one running inventario's source "
             "SIGKILLed under load, its task moves to the other", connect_worker_kill),
    Scenario("autoscale-burst", "inventario's messages slowed under load: the lab's autoscaler adds "
             "members on the lag, and back to one once it is gone", autoscale_burst, events=2,
             capacity=60),
    Scenario("api-replica-kill", "reservas as three replicas on its one port; the second "
             "SIGKILLed under load, the others keep the address", api_replica_kill, events=2,
             capacity=60),
]}
MODE_SCENARIOS = {s.mode: s.name for s in SCENARIOS.values() if s.mode}
assert sorted(MODE_SCENARIOS) == sorted(SEED_MODES)


def _preflight(rt: Runtime) -> None:
    not_running = [s.name for s in rt.status() if s.state != "running"]
    if not_running:
        last_words = "".join(f"\n--- last lines of {n}'s log:\n{_log_tail(rt, n)}"
                             for n in not_running)
        raise LabError(f"the lab is not fully running ({', '.join(not_running)}): "
                       f"run `boletia lab up` first{last_words}")


def _log_tail(rt: Runtime, component: str, lines: int = 15) -> str:
    try:
        return rt.logs(component, lines)
    except LabError as exc:
        return str(exc)


def run(name: str, design: str = "fixed", seed: int = 1, rt: Runtime | None = None,
        report=lambda m: None) -> dict:
    """Run one scenario and return its summary; `verdict` is clean, violated or inconclusive."""
    if name not in SCENARIOS:
        raise LabError(f"unknown scenario {name!r}; `boletia chaos list` shows them")
    scenario = SCENARIOS[name]
    if rt is None:
        from boletia.lab.runtimes.factory import get_runtime
        rt = get_runtime("local")
    _preflight(rt)
    found_design = rt.design()
    if found_design != design:
        report(f"switching the lab to the {design} design (it goes back to {found_design} after)")
        rt.set_design(design)
    rt.clear_faults()
    api = Boletia(token=rt.admin_token(), settings=rt.settings)
    client = mongo.connect(rt.settings)
    started = time.monotonic()
    inconclusive = None
    try:
        record = load.Record(seed=seed, prefix=f"{name} {design} s{seed}-{int(time.time()) % 100000}")
        ctx = Context(rt, api, mongo.database(client), design, seed, record,
                      marks={c: rt.log_mark(c) for c in CONSUMERS})
        load.create_events(api, record, scenario.events, scenario.capacity)
        report(f"{name}: {scenario.about}")
        try:
            scenario.run(ctx)
        except Inconclusive as exc:
            inconclusive = str(exc)
        rt.clear_faults()
        for comp in rt.status():  # a component the scenario did not stop on purpose died
            if comp.state != "running":
                ctx.died.setdefault(comp.name, _log_tail(rt, comp.name, 25))
                rt.start(comp.name)
        report("checking: a canary through the pipeline, then the invariants")
        verdict = check_lab(rt, record, design, ctx.expected_dead_letters, stopped=ctx.died)
        for read_fact in ctx.after:
            read_fact()
        for kind, subject, detail in ctx.broken:  # not the checker's: seen by the scenario
            verdict.violations.append(checker.Violation(kind, subject, detail))
    finally:
        client.close()
        if rt.design() != found_design:
            rt.set_design(found_design)
    unmet = [r["claim"] for r in ctx.requirements if not r["held"]]
    if unmet and not inconclusive:
        inconclusive = "the fault did not fire: " + "; ".join(unmet)
    outcome = INCONCLUSIVE if inconclusive else verdict.verdict
    return {
        "scenario": name, "design": design, "seed": seed, "verdict": outcome,
        "ok": outcome == CLEAN, "inconclusive": inconclusive,
        "seed_failure_mode": scenario.breaks_seed, "seed_violates": scenario.seed_violates,
        "seconds": round(time.monotonic() - started, 1),
        "operations": record.summary(), "evidence": ctx.facts, "requirements": ctx.requirements,
        "violations": verdict.counts, "examples": verdict.examples(),
        "explained_duplicates": verdict.explained_duplicates, "checked": verdict.checked,
        "drain": verdict.drain,
        # each booking answered 200: its id and when the answer came (epoch s), to lay the
        # bookings' delays against the fault's moments (lesson 08's rebalance pause)
        "booked": [{"id": o.id, "t": o.t} for o in record.ops if o.op == "book" and o.status == 200],
    }
