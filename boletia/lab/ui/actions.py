"""The instructor's buttons: the CLI's fault verbs, checked, then run as jobs.

`parse(body, rt)` turns a request body into an `Action` or raises `BadInput` with a message
that says what to send (unknown component, unknown fault, a number out of range...). `Jobs`
runs actions in the background, so a restart that takes a minute does not hold a request (or
a browser) hostage: the answer comes at once if the action was quick, and otherwise the job's
progress reaches every control room through the hub's snapshots.

Two jobs that touch the same thing (two restarts of Connect, a design switch while a
consumer restarts) are refused with 409 rather than queued behind each other.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from boletia import config
from boletia.lab import autoscaler, groups
from boletia.lab.components import APPS, BY_NAME, CONSUMER_TOPICS, CONSUMERS, SINK_CONNECTOR
from boletia.lab.errors import LabError
from boletia.lab.runtimes.port import Runtime
from boletia.lab.setup import connectors

VERBS = ("kill", "pause", "resume", "restart", "start")
FAULTS = ("crash", "slow", "fail-writes", "replay-sink", "clear")
MAX_CRASHES = 100
MAX_SLOW_SECONDS = 60.0
MAX_FAILED_WRITES = 1000


class BadInput(ValueError):
    """A request the control room cannot act on; the message says what to send."""


class Busy(RuntimeError):
    """Another job is already working on the same thing."""


@dataclass
class Action:
    label: str                          # what the activity log shows
    run: Callable[[], Any]
    targets: frozenset[str]             # what it touches: two jobs may not share a target


@dataclass
class Job:
    id: int
    label: str
    targets: frozenset[str]
    state: str = "running"              # running | done | failed
    message: str = ""
    started: float = field(default_factory=time.time)
    ended: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "state": self.state, "message": self.message,
                "started": self.started, "ended": self.ended}


def number(body: dict, name: str, kind: type, default: Any = ..., lo: float | None = None,
           hi: float | None = None) -> Any:
    """`body[name]` as an int or a float within [lo, hi]; `default` when absent (... : required)."""
    if name not in body or body[name] is None:
        if default is ...:
            raise BadInput(f"missing field {name!r}")
        return default
    value = body[name]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise BadInput(f"{name!r} must be {'a number' if kind in (int, float) else 'text'}"
                       f"{' (an integer)' if kind is int else ''}, got {value!r}")
    if lo is not None and hi is not None and not lo <= value <= hi:
        raise BadInput(f"{name!r} must be between {lo:g} and {hi:g}, got {value!r}")
    return value


def _choice(value: Any, name: str, allowed: tuple[str, ...] | list[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise BadInput(f"unknown {name} {value!r}; choose one of: {', '.join(allowed)}")
    return value


def component_action(body: dict, rt: Runtime) -> Action:
    """{"component": "inventario", "verb": "kill"}; a member of a scaled consumer or a Connect
    worker (`inventario-2`, `connect-2`) too, while the runtime lists it."""
    members = [s.name for s in rt.status() if s.name not in rt.components()]
    component = _choice(body.get("component"), "component", [*rt.components(), *members])
    verb = _choice(body.get("verb"), "verb", VERBS)
    return Action(f"{verb} {component}", lambda: getattr(rt, verb)(component),
                  frozenset({component}))


def fault_action(body: dict, rt: Runtime, settings: config.Settings) -> Action:
    """{"fault": "crash", "consumer": "inventario", "times": 1, "topic": null}, {"fault":
    "slow", "consumer": ..., "seconds": 2}, {"fault": "fail-writes", "times": 5, "service":
    null}, {"fault": "replay-sink"}, {"fault": "clear"}."""
    fault = _choice(body.get("fault"), "fault", FAULTS)
    if fault == "crash":
        consumer = _choice(body.get("consumer"), "consumer", CONSUMERS)
        times = number(body, "times", int, 1, 1, MAX_CRASHES)
        topic = body.get("topic") or None
        if topic is not None:
            topic = _choice(topic, f"topic for {consumer}", CONSUMER_TOPICS[BY_NAME[consumer].group])
        where = f" on {topic}" if topic else ""
        return Action(f"crash {consumer} before commit after {times} write(s){where}",
                      lambda: rt.crash_consumer(consumer, times, topic), frozenset({consumer}))
    if fault == "slow":
        consumer = _choice(body.get("consumer"), "consumer", CONSUMERS)
        seconds = number(body, "seconds", float, lo=0, hi=MAX_SLOW_SECONDS)
        return Action(f"slow {consumer}: {seconds:g}s per commit",
                      lambda: rt.slow_consumer(consumer, seconds), frozenset({consumer}))
    if fault == "fail-writes":
        times = number(body, "times", int, lo=1, hi=MAX_FAILED_WRITES)
        service = body.get("service") or None
        if service is not None:
            service = _choice(service, "service", APPS)
        who = f" of {service}" if service else ""
        return Action(f"fail the next {times} MongoDB writes{who}",
                      lambda: rt.fail_writes(times, service), frozenset({"mongo-faults"}))
    if fault == "replay-sink":
        return Action(f"replay the sink ({SINK_CONNECTOR})",
                      lambda: connectors.replay(settings.connect_url, SINK_CONNECTOR),
                      frozenset({"connect", SINK_CONNECTOR}))
    return Action("clear every fault", rt.clear_faults, frozenset({"mongo-faults", *CONSUMERS}))


def scale_action(body: dict, rt: Runtime) -> Action:
    """{"component": "inventario", "members": 2}: a consumer as N members of its group,
    {"component": "connect", "members": 2}: Connect as N workers, or {"component": "reservas",
    "members": 2}: an API as N replicas on its one address."""
    component = _choice(body.get("component"), "component to scale",
                        [*CONSUMERS, groups.CONNECT, *groups.API_SERVICES])
    members = number(body, "members", int, lo=1, hi=groups.max_members(component))
    what = ("worker(s)" if component == groups.CONNECT else "replica(s)"
            if component in groups.API_SERVICES else "member(s)")
    return Action(f"scale {component} to {members} {what}", lambda: rt.scale(component, members),
                  frozenset({component}))


def autoscale_policy(body: dict) -> tuple[str, autoscaler.Policy]:
    """{"consumer": "inventario", "target_lag": 50, "max_members": 3} (and optionally
    min_members, cooldown, stabilize_down in seconds): the autoscaler's consumer and policy."""
    consumer = _choice(body.get("consumer"), "consumer to autoscale", CONSUMERS)
    lo = number(body, "min_members", int, 1, 1, groups.MAX_MEMBERS)
    hi = number(body, "max_members", int, 3, 1, groups.MAX_MEMBERS)
    if lo > hi:
        raise BadInput(f"'min_members' ({lo}) must not be above 'max_members' ({hi})")
    return consumer, autoscaler.Policy(
        target_lag=number(body, "target_lag", int, 50, 1, 100_000), min_members=lo, max_members=hi,
        cooldown=number(body, "cooldown", float, 15.0, 0, 600),
        stabilize_down=number(body, "stabilize_down", float, 30.0, 0, 3600))


def design_action(body: dict, rt: Runtime) -> Action:
    """{"design": "seed"}: connectors re-registered, services and consumers restarted."""
    design = _choice(body.get("design"), "design", config.DESIGNS)
    return Action(f"switch to the {design} design", lambda: rt.set_design(design),
                  frozenset({"design", "connect", *APPS}))


class Jobs:
    """Actions run in the background, at most `workers` at once, none two on one target."""

    def __init__(self, workers: int = 4, keep: int = 12, wait: float = 2.0):
        self.wait = wait  # a request waits this long for its job before answering 202
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ui-job")
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._jobs: dict[int, Job] = {}
        self._recent: deque[int] = deque(maxlen=keep)

    def submit(self, action: Action, wait: float | None = None) -> Job:
        """Start `action`; return its job once it ended or after `wait` seconds."""
        with self._lock:
            busy = [j for j in self._jobs.values()
                    if j.state == "running" and j.targets & action.targets]
            if busy:
                raise Busy(f"{busy[0].label!r} is still running; wait for it to end")
            job = Job(next(self._ids), action.label, action.targets)
            self._recent.append(job.id)
            self._jobs = {i: j for i, j in self._jobs.items()
                          if j.state == "running" or i in self._recent}
            self._jobs[job.id] = job
        done = threading.Event()

        def run() -> None:
            try:
                action.run()
                job.state, job.message = "done", "done"
            except (LabError, TimeoutError, ValueError) as exc:
                job.state, job.message = "failed", str(exc)[:1000]
            except Exception as exc:  # noqa: BLE001 - shown to the instructor, not raised
                job.state, job.message = "failed", f"{type(exc).__name__}: {exc}"[:1000]
            finally:
                job.ended = time.time()
                done.set()

        self._pool.submit(run)
        done.wait(self.wait if wait is None else wait)
        return job

    def get(self, job_id: int) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def recent(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._jobs[i].as_dict() for i in reversed(self._recent) if i in self._jobs]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
