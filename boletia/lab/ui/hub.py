"""One sampler for every browser.

The hub samples the lab once per interval, in one background thread, and pushes each snapshot
to every subscribed browser as a server-sent event. Thirty browsers cost the lab what one
costs: the snapshot is sampled once and serialized once per view, then the same bytes go to
each subscriber's queue.

- A *source* says what to sample: `probes` (name -> a function returning a dict of snapshot
  keys), `private` (the keys only the control room may see: message contents carry customers'
  addresses), optionally `public_only` (keys the control room does not draw, left out of its
  stream), `calls()` (how many requests it made to the lab, by kind) and `close()`.
- Each probe runs in its own worker, at most one call at a time. A probe that is slow (a
  paused Connect answers nothing for 10 s) keeps its last value, marked stale, instead of
  holding up the whole snapshot; it is not asked again until its call returns.
- Nobody watching, nothing sampled: the thread samples only while someone subscribes, or for
  `linger` seconds after someone asked for a snapshot.
- A slow browser cannot hold the hub up: each subscriber has a small queue, and when it is
  full the oldest snapshot is dropped (a snapshot replaces the one before it anyway).
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from typing import Any, Protocol


class Source(Protocol):
    probes: dict[str, Callable[[], dict[str, Any]]]
    private: frozenset[str]

    def calls(self) -> dict[str, int]: ...
    def close(self) -> None: ...


CONTROL = "control"  # the snapshot's key for the instructor's own state (load, verdict, jobs)


class TooManyViewers(Exception):
    """More browsers than the server has threads for."""


@dataclass
class Part:
    """The last answer of one probe."""
    value: dict[str, Any] = field(default_factory=dict)
    at: float | None = None        # time.time() of the last good answer
    error: str | None = None       # the last call's error, if it failed


class Subscription:
    """One browser's queue of serialized snapshots."""

    def __init__(self, full: bool, size: int = 4):
        self.full = full
        self.queue: queue.Queue[bytes | None] = queue.Queue(size)
        self.dropped = 0

    def put(self, payload: bytes | None) -> None:
        while True:
            try:
                self.queue.put_nowait(payload)
                return
            except queue.Full:
                try:
                    self.queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass


def sse(payload: dict, event: str = "snapshot") -> bytes:
    """One server-sent event carrying `payload` as JSON (one `data:` line: JSON has no newline)."""
    data = json.dumps(payload, default=str, separators=(",", ":"), ensure_ascii=False)
    return f"id: {payload.get('seq', 0)}\nevent: {event}\ndata: {data}\n\n".encode()


class Hub:
    def __init__(self, source: Source, interval: float = 1.0,
                 extras: Callable[[], dict[str, Any]] | None = None, linger: float = 5.0,
                 max_subscribers: int = 100, log: Callable[[str], None] | None = None):
        self.source = source
        self.interval = interval
        self.extras = extras or dict          # control-room-only state (load, verdict, jobs)
        self.linger = linger
        self.max_subscribers = max_subscribers
        self.log = log or (lambda m: print(f"ui hub: {m}", file=sys.stderr, flush=True))
        self.samples = 0
        self.seq = 0
        self._lock = threading.Lock()
        self._subs: set[Subscription] = set()
        self._parts = {name: Part() for name in source.probes}
        self._inflight: dict[str, Future] = {}
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(source.probes)),
                                        thread_name_prefix="ui-probe")
        self._latest: dict[str, Any] | None = None
        self._payloads: dict[bool, bytes | None] = {True: None, False: None}
        self._wanted_until = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.subscribed_total = 0
        self.peak_subscribers = 0

    # ------------------------------------------------------------------ sampling
    def tick(self, budget: float | None = None) -> dict[str, Any]:
        """Sample every idle probe once, build the snapshot, push it to every subscriber.
        Waits at most `budget` seconds (default: 90% of the interval) for the probes."""
        budget = self.interval * 0.9 if budget is None else budget
        for name, probe in self.source.probes.items():
            if name not in self._inflight:
                self._inflight[name] = self._pool.submit(probe)
        wait_futures(list(self._inflight.values()), timeout=budget)
        now = time.time()
        for name, fut in list(self._inflight.items()):
            if not fut.done():
                continue
            del self._inflight[name]
            part = self._parts[name]
            try:
                part.value, part.at, part.error = dict(fut.result() or {}), now, None
            except Exception as exc:  # noqa: BLE001 - a part of the lab down is news, not a crash
                part.error = f"{type(exc).__name__}: {exc}"[:300]
        snapshot = self._build(now)
        payloads = {True: sse(self._control(snapshot)), False: sse(self._public(snapshot))}
        with self._lock:
            self.samples += 1
            self._latest = snapshot
            self._payloads = payloads
            subs = list(self._subs)
        for sub in subs:
            sub.put(payloads[sub.full])
        return snapshot

    def _build(self, now: float) -> dict[str, Any]:
        self.seq += 1
        snap: dict[str, Any] = {"seq": self.seq, "at": now, "interval": self.interval}
        stale, errors = {}, {}
        for name, part in self._parts.items():
            snap.update(part.value)
            if part.error:
                errors[name] = part.error
            if part.at is None or part.at < now or name in self._inflight:
                stale[name] = None if part.at is None else round(now - part.at, 1)
        snap["stale"], snap["errors"] = stale, errors
        try:
            snap[CONTROL] = self.extras()
        except Exception as exc:  # noqa: BLE001 - never lose the snapshot to the extras
            errors[CONTROL] = f"{type(exc).__name__}: {exc}"
        return snap

    def _public(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        """What a customer's page may see: no message contents, no instructor's state."""
        hidden = {*self.source.private, CONTROL}
        return {k: v for k, v in snapshot.items() if k not in hidden}

    def _control(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        """What the control room gets: everything but what only the box office shows."""
        hidden = getattr(self.source, "public_only", frozenset())
        return {k: v for k, v in snapshot.items() if k not in hidden}

    # ------------------------------------------------------------------ the thread
    def start(self) -> Hub:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ui-hub", daemon=True)
            self._thread.start()
        return self

    def _wanted(self) -> bool:
        return bool(self._subs) or time.monotonic() < self._wanted_until

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._wanted():
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            begun = time.monotonic()
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - the hub must outlive any one sample
                self.log(f"sample failed: {exc!r}")
            self._stop.wait(max(0.05, self.interval - (time.monotonic() - begun)))

    def touch(self) -> None:
        """Someone wants a snapshot: sample for the next `linger` seconds."""
        self._wanted_until = time.monotonic() + self.linger
        self._wake.set()

    def close(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._wake.set()
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            sub.put(None)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.source.close()

    # ------------------------------------------------------------------ subscribers
    def subscribe(self, full: bool) -> Subscription:
        with self._lock:
            if len(self._subs) >= self.max_subscribers:
                raise TooManyViewers(f"{len(self._subs)} browsers are watching already "
                                     f"(at most {self.max_subscribers})")
            sub = Subscription(full)
            self._subs.add(sub)
            self.subscribed_total += 1
            self.peak_subscribers = max(self.peak_subscribers, len(self._subs))
        self._wake.set()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subs)

    def latest(self, full: bool) -> dict[str, Any] | None:
        self.touch()
        with self._lock:
            snap = self._latest
        if snap is None:
            return None
        return self._control(snap) if full else self._public(snap)

    def stream(self, full: bool, keepalive: float = 15.0) -> Iterator[bytes]:
        """Server-sent events for one browser: the latest snapshot at once, then each new one.
        The subscription is made when the stream starts and dropped when it ends (the
        browser went away: the server closes the iterator)."""
        if self.subscribers >= self.max_subscribers:
            raise TooManyViewers(f"at most {self.max_subscribers} browsers may watch at once")

        def events() -> Iterator[bytes]:
            sub = self.subscribe(full)
            try:
                yield b"retry: 2000\n\n"
                with self._lock:
                    first = self._payloads[full]
                if first is not None:
                    yield first
                while not self._stop.is_set():
                    try:
                        payload = sub.queue.get(timeout=keepalive)
                    except queue.Empty:
                        yield b": keepalive\n\n"
                        continue
                    if payload is None:
                        return
                    yield payload
            finally:
                self.unsubscribe(sub)
        return events()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            subs = list(self._subs)
        return {"samples": self.samples, "interval": self.interval, "subscribers": len(subs),
                "peak_subscribers": self.peak_subscribers,
                "subscribed_total": self.subscribed_total,
                "dropped": sum(s.dropped for s in subs), "calls": self.source.calls()}
