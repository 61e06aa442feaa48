"""An API as replicas on one address, as every runtime checks it: which replica answers a new
connection, and waiting until exactly replicas 1..n have answered. On the local runtime the
replicas are processes that each bind the port (SO_REUSEPORT); on docker, containers that
share replica 1's network namespace and bind it the same way, as the containers of a
Kubernetes pod share theirs. Either way the kernel spreads new connections, not requests."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from boletia.lab import groups
from boletia.lab.errors import LabError


def replica_at(url: str, timeout: float = 3.0) -> str | None:
    """Which replica answers a NEW connection to `url`; None: no answer."""
    try:
        with requests.Session() as session:
            return session.get(f"{url}/health", timeout=timeout).json().get("replica")
    except (requests.RequestException, ValueError):
        return None


def settle(name: str, url: str, n: int, timeout: float, alive: Callable[[], None],
           logs: str) -> list[dict]:
    """Until `url` has been answered by exactly replicas 1..n of `name` (every one of them, at
    least 4n probes in all); `alive` raises when a replica died meanwhile. Rows as `lab scale`
    reports them: each replica and how many probes it answered."""
    wanted = {groups.member_name(name, k) for k in range(1, n + 1)}
    answered: dict[str, int] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive()
        replica = replica_at(url, timeout=2)
        if replica is not None:
            answered[replica] = answered.get(replica, 0) + 1
        if wanted <= set(answered) and sum(answered.values()) >= 4 * n:
            strangers = set(answered) - wanted
            if strangers:
                raise LabError(f"{name}'s address was also answered by {sorted(strangers)}, "
                               f"which should not run; see `boletia lab status`")
            total = sum(answered.values())
            return [{"instance": r, "partitions": [f"answered {c} of {total} probes"]}
                    for r, c in sorted(answered.items())]
        time.sleep(0.05)
    raise LabError(f"{name}: not every replica answered its address in {timeout:.0f}s "
                   f"(answers: {answered or 'none'}); see {logs}")
