"""Failure-injection scenarios: load + fault + recovery + check, in either design.

Each scenario is a small story a student can read top to bottom: what load runs, which
fault is injected when, how the lab recovers, and the checker's verdict. `boletia chaos run
NAME --design seed|fixed --seed S` prints the summary as JSON and exits non-zero on any
violation, so the same scenario is a lesson (notebook 04) and a CI check.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from boletia.adapters import kafka, mongo, ses
from boletia.lab.errors import LabError
from boletia.lab.experiments import checker, load
from boletia.lab.notebook import observe
from boletia.lab.notebook.client import Boletia
from boletia.lab.runtimes.local import LocalRuntime
from boletia.lab.setup import connectors


@dataclass
class Context:
    rt: LocalRuntime
    api: Boletia
    db: object
    design: str
    seed: int
    record: load.Record
    faults: list[dict] = field(default_factory=list)
    recovery: list[float] = field(default_factory=list)
    t0: float = field(default_factory=time.monotonic)

    def fault(self, what: str, **info) -> None:
        self.faults.append({"fault": what, "at_s": round(time.monotonic() - self.t0, 2), **info})

    def load(self, customers: int = 8, operations: int = 10, pause: float = 0.2,
             cancel_ratio: float = 0.35, max_tickets: int = 3,
             stop: threading.Event | None = None) -> None:
        load.run(self.api, seed=self.seed, customers=customers, operations=operations,
                 cancel_ratio=cancel_ratio, max_tickets=max_tickets, pause=pause,
                 record=self.record, stop=stop)

    def during_load(self, inject: Callable[[], None], delay: float = 1.0, **kw) -> None:
        """Run the load in the background and call `inject` after `delay` seconds."""
        worker = threading.Thread(target=self.load, kwargs=kw, daemon=True)
        worker.start()
        time.sleep(delay)
        inject()
        worker.join()

    def restart_within(self, component: str, after: float) -> None:
        time.sleep(after)
        begun = time.monotonic()
        self.rt.start(component)
        self.recovery.append(round(time.monotonic() - begun, 2))


@dataclass(frozen=True)
class Scenario:
    name: str
    about: str
    breaks_seed: str  # which SPEC §5 failure mode the seed design shows here ("" if none)
    run: Callable[[Context], None]
    events: int = 3
    capacity: int = 40


def _watch_and_restart(ctx: Context, consumer: str, stop: threading.Event) -> None:
    """Restart a consumer whenever the armed crash has killed it (a supervisor's job)."""
    while not stop.is_set():
        if ctx.rt.handle(consumer).state() == "stopped":
            ctx.fault("consumer crashed", component=consumer)
            try:
                ctx.restart_within(consumer, 0.5)
            except LabError:
                pass  # crashed again at once (the next armed crash): seen on the next turn
        time.sleep(0.3)


def consumer_crash(ctx: Context) -> None:
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_and_restart, args=(ctx, "inventario", stop),
                               daemon=True)
    watcher.start()
    # first right after bookings are recorded (harmless: the unique _id absorbs them),
    # then right after refunds (the seed's $inc is not idempotent)
    for topic, times in (("boletia.inventario", 2), ("boletia.reservas", 2)):
        ctx.during_load(lambda t=topic, n=times: (
            ctx.rt.crash_consumer("inventario", n, t),
            ctx.fault(f"armed crash-before-commit x{n} on {t}")), delay=1.5)
        _wait_until(lambda: not _armed(ctx, "inventario"), 30)
    time.sleep(2)
    stop.set()
    watcher.join()


def db_write_failures(ctx: Context) -> None:
    def inject():
        ctx.rt.fail_writes(6, service="inventario")
        ctx.fault("next 6 writes of the inventario consumer fail", service="inventario")
    ctx.during_load(inject, delay=0.8)


def _kill_then_start(ctx: Context, component: str, what: str, after: float) -> None:
    def inject():
        ctx.rt.kill(component)
        ctx.fault(what)
        ctx.restart_within(component, after)
    ctx.during_load(inject, delay=1.0)


def broker_kill(ctx: Context) -> None:
    # the broker that coordinates group notificaciones: its commits and heartbeats go there
    broker = f"kafka-{kafka.group_coordinator(ctx.rt.settings.kafka_bootstrap, 'notificaciones')}"
    _kill_then_start(ctx, broker, f"killed {broker} (1 of 3 brokers, coordinator of group "
                                  "notificaciones)", 5)


def connect_restart(ctx: Context) -> None:
    url = ctx.rt.settings.connect_url

    def inject():
        lose_offsets = ctx.design == "seed"
        sources = connectors.names(url, "source")
        if lose_offsets:
            # The seed's standalone worker kept source offsets in /tmp: a restart of its
            # container starts with none. Emulated by deleting them while the worker is down.
            for name in sources:
                connectors.stop(url, name)
        ctx.rt.kill("connect")
        ctx.fault("killed connect" + (" (seed: source offsets on a temporary disk)"
                                      if lose_offsets else ""))
        time.sleep(4)  # changes made now must survive
        ctx.restart_within("connect", 0)
        if lose_offsets:
            for name in sources:
                connectors.forget_offsets(url, name)
                connectors.resume(url, name)
            ctx.fault("source offsets lost with the temporary disk")
    ctx.during_load(inject, delay=0.8)


def mongo_restart(ctx: Context) -> None:
    _kill_then_start(ctx, "mongo", "killed mongo (SecantusDB)", 3)


def sink_replay(ctx: Context) -> None:
    ctx.load()
    observe.wait_drained()
    connectors.replay(ctx.rt.settings.connect_url, "mongo-sink")
    ctx.fault("sink offsets reset: boletia.eventos replayed into inventario")
    time.sleep(5)


def concurrent_race(ctx: Context) -> None:
    ctx.fault("50 customers book 1 ticket each, at once, on one event")
    ctx.load(customers=50, operations=1, pause=0, cancel_ratio=0, max_tickets=1)


def notification_redelivery(ctx: Context) -> None:
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_and_restart, args=(ctx, "notificaciones", stop),
                               daemon=True)
    watcher.start()
    ctx.during_load(lambda: (ctx.rt.crash_consumer("notificaciones", 3),
                             ctx.fault("armed crash after sending, before commit, x3")),
                    delay=1.0)
    _wait_until(lambda: not _armed(ctx, "notificaciones"), 30)
    time.sleep(2)
    stop.set()
    watcher.join()


SCENARIOS = {s.name: s for s in [
    Scenario("consumer-crash-before-commit", "inventario crashes after its write, before its "
             "commit; the message comes back", "double refund (§5.2)", consumer_crash),
    Scenario("db-write-failures", "the inventario consumer's next 6 writes fail (fail point)",
             "commit skips a failed message (§5.1)", db_write_failures),
    Scenario("broker-kill", "the broker coordinating the consumer group killed during load, "
             "restarted 5 s later", "",
             broker_kill),
    Scenario("connect-restart", "Connect killed during load, restarted 4 s later",
             "source offsets on a temporary disk (§5.5)", connect_restart),
    Scenario("mongo-restart", "MongoDB killed during load, restarted 3 s later", "",
             mongo_restart),
    Scenario("sink-replay", "the sink re-reads boletia.eventos from the start",
             "sink replay resets availability (§5.4)", sink_replay),
    Scenario("concurrent-booking-race", "50 simultaneous bookings on one event",
             "lost reservation under concurrent booking (§5.3)", concurrent_race,
             events=1, capacity=60),
    Scenario("notification-redelivery", "notificaciones crashes after sending, before its "
             "commit", "duplicate emails (§5.6)", notification_redelivery),
]}


def _armed(ctx: Context, consumer: str) -> bool:
    from boletia.lab import hooks
    return hooks.fault_file(consumer, hooks.CRASH, ctx.rt.dir).exists()


def _log_tail(rt: LocalRuntime, component: str, lines: int = 15) -> str:
    try:
        return rt.logs(component, lines)
    except LabError as exc:
        return str(exc)


def _wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def run(name: str, design: str = "fixed", seed: int = 1, rt: LocalRuntime | None = None,
        report=lambda m: None) -> dict:
    """Run one scenario and return its summary (`ok` false on any violation)."""
    if name not in SCENARIOS:
        raise LabError(f"unknown scenario {name!r}; `boletia chaos list` shows them")
    scenario = SCENARIOS[name]
    rt = rt or LocalRuntime()
    not_running = [s.name for s in rt.status() if s.state != "running"]
    if not_running:
        last_words = "".join(f"\n--- last lines of {n}'s log:\n{_log_tail(rt, n)}"
                             for n in not_running)
        raise LabError(f"the lab is not fully running ({', '.join(not_running)}): "
                       f"run `boletia lab up` first{last_words}")
    if rt.design() != design:
        report(f"switching the lab to the {design} design")
        rt.set_design(design)
    rt.clear_faults()
    api = Boletia(token=rt.admin_token(), settings=rt.settings)
    client = mongo.client(rt.settings.mongo_uri)
    started = time.monotonic()
    try:
        record = load.Record(seed=seed, prefix=f"{name} {design} s{seed}-{int(time.time()) % 100000}")
        load.create_events(api, record, scenario.events, scenario.capacity)
        ctx = Context(rt, api, mongo.database(client), design, seed, record)
        report(f"{name}: {scenario.about}")
        scenario.run(ctx)
        rt.clear_faults()
        for comp in rt.status():  # a fault may have left a component down
            if comp.state != "running":
                rt.start(comp.name)
        drained = observe.wait_drained(timeout=120)
        lag = observe.lags()
        verdict = checker.check(mongo.database(client), design, bookings=record.bookings,
                                uncertain=record.uncertain, events=record.events,
                                emails=ses.sent_messages(rt.settings), lag=lag,
                                connectors=observe.connect_overview()["connectors"])
    finally:
        client.close()
    return {
        "scenario": name, "design": design, "seed": seed, "ok": verdict.ok,
        "drained": drained, "seconds": round(time.monotonic() - started, 1),
        "operations": record.summary(), "faults": ctx.faults,
        "recovery_s": ctx.recovery, "seed_failure_mode": scenario.breaks_seed,
        "violations": verdict.counts, "explained_duplicates": verdict.explained_duplicates,
        "examples": [v.__dict__ for v in verdict.violations[:5]],
        "checked": {"events": verdict.events, "reservations": verdict.reservations,
                    "bookings": verdict.bookings_checked, "emails": verdict.emails},
    }
