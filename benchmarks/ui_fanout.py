"""Benchmark: does the control room's load on the lab grow with the number of browsers?

Starts the control room's server in this process (a free loopback port, the hub sampling once
a second), then for each N opens N server-sent-event clients for `--seconds` and counts: the
hub's samples, the requests it made to the lab (by kind: the runtime's status, Kafka's admin
client, the tail consumer, Connect's REST API, `reservas`), and what the clients received.
The lab-side figures must stay flat from N=1 to N=30. Needs a running lab (`boletia lab up`);
reads only, changes nothing.

Usage: python benchmarks/ui_fanout.py [--clients 1 30] [--seconds 20] [--view control|public]
"""

from __future__ import annotations

import argparse
import threading
import time

import requests

from boletia.lab.runtimes.factory import get_runtime
from boletia.lab.ui.server import make_server


class Client(threading.Thread):
    """One browser: reads the stream, counts snapshots and bytes."""

    def __init__(self, url: str, headers: dict[str, str]):
        super().__init__(daemon=True)
        self.url, self.headers = url, headers
        self.snapshots = 0
        self.bytes = 0
        self.error: str | None = None
        self.response: requests.Response | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            self.response = requests.get(self.url, headers=self.headers, stream=True, timeout=30)
            self.response.raise_for_status()
            for line in self.response.iter_lines():
                if self.stop.is_set():
                    return
                self.bytes += len(line) + 1
                if line.startswith(b"data:"):
                    self.snapshots += 1
        except Exception as exc:  # noqa: BLE001 - closed by the main thread at the end
            if not self.stop.is_set():
                self.error = f"{type(exc).__name__}: {exc}"

    def close(self) -> None:
        self.stop.set()
        if self.response is not None:
            self.response.close()


def phase(base: str, hub, n: int, seconds: float, headers: dict[str, str]) -> dict:
    clients = [Client(f"{base}/api/stream", headers) for _ in range(n)]
    for c in clients:
        c.start()
    deadline = time.monotonic() + 10
    while hub.subscribers < n and time.monotonic() < deadline:
        time.sleep(0.05)
    if hub.subscribers < n:
        raise SystemExit(f"only {hub.subscribers} of {n} clients subscribed: "
                         f"{[c.error for c in clients if c.error][:3]}")
    time.sleep(1.5)  # every client has its first snapshot; measure from here
    before, received_before = hub.stats(), [c.snapshots for c in clients]
    bytes_before = sum(c.bytes for c in clients)
    begun = time.monotonic()
    time.sleep(seconds)
    took = time.monotonic() - begun
    after, received = hub.stats(), [c.snapshots for c in clients]
    bytes_after = sum(c.bytes for c in clients)
    for c in clients:
        c.close()
    deadline = time.monotonic() + 10
    while hub.subscribers and time.monotonic() < deadline:
        time.sleep(0.1)
    calls = {k: after["calls"].get(k, 0) - before["calls"].get(k, 0) for k in after["calls"]}
    per_client = [(b - a) / took for a, b in zip(received_before, received, strict=True)]
    return {"n": n, "seconds": took, "samples_per_s": (after["samples"] - before["samples"]) / took,
            "calls_per_s": {k: v / took for k, v in sorted(calls.items()) if v},
            "lab_requests_per_s": sum(calls.values()) / took,
            "snapshots_per_client_per_s": (min(per_client), max(per_client)),
            "kib_per_s_to_browsers": (bytes_after - bytes_before) / took / 1024,
            "errors": [c.error for c in clients if c.error]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 30])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--view", choices=("control", "public"), default="control")
    args = parser.parse_args()

    rt = get_runtime("local")
    away = [s.name for s in rt.status() if s.state != "running"]
    if away:
        raise SystemExit(f"bring the lab up first (boletia lab up): {', '.join(away)} not running")
    server, app = make_server(rt, "127.0.0.1", 0, interval=1.0)
    threading.Thread(target=server.run, daemon=True).start()
    hub = app.extensions["boletia_ui"]["hub"]
    base = f"http://127.0.0.1:{server.effective_port}"
    headers = {"Authorization": f"Bearer {rt.admin_token()}"} if args.view == "control" else {}
    rows = []
    try:
        for n in args.clients:
            rows.append(phase(base, hub, n, args.seconds, headers))
            r = rows[-1]
            low, high = r["snapshots_per_client_per_s"]
            print(f"N={r['n']:>3}: {r['seconds']:.1f} s, hub samples {r['samples_per_s']:.2f}/s, "
                  f"lab-side requests {r['lab_requests_per_s']:.2f}/s "
                  f"({', '.join(f'{k} {v:.2f}' for k, v in r['calls_per_s'].items())}); "
                  f"each client got {low:.2f}-{high:.2f} snapshots/s; "
                  f"{r['kib_per_s_to_browsers']:.0f} KiB/s to the browsers"
                  + (f"; errors: {r['errors'][:3]}" if r["errors"] else ""), flush=True)
    finally:
        app.extensions["boletia_ui"]["close"]()
        server.close()
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        ratio = last["lab_requests_per_s"] / first["lab_requests_per_s"] if first["lab_requests_per_s"] else 0
        print(f"lab-side requests per second, N={last['n']} vs N={first['n']}: x{ratio:.2f} "
              f"(one poller per browser would make it x{last['n'] / first['n']:.0f})")


if __name__ == "__main__":
    main()
