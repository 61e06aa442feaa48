"""An autoscaler driven by lag, in the spirit of KEDA's Kafka scaler (issue 27.5).

KEDA's rule: a consumer group wants ceil(lag / lagThreshold) members, never more than its topics
have partitions (a member beyond them sits idle: `allowIdleConsumers` is off by default), within
[min, max]. Scaling up happens as soon as the rule asks; scaling down only once the lower count
has been wanted for a stabilisation window (Kubernetes' HPA waits 5 minutes by default; the lab's
default is shorter, so a lesson sees it), and no change follows another within a cooldown.

`Autoscaler.observe` is that policy, pure (its only state is what it saw and decided);
`run` is the loop around it: the group's lag read from Kafka, the members counted from the
runtime's status, and `rt.scale(consumer, n)` carrying out each decision, one log line each.
`boletia lab autoscale inventario --target-lag 50 --max 3` runs it in the foreground. On
Kubernetes the same policy is a KEDA ScaledObject (k8s/keda/scaledobject-inventario.yaml).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from boletia.lab.components import BY_NAME, CONSUMER_TOPICS
from boletia.lab.errors import LabError
from boletia.lab.groups import MAX_MEMBERS


@dataclass(frozen=True)
class Policy:
    target_lag: int = 50          # messages of lag per member (KEDA's lagThreshold)
    min_members: int = 1
    max_members: int = 3
    cooldown: float = 15.0        # seconds after a change before the next one
    stabilize_down: float = 30.0  # seconds the lower count must be wanted before it is applied

    def __post_init__(self) -> None:
        if self.target_lag < 1:
            raise LabError(f"the target lag per member is at least 1 message, not {self.target_lag}")
        if not 1 <= self.min_members <= self.max_members <= MAX_MEMBERS:
            raise LabError(f"members between 1 and {MAX_MEMBERS}, min <= max: not "
                           f"min {self.min_members}, max {self.max_members}")


@dataclass(frozen=True)
class Decision:
    at: float
    members: int        # before
    to: int             # after
    lag: int
    why: str

    def line(self) -> str:
        return f"scale {self.members} -> {self.to} member(s): {self.why}"


@dataclass
class Autoscaler:
    policy: Policy
    changed_at: float = -math.inf
    low_since: float | None = None
    decisions: list[Decision] = field(default_factory=list)

    def wanted(self, lag: int, partitions: int) -> int:
        """KEDA's count: ceil(lag / target), within [min, max] and no more than the partitions."""
        cap = min(self.policy.max_members, partitions) if partitions > 0 else self.policy.max_members
        want = math.ceil(lag / self.policy.target_lag) if lag > 0 else 0
        return max(self.policy.min_members, min(cap, want))

    def observe(self, now: float, lag: int, partitions: int, members: int) -> Decision | None:
        """The change to make now, if any (and remembered as made)."""
        want = self.wanted(lag, partitions)
        if want >= members:
            self.low_since = None
        if want == members or now - self.changed_at < self.policy.cooldown:
            return None
        if want > members:
            why = (f"lag {lag} is {lag / members:.0f} per member, over the target of "
                   f"{self.policy.target_lag}")
        else:
            if self.low_since is None:
                self.low_since = now
            if now - self.low_since < self.policy.stabilize_down:
                return None
            why = (f"lag {lag} has wanted {want} member(s) for {now - self.low_since:.0f}s "
                   f"(target {self.policy.target_lag} each)")
            self.low_since = None
        self.changed_at = now
        decision = Decision(now, members, want, lag, why)
        self.decisions.append(decision)
        return decision


def members_running(rt, consumer: str) -> int:
    """How many members of `consumer` run now (`inventario`, `inventario-2`, ...)."""
    return sum(1 for s in rt.status() if s.state == "running"
               and (s.name == consumer or s.name.startswith(f"{consumer}-")
                    and s.name.removeprefix(f"{consumer}-").isdigit()))


def group_lag(bootstrap: str, group: str, topics: tuple[str, ...]) -> tuple[int, int]:
    """(messages not yet committed by `group` on `topics`, the most members that can hold a
    partition). With the `range` assignor (the lab's), member k gets a partition of topic T only
    if k is at most T's partition count, so that cap is the largest topic's count, not the sum:
    a group reading two topics of 3 partitions (the seed's inventario) keeps a fourth member idle
    as one reading a single topic of 3 does (lesson 08)."""
    from kafka import TopicPartition
    from kafka.admin import OffsetSpec

    from boletia.adapters import kafka

    admin = kafka.admin(bootstrap)
    try:
        tps = [TopicPartition(t["name"], p["partition_index"])
               for t in admin.describe_topics(list(topics)) for p in t["partitions"]]
        ends = admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in tps})
    finally:
        admin.close()
    committed = kafka.group_offsets(bootstrap, [group]).get(group, {})
    lag = sum(max(0, ends[tp].offset - max(committed[tp].offset if tp in committed else 0, 0))
              for tp in tps)
    return lag, max((sum(tp.topic == t for tp in tps) for t in topics), default=0)


def consumer_component(consumer: str):
    comp = BY_NAME.get(consumer)
    if comp is None or comp.kind != "consumer":
        raise LabError(f"the autoscaler scales a consumer ({', '.join(CONSUMER_TOPICS)}), not {consumer!r}")
    return comp


def run(rt, consumer: str, policy: Policy, stop: threading.Event, every: float = 2.0,
        log: Callable[[str], None] = print, watch: Callable[[int, int, int], None] = lambda *_: None,
        scaler: Autoscaler | None = None) -> list[Decision]:
    """Scale `consumer` by its group's lag until `stop` is set; returns the decisions made.
    `watch(lag, partitions, members)` sees each reading (the control room shows them)."""
    comp = consumer_component(consumer)
    scaler = scaler or Autoscaler(policy)
    log(f"autoscale {consumer}: target lag {policy.target_lag} per member, "
        f"{policy.min_members}..{policy.max_members} members, cooldown {policy.cooldown:g}s, "
        f"down after {policy.stabilize_down:g}s")
    while not stop.is_set():
        try:
            lag, partitions = group_lag(rt.settings.kafka_bootstrap, comp.group, comp.topics)
        except Exception as exc:  # noqa: BLE001 - Kafka away: decide nothing, say so, ask again
            log(f"autoscale {consumer}: could not read the lag (retrying): {exc!r}")
            stop.wait(every)
            continue
        members = members_running(rt, consumer)
        watch(lag, partitions, members)
        decision = scaler.observe(time.monotonic(), lag, partitions, members)
        if decision is not None:
            log(f"autoscale {consumer}: {decision.line()}")
            rt.scale(consumer, decision.to, report=lambda m: log(f"  {m}"))
        stop.wait(every)
    return scaler.decisions


class Running:
    """The autoscaler in a thread of the control room: started and stopped from its panel,
    which shows the last reading and every decision (`status()`, in each snapshot)."""

    def __init__(self, rt, consumer: str, policy: Policy, every: float = 2.0):
        consumer_component(consumer)
        self.rt, self.consumer, self.policy, self.every = rt, consumer, policy, every
        self.scaler = Autoscaler(policy)
        self.stop_event = threading.Event()
        self.started = time.monotonic()
        self.reading: dict[str, int] = {}
        self.lines: list[str] = []
        self.state, self.message = "running", ""
        self.thread = threading.Thread(target=self._run, name=f"autoscale-{consumer}", daemon=True)

    def start(self) -> Running:
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            run(self.rt, self.consumer, self.policy, self.stop_event, self.every, log=self._log,
                watch=self._watch, scaler=self.scaler)
            self.state = "stopped"
        except Exception as exc:  # noqa: BLE001 - a scale that failed ends the run: say why
            self.state, self.message = "error", f"{type(exc).__name__}: {exc}"

    def _log(self, line: str) -> None:
        self.lines = [*self.lines[-19:], line]

    def _watch(self, lag: int, partitions: int, members: int) -> None:
        self.reading = {"lag": lag, "partitions": partitions, "members": members,
                        "wanted": self.scaler.wanted(lag, partitions)}

    @property
    def active(self) -> bool:
        return self.thread.is_alive()

    def stop(self, wait: float = 0.0) -> None:
        self.stop_event.set()
        if wait:
            self.thread.join(wait)

    def status(self) -> dict:
        p = self.policy
        return {"state": "stopping" if self.stop_event.is_set() and self.active else self.state,
                "message": self.message, "consumer": self.consumer,
                "policy": {"target_lag": p.target_lag, "min_members": p.min_members,
                           "max_members": p.max_members, "cooldown": p.cooldown,
                           "stabilize_down": p.stabilize_down},
                "reading": self.reading, "log": self.lines[-6:],
                "decisions": [{"at_s": round(d.at - self.started, 1), "members": d.members, "to": d.to,
                               "lag": d.lag, "why": d.why} for d in self.scaler.decisions[-20:]]}
