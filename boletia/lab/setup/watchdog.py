"""The connector watchdog: Kafka Connect never restarts a FAILED connector or task by itself,
and a failed source silently stops the whole flow (bookings keep answering 200, nothing
follows). This loop watches Connect's REST API and restarts what failed. Its rules:

- every `every` seconds it reads every connector's status;
- a FAILED connector or task is restarted (only what failed) once its back-off has passed:
  5 s after the first failure, doubling up to 5 minutes while it keeps failing;
- a connector that has run for two minutes since its last restart starts from 5 s again;
- each decision is one log line (`failed`, `restart`, `recovered`) naming the connector,
  the attempt, the next back-off and the first line of the failure's trace.

`boletia watch-connectors` runs it as the lab's `watchdog` component on every runtime.

It also watches the consumers' progress (`ProgressWatch`): a consumer that is "running" but
has committed nothing on a partition for STALL_AFTER seconds while messages wait there (a
message retried without end, a wedged loop) is marked stalled: one log line (`stalled`, then
`progressing` when it moves again) and the file <lab>/run/<group>.stalled, which the local
runtime's status and the docker health check read. A process that merely started is not
healthy for that alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from boletia.lab.setup import connectors

FIRST_BACKOFF, MAX_BACKOFF, HEALTHY_AFTER = 5.0, 300.0, 120.0
# Longer than notificaciones' longest hold (priority.Yield.max_hold, 30 s): stepping aside
# for the bookings is not a stall.
STALL_AFTER = 60.0


@dataclass
class Watch:
    attempts: int = 0
    next_try: float = 0.0
    restarted_at: float = 0.0


def failed_parts(status: dict) -> list[str]:
    """'connector' and/or 'task N' for each FAILED part of one connector's status."""
    parts = ["connector"] if status.get("connector", {}).get("state") == "FAILED" else []
    return parts + [f"task {t.get('id')}" for t in status.get("tasks", []) if t.get("state") == "FAILED"]


def first_trace_line(status: dict) -> str:
    for part in [status.get("connector", {}), *status.get("tasks", [])]:
        if part.get("state") == "FAILED" and part.get("trace"):
            return part["trace"].strip().splitlines()[0][:200]
    return "no trace"


class ConnectorWatchdog:
    def __init__(self, url: str, log: Callable[[str], None] = print, every: float = 5.0,
                 clock: Callable[[], float] = time.monotonic, also: list[Callable[[], None]] = ()):
        self.url, self.log, self.every, self.clock = url, log, every, clock
        self.watches: dict[str, Watch] = {}
        self.also = list(also)  # further checks made each turn (the consumers' progress)

    def statuses(self) -> dict[str, dict]:
        r = connectors.rest().get(f"{self.url}/connectors", params={"expand": "status"},
                                  timeout=10)
        r.raise_for_status()
        return {name: v["status"] for name, v in r.json().items()}

    def restart(self, name: str) -> None:
        connectors.rest().post(f"{self.url}/connectors/{name}/restart",
                      params={"includeTasks": "true", "onlyFailed": "true"}, timeout=30)

    def check(self, statuses: dict[str, dict]) -> None:
        """One turn of the loop over the statuses Connect reported."""
        now = self.clock()
        for name, status in statuses.items():
            watch = self.watches.setdefault(name, Watch())
            failed = failed_parts(status)
            if not failed:
                if watch.attempts and now - watch.restarted_at >= HEALTHY_AFTER:
                    self.log(f"recovered {name}: running for {HEALTHY_AFTER:.0f}s since restart "
                             f"{watch.attempts}")
                    self.watches[name] = Watch()
                continue
            if now < watch.next_try:
                continue
            watch.attempts += 1
            backoff = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (watch.attempts - 1))
            watch.next_try, watch.restarted_at = now + backoff, now
            self.log(f"restart {name} ({', '.join(failed)} FAILED; attempt {watch.attempts}, next "
                     f"in {backoff:.0f}s if it fails again): {first_trace_line(status)}")
            try:
                self.restart(name)
            except requests.RequestException as exc:
                self.log(f"failed {name}: Connect refused the restart: {exc!r}")

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.check(self.statuses())
            except (requests.RequestException, ValueError) as exc:
                self.log(f"failed to read Connect's statuses (retrying in {self.every:.0f}s): {exc!r}")
            for check in self.also:
                check()
            stop.wait(self.every)


# ---------------------------------------------------------------- the consumers' progress
@dataclass
class _Partition:
    committed: int
    since: float        # when `committed` was first seen at this value
    lag_then: int       # the lag at that moment
    stalled: bool = False


@dataclass
class ProgressWatch:
    """Pure: `observe(now, positions)` with positions = group -> partition ("topic[p]") ->
    (committed offset, end offset), a committed offset of -1 for none. Answers the log lines
    of what changed, and keeps `stalled`: group -> its stalled partitions, described."""
    after: float = STALL_AFTER
    parts: dict[tuple[str, str], _Partition] = field(default_factory=dict)
    stalled: dict[str, dict[str, str]] = field(default_factory=dict)

    def observe(self, now: float, positions: dict[str, dict[str, tuple[int, int]]]) -> list[str]:
        lines = []
        for group, partitions in positions.items():
            for where, (committed, end) in partitions.items():
                lag = max(0, end - max(committed, 0))
                part = self.parts.get((group, where))
                if part is None or committed != part.committed or lag == 0:
                    if part is not None and part.stalled:
                        lines.append(f"progressing {group} {where}: committed {committed} "
                                     f"(lag {lag}) after {now - part.since:.0f}s without progress")
                    self.parts[(group, where)] = _Partition(committed, now, lag)
                    self.stalled.get(group, {}).pop(where, None)
                    continue
                if now - part.since >= self.after:
                    grew = f", grew from {part.lag_then}" if lag > part.lag_then else ""
                    what = (f"{where}: no commit past offset {committed} for "
                            f"{now - part.since:.0f}s while {lag} message(s) wait{grew}")
                    self.stalled.setdefault(group, {})[where] = what
                    if not part.stalled:
                        part.stalled = True
                        lines.append(f"stalled {group} {what}: see `boletia lab logs {group}` "
                                     "(a message retried without end?)")
        self.stalled = {g: p for g, p in self.stalled.items() if p}
        return lines


def stalled_file(lab_dir: Path, group: str) -> Path:
    return lab_dir / "run" / f"{group}.stalled"


def read_stalled(lab_dir: Path, group: str) -> str:
    """What the watchdog found stalled in `group` ("" when it progresses)."""
    try:
        return stalled_file(lab_dir, group).read_text().strip()
    except OSError:
        return ""


class ConsumerWatch:
    """The I/O half: reads the groups' committed and end offsets (one admin client, two
    requests a turn) and writes each group's stalled file."""

    def __init__(self, bootstrap: str, groups: dict[str, tuple[str, ...]], lab_dir: Path,
                 log: Callable[[str], None] = print, clock: Callable[[], float] = time.monotonic):
        self.bootstrap, self.groups, self.lab_dir = bootstrap, groups, lab_dir
        self.log, self.clock = log, clock
        self.watch = ProgressWatch()
        self._admin = None

    def positions(self) -> dict[str, dict[str, tuple[int, int]]]:
        from kafka import TopicPartition
        from kafka.admin import OffsetSpec

        from boletia.adapters.kafka import admin

        if self._admin is None:
            self._admin = admin(self.bootstrap)
        topics = sorted({t for ts in self.groups.values() for t in ts})
        tps = [TopicPartition(t["name"], p["partition_index"])
               for t in self._admin.describe_topics(topics) for p in t["partitions"]]
        ends = self._admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in tps})
        committed = self._admin.list_group_offsets(list(self.groups))
        out: dict[str, dict[str, tuple[int, int]]] = {}
        for group, topics_of in self.groups.items():
            mine = committed.get(group, {})
            out[group] = {f"{tp.topic}[{tp.partition}]": (
                mine[tp].offset if tp in mine else -1, ends[tp].offset)
                for tp in tps if tp.topic in topics_of}
        return out

    def check(self) -> None:
        try:
            positions = self.positions()
        except Exception as exc:  # noqa: BLE001 - Kafka away: judge nothing, say so, ask again
            self._admin = None
            self.log(f"failed to read the consumers' offsets (retrying): {exc!r}")
            return
        for line in self.watch.observe(self.clock(), positions):
            self.log(line)
        for group in self.groups:
            path = stalled_file(self.lab_dir, group)
            found = self.watch.stalled.get(group)
            if found:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("; ".join(found.values()) + "\n")
            else:
                path.unlink(missing_ok=True)
