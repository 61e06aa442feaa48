"""Instant feedback on the student's consumer loop (level "consumer loop" of notebook 06): small
cases run on a stand-in for Kafka, no lab needed, each with a hint.

The stand-in keeps each partition's messages, the group's committed offsets and the consumer's
position as Kafka does: a `poll` reads from the position, `retry` moves it back, a crash loses
everything not committed and the next consumer starts from the commits. The student's class
runs against the lab's own `Kafka` object (boletia/consumers/student_loop.py), so the cases and
the real lab judge the same code path.

A *key* case is one the seed's loop fails; a *guard* case is ordinary behaviour the seed has (a
loop that does nothing is no fix). The hints name the idea, never the code.
"""

from __future__ import annotations

import re
import threading
import traceback
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kafka import TopicPartition
from kafka.errors import CommitFailedError

from boletia.adapters.at_least_once import WROTE
from boletia.adapters.errors import PermanentFailure
from boletia.consumers import student_loop
from boletia.lab.student.practice import wrapped

TOPIC = "boletia.reservas"
Record = namedtuple("Record", "topic partition offset key value")
STEPS = 200  # a loop that has not finished a case in this many steps never will


class Crash(BaseException):
    """The lab's crash fault: the process dies after a message's work (not an Exception, so
    no `except Exception` in the student's loop can swallow it, as no code can stop a kill)."""


@dataclass
class World:
    """Kafka's side of one case: partitions, positions, commits; and what was done."""
    partitions: dict[int, list[str]]
    flaky: dict[str, int] = field(default_factory=dict)      # message -> failures left
    crash_after: set[str] = field(default_factory=set)       # die after this message's work
    refuse_commits: int = 0                                  # the next N commits are refused
    crashed: bool = False                                    # the process is dead: no more commits
    committed: dict[int, int] = field(default_factory=dict)
    position: dict[int, int] = field(default_factory=dict)
    handled: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    commit_log: list[tuple[int, int, list[str]]] = field(default_factory=list)  # (p, offset, handled then)

    def value(self, p: int, o: int) -> str:
        return self.partitions[p][o]

    def done(self) -> bool:
        return all(self.committed.get(p, 0) >= len(msgs) for p, msgs in self.partitions.items())


class _Consumer:
    """kafka-python's consumer, as far as the lab's `Kafka` uses it."""

    def __init__(self, world: World):
        self.w = world
        for p in world.partitions:
            world.position[p] = world.committed.get(p, 0)

    def poll(self, timeout_ms=0):
        out = {}
        for p, msgs in self.w.partitions.items():
            start = self.w.position[p]
            if start < len(msgs):
                out[TopicPartition(TOPIC, p)] = [Record(TOPIC, p, o, b"k", msgs[o].encode())
                                                 for o in range(start, min(len(msgs), start + 5))]
                self.w.position[p] = min(len(msgs), start + 5)
        return out

    def commit(self, offsets):
        if self.w.crashed:  # a `finally` running while the process dies: a killed one runs none
            return
        if self.w.refuse_commits:
            self.w.refuse_commits -= 1
            raise CommitFailedError("the group rebalanced (the stand-in refused this commit)")
        for tp, meta in offsets.items():
            self.w.committed[tp.partition] = meta.offset
            self.w.commit_log.append((tp.partition, meta.offset, list(self.w.handled)))

    def seek(self, tp, offset):
        self.w.position[tp.partition] = offset

    def assignment(self):
        return {TopicPartition(TOPIC, p) for p in self.w.partitions}


class _Producer:
    def __init__(self, world: World):
        self.w = world

    def send(self, topic, key=None, value=None, headers=None):
        self.w.dead.append(value.decode())
        return self

    def get(self, timeout=None):
        return None


class _Hooks:
    def __init__(self, world: World):
        self.w = world

    def polled(self, consumer) -> None:
        pass

    def before_commit(self, record, wrote: bool) -> None:
        value = record.value.decode()
        if value in self.w.crash_after:
            self.w.crash_after.discard(value)
            self.w.crashed = True
            raise Crash(value)


def _handler(world: World) -> Callable:
    def handle(record):
        value = record.value.decode()
        if value.startswith("poison"):
            raise PermanentFailure(f"{value}: the mail service refuses this address")
        if world.flaky.get(value, 0) > 0:
            world.flaky[value] -= 1
            raise ConnectionError(f"{value}: the mail service did not answer")
        world.handled.append(value)
        return WROTE
    return handle


def run(loop_class: type, world: World, steps: int = STEPS) -> list[str]:
    """Run the student's loop on `world` until every partition is committed to its end (or
    `steps` run out), restarting it from the commits after each crash. Returns the log."""
    lines: list[str] = []
    stop = threading.Event()
    while True:
        world.crashed = False
        kafka = student_loop.Kafka(_Consumer(world), _Producer(world), _handler(world),
                                   student_loop.GROUP, stop, _Hooks(world), lines.append,
                                   max_backoff=0.0)
        loop = loop_class(kafka)
        try:
            for _ in range(steps):
                if world.done() and all(world.position[p] >= len(m)
                                        for p, m in world.partitions.items()):
                    return lines
                loop.step()
            return lines
        except Crash as crash:
            lines.append(f"crash after {crash}: restarted from the commits")


@dataclass(frozen=True)
class Case:
    name: str
    hint: str
    run: Callable[[type], tuple[bool, str]]   # (the student's class) -> (passed, what happened)
    key: bool = True
    exercise: str = "consumer_loop"   # its part (PARTS)


@dataclass
class Result:
    case: Case
    passed: bool
    detail: str


def _lost(world: World) -> list[str]:
    every = [m for msgs in world.partitions.values() for m in msgs if not m.startswith("poison")]
    return [m for m in every if m not in world.handled]


def plain(loop_class, rng=None):
    a, b = (7, 4) if rng is None else (rng.randint(4, 12), rng.randint(2, 8))
    w = World({0: [f"a{i}" for i in range(a)], 1: [f"b{i}" for i in range(b)]})
    run(loop_class, w)
    dup = sorted({m for m in w.handled if w.handled.count(m) > 1})
    ok = not _lost(w) and not dup and w.done()
    return ok, (f"{a + b} emails on 2 partitions, nothing failing: sent {len(w.handled)}, never "
                f"sent {_lost(w)}, sent twice {dup}, committed to the end: {w.done()}")


def crash_after_work(loop_class, rng=None):
    n, at = (8, ["a1", "a5"]) if rng is None else (rng.randint(6, 12), None)
    if at is None:
        # not the last of a poll (5 a poll): a crash there loses nothing even in the seed's loop
        at = [f"a{i}" for i in sorted(rng.sample([i for i in range(n - 1) if i % 5 != 4], 2))]
    w = World({0: [f"a{i}" for i in range(n)]}, crash_after=set(at))
    run(loop_class, w)
    lost = _lost(w)
    return not lost and w.done(), (f"{n} emails, the consumer killed after sending {at[0]} and "
                                   f"after {at[1]}, then restarted: never sent {lost or 'none'}")


def transient_failure(loop_class, rng=None):
    n, k, times = (4, 1, 3) if rng is None else (rng.randint(3, 8), 0, rng.randint(1, 4))
    if rng is not None:
        k = rng.randint(0, n - 2)
    bad, nxt = f"a{k}", f"a{k + 1}"
    w = World({0: [f"a{i}" for i in range(n)]}, flaky={bad: times})
    run(loop_class, w)
    early = [off for p, off, handled in w.commit_log if off > k and bad not in handled]
    ok = (not _lost(w) and not early and w.handled.index(bad) < w.handled.index(nxt)
          if bad in w.handled and nxt in w.handled else False)
    return ok, (f"{bad} fails {times} time(s) (the mail service away), then passes: sent "
                f"{w.handled}, committed past {bad} before it was sent: {'yes' if early else 'no'}")


def poison(loop_class, rng=None):
    msgs = ["a0", "poison1", "a2", "a3"]
    if rng is not None:
        msgs = [f"a{i}" for i in range(rng.randint(3, 7))]
        msgs.insert(rng.randint(0, len(msgs) - 1), "poison1")
    w = World({0: msgs})
    run(loop_class, w)
    ok = w.dead == ["poison1"] and not _lost(w) and w.done()
    return ok, (f"poison1 can never be sent ({msgs}): dead-lettered {w.dead or 'nothing'}, the "
                f"others sent: {not _lost(w)}, committed to the end: {w.done()}")


def commit_refused(loop_class, rng=None):
    a, b = (3, 2) if rng is None else (rng.randint(1, 5), rng.randint(1, 5))
    w = World({0: [f"a{i}" for i in range(a)], 1: [f"b{i}" for i in range(b)]}, refuse_commits=1)
    try:
        run(loop_class, w)
    except Exception as exc:  # noqa: BLE001 - the student's loop let it out
        # kafka-python's errors spell their own class first: said once
        said = re.sub(r"^\w+(Error|Exception): ", "", str(exc))
        return False, f"one commit refused by Kafka: the loop let it out ({type(exc).__name__}: {said})"
    # the refused partition stays where it was (its messages come back on a restart, as in
    # Kafka); the other one must go on and be committed
    going_on = w.committed.get(1, 0) == b
    return not _lost(w) and going_on, (f"one commit refused by Kafka: never sent "
                                       f"{_lost(w) or 'none'}, the next partition handled and "
                                       f"committed: {going_on}")


class SeedLoop:
    """The seed's loop (what the stub starts as): commit a poll's messages, then work, skip
    what fails. Kept here so that notebook 06 can measure it whatever the student's file says."""

    def __init__(self, kafka):
        self.kafka = kafka

    def step(self) -> None:
        messages = self.kafka.poll()
        self.kafka.commit(*messages)
        for message in messages:
            try:
                self.kafka.handle(message)
            except Exception as exc:  # noqa: BLE001 - the seed's behaviour
                self.kafka.log(f"{message}: failed, moving on: {exc!r}")


def seed_lost_on_crash(n: int = 5) -> int:
    """Emails never sent when the seed's loop is killed after the first of a poll of `n`."""
    w = World({0: [f"a{i}" for i in range(n)]}, crash_after={"a0"})
    run(SeedLoop, w)
    return len(_lost(w))


# the hints: each names the idea, never the code
HINTS = {
    "plain-run": "Every message is worked on once and the group ends committed to the end: a "
                 "loop that does nothing, or never commits, is no fix.",
    "crash-after-work": "At-least-once: a consumer may die at any moment. What it marked done "
                        "(committed) before the work was finished is never delivered again.",
    "transient-failure": "A failure that may pass is worth another try, and the messages after "
                         "it must wait: a commit past it says it was done.",
    "poison": "A message that can never succeed must not stop the ones after it, nor vanish "
              "without a trace: put it aside where a person will see it.",
    "commit-refused": "A commit Kafka refused is no reason to stop: the work was done, and at "
                      "worst the message comes back (handling it again is harmless).",
}
# which idea (a part of the grade: boletia/lab/student/grading.py) each case belongs to
PARTS = {"crash-after-work": "loop_commit", "transient-failure": "loop_retry",
         "commit-refused": "loop_retry", "poison": "loop_poison"}
RUNS = {"plain-run": plain, "crash-after-work": crash_after_work,
        "transient-failure": transient_failure, "poison": poison, "commit-refused": commit_refused}


def cases(seed: int | None = None) -> tuple[Case, ...]:
    """The practice cases (no seed), or the grader's, drawn from its seed: the same ideas on
    other sizes, crash points, failures and positions. A guard (`plain-run`) goes with each part."""
    import random

    def bound(fn, s):
        return (lambda loop: fn(loop)) if s is None else (lambda loop: fn(loop, random.Random(s)))
    out = []
    for i, (name, fn) in enumerate(RUNS.items()):
        s = None if seed is None else seed * 31 + i
        if name == "plain-run":
            out += [Case(name, HINTS[name], bound(fn, s), key=False, exercise=part)
                    for part in sorted(set(PARTS.values()))]
        else:
            out.append(Case(name, HINTS[name], bound(fn, s), exercise=PARTS[name]))
    return tuple(out)


CASES = cases()


def check(loop: type | Path, cases=CASES) -> list[Result]:
    """Each case on the student's class (or its file, read afresh); an exception in the
    student's code fails that case with its last line, never the whole check."""
    if not isinstance(loop, type):
        from boletia.lab.student.alone import load_loop
        loop = load_loop(Path(loop))
    out, seen = [], set()
    for case in cases:
        if (case.name, case.key) in seen and not case.key:  # one guard per part: run it once
            out.append(Result(case, *next((r.passed, r.detail) for r in out if r.case.name == case.name)))
            continue
        seen.add((case.name, case.key))
        try:
            passed, detail = case.run(loop)
        except Exception as exc:  # noqa: BLE001 - the student's code raised
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            passed, detail = False, f"the loop raised {last}"
        out.append(Result(case, passed, detail))
    return out


def show(results: list[Result]) -> str:
    """One line per case; a hint under each that failed."""
    lines, shown = [], set()
    for r in results:
        if r.case.name in shown:
            continue
        shown.add(r.case.name)
        lines.append(wrapped(f"{'PASS' if r.passed else 'FAIL'} {r.case.name}: {r.detail}"))
        if not r.passed:
            lines.append(wrapped(f"hint: {r.case.hint}", "     "))
    return "\n".join(lines)
