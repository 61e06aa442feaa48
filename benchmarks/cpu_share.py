"""Benchmark: where the two cores go while bookings arrive open-loop at a fixed rate.

For each rate: wait for a quiet pipeline, read every lab process's CPU time (with its
children: a JVM's or a service's), offer the bookings exactly as `boletia bench` does
(bench.open_loop), read the CPU times again, then drain, cancel and drain again so the next
rate starts quiet. Prints each process's share in cores over the offered window only (the
emails that drain after it are not counted), the POST latency, and the lab idle for
comparison. Asserts nothing (the machine is shared and noisy).

Usage: python benchmarks/cpu_share.py [--rates 160,240] [--seconds 8]   (a running local lab)
"""

from __future__ import annotations

import argparse
import os
import time

import psutil

from boletia.adapters import mongo
from boletia.lab.experiments import bench, drain, load
from boletia.lab.notebook.client import Boletia
from boletia.lab.runtimes.factory import get_runtime


def cpu_seconds(procs: dict[str, psutil.Process]) -> dict[str, float]:
    out = {}
    for name, proc in procs.items():
        try:
            out[name] = sum(t.user + t.system for t in
                            (p.cpu_times() for p in [proc, *proc.children(recursive=True)]))
        except psutil.Error:
            out[name] = float("nan")
    return out


def table(before: dict[str, float], after: dict[str, float], seconds: float) -> None:
    used = {n: (after[n] - before[n]) / seconds for n in before}
    for name in sorted(used, key=lambda n: -used[n]):
        print(f"  {name:15s} {used[name]:5.2f} cores")
    print(f"  {'all':15s} {sum(used.values()):5.2f} cores of {os.cpu_count()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="160,240")
    parser.add_argument("--seconds", type=float, default=8)
    args = parser.parse_args()
    rt = get_runtime("local")
    procs = {s.name: psutil.Process(s.pid) for s in rt.status() if s.pid}
    procs["load (this script)"] = psutil.Process()
    api = Boletia(token=rt.admin_token(), settings=rt.settings, timeout=10)
    with mongo.connect(rt.settings) as client:
        db = mongo.database(client)
        design = rt.design()
        drain.drain(db, rt.settings, design)
        before = cpu_seconds(procs)
        time.sleep(5)
        print(f"idle, {design} design:")
        table(before, cpu_seconds(procs), 5)
        for rate in (float(r) for r in args.rates.split(",")):
            record = load.Record(seed=0, prefix=f"cpu {rate:g} por s {time.time_ns()}")
            load.create_events(api, record, 1, int(rate * args.seconds) + 10)
            drain.drain(db, rt.settings, design)
            before, begun = cpu_seconds(procs), time.monotonic()
            bookings = bench.open_loop(api, record.events[0], rate, args.seconds)
            after, window = cpu_seconds(procs), time.monotonic() - begun
            post = bench.summary([b.answered - b.planned for b in bookings if b.answered])
            ok = sum(b.status == 200 for b in bookings)
            print(f"{rate:g} bookings/s offered for {args.seconds:g} s ({window:.1f} s window): "
                  f"{ok}/{len(bookings)} accepted, POST p50 {post['p50']} ms p99 {post['p99']} ms")
            table(before, after, window)
            drain.drain(db, rt.settings, design, timeout=300)
            load.cancel_events(api, record)
            drain.drain(db, rt.settings, design, timeout=300)


if __name__ == "__main__":
    main()
