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
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

FIRST_BACKOFF, MAX_BACKOFF, HEALTHY_AFTER = 5.0, 300.0, 120.0


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
                 clock: Callable[[], float] = time.monotonic):
        self.url, self.log, self.every, self.clock = url, log, every, clock
        self.watches: dict[str, Watch] = {}

    def statuses(self) -> dict[str, dict]:
        r = requests.get(f"{self.url}/connectors", params={"expand": "status"}, timeout=10)
        r.raise_for_status()
        return {name: v["status"] for name, v in r.json().items()}

    def restart(self, name: str) -> None:
        requests.post(f"{self.url}/connectors/{name}/restart",
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
            stop.wait(self.every)
