"""The control room's load generator (open loop) and the checker's verdict on its run.

`LoadRun` books at a chosen rate, whatever the answers take: a ticker thread hands one
booking to a pool of workers every 1/rate seconds (open loop: a slow lab gets the same
arrivals, and its queue shows in the lag). With probability `cancel_ratio` a tick also
cancels one of that run's earlier bookings, once its reservation is visible, as a customer
would. Every request and its answer is recorded in a `load.Record`, so the checker can judge
the run (`Verdict`) and `boletia check --run <record>` can judge it again later.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from boletia.lab.experiments import checker, load
from boletia.lab.experiments.verdict import check_lab
from boletia.lab.notebook.client import Answer, Boletia
from boletia.lab.runtimes.port import Runtime

MIN_RATE, MAX_RATE = 0.5, 200.0      # bookings per second
MAX_EVENTS, MAX_CAPACITY = 10, 100_000
WORKERS = 64                         # requests in flight at most; beyond, a tick is missed
CONFIRM_TIMEOUT = 5.0                # a cancel waits this long for its reservation to appear
RATE_WINDOW = 5.0                    # seconds over which the achieved rate is measured


def _safe(call, *args) -> Answer:
    """A request that failed at the network level (the service is down) is an answer too."""
    try:
        return call(*args)
    except Exception as exc:  # noqa: BLE001 - recorded as status 0, as load.py does
        return Answer(0, f"{type(exc).__name__}: {exc}")


class LoadRun:
    def __init__(self, api: Boletia, rate: float, events: int = 3, capacity: int = 200,
                 cancel_ratio: float = 0.2, customers: int = 20, max_tickets: int = 4,
                 seed: int | None = None, runs_dir: Path | None = None,
                 workers: int = WORKERS):
        self.api = api
        self.rate = rate
        self.n_events, self.capacity, self.cancel_ratio = events, capacity, cancel_ratio
        self.customers, self.max_tickets, self.workers = customers, max_tickets, workers
        self.seed = seed if seed is not None else int(time.time() * 1000) % 1_000_000
        self.record = load.Record(seed=self.seed, prefix=f"UI Carga {self.seed}")
        self.runs_dir = runs_dir
        self.state = "preparing"          # preparing | running | stopping | stopped | failed
        self.message = ""
        self.saved: str | None = None
        self.missed = 0
        self.inflight = 0
        self.started = time.time()
        self.ended: float | None = None
        self._running_since: float | None = None
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._booked: list[tuple[int, str]] = []     # (customer, reservation id) not yet cancelled
        self._answers: deque[float] = deque()         # when each booking was answered (rate)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ui-load")
        self._thread = threading.Thread(target=self._main, name="ui-load", daemon=True)

    # ------------------------------------------------------------------ control
    def start(self) -> LoadRun:
        self._thread.start()
        return self

    def set_rate(self, rate: float) -> None:
        self.rate = rate

    def stop(self) -> None:
        if self.state in ("preparing", "running"):
            self.state = "stopping"
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)

    @property
    def active(self) -> bool:
        return not self._finished.is_set()

    # ------------------------------------------------------------------ the run
    def _main(self) -> None:
        try:
            load.create_events(self.api, self.record, self.n_events, self.capacity)
            if not self._stop.is_set():
                self.state = "running"
                self._running_since = time.monotonic()
                self._tick()
        except Exception as exc:  # noqa: BLE001 - shown in the control room
            self.state, self.message = "failed", f"{type(exc).__name__}: {exc}"[:500]
        finally:
            self._pool.shutdown(wait=True)
            self.ended = time.time()
            if self.state != "failed":
                self.state = "stopped"
            self._save()
            self._finished.set()

    def _tick(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now < next_at:
                self._stop.wait(next_at - now)
                continue
            self._launch(self._book)
            if self.cancel_ratio and self._rng.random() < self.cancel_ratio:
                self._launch(self._cancel)
            next_at += 1.0 / max(MIN_RATE, self.rate)
            late = time.monotonic() - next_at
            if late > 1.0:  # the machine could not keep up: say so, do not burst to catch up
                with self._lock:
                    self.missed += int(late * self.rate)
                next_at = time.monotonic()

    def _launch(self, work) -> None:
        with self._lock:
            if self.inflight >= self.workers:
                self.missed += 1
                return
            self.inflight += 1

        def run() -> None:
            try:
                work()
            finally:
                with self._lock:
                    self.inflight -= 1
        self._pool.submit(run)

    def _email(self, customer: int) -> str:
        return f"cliente{customer}@ui-carga-{self.seed}.example"

    def _book(self) -> None:
        with self._lock:
            customer = self._rng.randrange(self.customers)
            evento = self._rng.choice(self.record.events)
            qty = self._rng.randint(1, self.max_tickets)
        email = self._email(customer)
        sent = time.time()
        a = _safe(self.api.book, evento, qty, email)
        rid = a.body.get("Id") if isinstance(a.body, dict) else None  # a 503 names it too
        self.record.add(load.Op(time.time(), customer, "book", evento, a.status, rid, qty,
                                None if a.ok else str(a.body)[:200], email=email, sent=sent))
        with self._lock:
            self._answers.append(time.monotonic())
            if a.ok and rid:
                self._booked.append((customer, rid))

    def _cancel(self) -> None:
        with self._lock:
            if not self._booked:
                return
            customer, rid = self._booked.pop(self._rng.randrange(len(self._booked)))
        email = self._email(customer)
        if not self._visible(rid):
            self.record.add(load.Op(time.time(), customer, "cancel-abandoned", "", 0, rid,
                                    email=email, error="reservation not visible within "
                                                       f"{CONFIRM_TIMEOUT:.0f}s"))
            return
        sent = time.time()
        a = _safe(self.api.cancel, rid)
        self.record.add(load.Op(time.time(), customer, "cancel", "", a.status, rid,
                                error=None if a.ok else str(a.body)[:200], email=email, sent=sent))

    def _visible(self, rid: str) -> bool:
        deadline = time.monotonic() + CONFIRM_TIMEOUT
        while time.monotonic() < deadline and not self._stop.is_set():
            a = _safe(self.api.reservation, rid)
            if a.ok and isinstance(a.body, dict) and a.body.get("Estado") == "A":
                return True
            time.sleep(0.2)
        return False

    def _save(self) -> None:
        if self.runs_dir is None or not self.record.events:
            return
        try:
            path = self.runs_dir / f"{self.record.prefix.replace(' ', '_')}.json"
            self.saved = str(self.record.save(path))
        except OSError as exc:
            self.message = f"{self.message} (record not saved: {exc})".strip()

    # ------------------------------------------------------------------ what the room shows
    def status(self) -> dict[str, Any]:
        now = time.monotonic()
        with self._lock:
            while self._answers and now - self._answers[0] > RATE_WINDOW:
                self._answers.popleft()
            window = min(RATE_WINDOW, now - (self._running_since or now))
            achieved = len(self._answers) / window if self.state == "running" and window > 0.5 else 0.0
            ops = list(self.record.ops)
            inflight, missed = self.inflight, self.missed
        answers = Counter(f"{o.op} {o.status}" for o in ops)
        return {"state": self.state, "message": self.message, "prefix": self.record.prefix,
                "events": list(self.record.events), "capacity": self.capacity,
                "rate": self.rate, "achieved": round(achieved, 1), "cancel_ratio": self.cancel_ratio,
                "bookings": sum(o.op == "book" for o in ops),
                "bookings_ok": sum(o.op == "book" and o.status == 200 for o in ops),
                "answers": dict(sorted(answers.items())), "inflight": inflight,
                "missed": missed, "started": self.started, "ended": self.ended,
                "elapsed": round((self.ended or time.time()) - self.started, 1),
                "record": self.saved}


class Verdict:
    """The checker run on a finished load run, in the background (the canary drain may take
    a while); its outcome reaches the control room through the hub."""

    def __init__(self, rt: Runtime, record: load.Record, timeout: float | None = None):
        self.rt, self.record, self.timeout = rt, record, timeout   # None: the drain's own bound
        self.state = "checking"            # checking | done | error
        self.result: dict[str, Any] | None = None
        self.message = ""
        self.progress = ""                 # the drain's last line: stage, lag, rate, estimate
        self.started = time.time()
        self.ended: float | None = None
        self._thread = threading.Thread(target=self._run, name="ui-check", daemon=True)

    def start(self) -> Verdict:
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def active(self) -> bool:
        return self.state == "checking"

    def _run(self) -> None:
        try:
            report = check_lab(self.rt, self.record, timeout=self.timeout,
                               progress=self._progress)
            self.result = {"verdict": report.verdict, "ok": report.ok, "design": report.design,
                           "counts": report.counts, "examples": report.examples(),
                           "checked": report.checked,
                           "explained_duplicates": report.explained_duplicates,
                           "unsettled": report.unsettled,
                           "pending": report.as_dict()["pending"],
                           "summary": report.summary()[:2000]}
            self.state = "done"
        except checker.CheckError as exc:
            self.state, self.message = "error", f"cannot check: {exc}"[:1000]
        except Exception as exc:  # noqa: BLE001 - the lab away: say so in the room
            self.state, self.message = "error", f"{type(exc).__name__}: {exc}"[:1000]
        finally:
            self.ended = time.time()

    def _progress(self, line: str) -> None:
        self.progress = line

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "message": self.message, "result": self.result,
                "progress": self.progress if self.state == "checking" else "",
                "prefix": self.record.prefix, "started": self.started, "ended": self.ended,
                "elapsed": round((self.ended or time.time()) - self.started, 1)}
