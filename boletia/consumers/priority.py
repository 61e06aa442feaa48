"""When a consumer of lower priority steps aside: the email path yields to the bookings.

On two cores, every email sent while bookings pour in takes CPU from them: the consumer, SES,
the ledger's two writes in the store (benchmarks/paused_downstream.py measured the POST's p50
at 928 ms with the email path running, 103 ms with it stopped). An email can wait a few
seconds; a booking's answer should not. So `notificaciones` watches how fast reservation
changes arrive on its own topic, and while they arrive faster than `above` per second it
stops fetching (kafka-python's `pause`) and lets them queue in Kafka, where they are safe.
It runs again once they have stayed at or below `above` for `calm` seconds: Connect publishes
a poll's worth of changes at once, so a one-second sample between two lumps reads 0 in the
middle of a burst (notebook 05 in CI: yield, resume after 1.0 s, yield again), the flapping
that Kubernetes' autoscaler avoids with its scale-down stabilisation window. It never holds
longer than `max_hold` in a row: after that it runs for `run_for`, so a load that never ends
still gets its emails. Pure: the loop gives it the time and the end offsets.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Yield:
    """`observe(now, ends)` answers whether to hold; `ends` maps each assigned partition to
    its end offset. Only partitions seen in both samples count (a rebalance that brings a
    partition is not an arrival)."""

    above: float                # arrivals per second that make the consumer step aside
    max_hold: float = 30.0      # seconds held in a row, at most
    run_for: float = 5.0        # seconds run after a hold that reached max_hold
    calm: float = 2.0           # seconds at or below `above` before a hold ends
    interval: float = 1.0       # seconds between two samples of the end offsets
    rate: float = 0.0           # the last arrival rate measured, per second
    held_since: float | None = None
    _quiet_since: float | None = field(default=None, repr=False)
    _last: tuple[float, dict] | None = field(default=None, repr=False)
    _run_until: float = float("-inf")

    def due(self, now: float) -> bool:
        return self._last is None or now - self._last[0] >= self.interval

    def observe(self, now: float, ends: dict) -> bool:
        hold = False
        if self._last is not None and now > self._last[0]:
            then, before = self._last
            arrived = sum(max(0, end - before[p]) for p, end in ends.items() if p in before)
            self.rate = arrived / (now - then)
            if self.rate > self.above:
                self._quiet_since = None
                hold = now >= self._run_until
            elif self.held_since is not None:  # holding: slow since `then`, for long enough?
                if self._quiet_since is None:
                    self._quiet_since = then
                hold = now - self._quiet_since < self.calm
        self._last = (now, dict(ends))
        if hold and self.held_since is not None and now - self.held_since >= self.max_hold:
            self._run_until = now + self.run_for
            hold = False
        if not hold:
            self.held_since, self._quiet_since = None, None
        elif self.held_since is None:
            self.held_since = now
        return hold

    def reset(self) -> None:
        """Fail open: when the end offsets cannot be read, the consumer runs."""
        self._last, self.held_since, self._quiet_since = None, None, None
