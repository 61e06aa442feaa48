"""Benchmark: what scaling out buys on this machine. The same open-loop rates with inventario as
1, 2 and 3 members of its group and Connect as 1 and 2 workers, side by side in one run: per
configuration and rate, the bookings accepted and recorded, p50/p99 POST -> reservation,
whether it was sustained (bench.judge: every booking recorded, p99 <= 1 s), and the whole lab's
CPU seconds per booking (every lab process and its children, from the first booking offered
until the pipeline drained; the load generator is not counted).

On 2 cores the curve flattens: more members of inventario add processes that compete for the
same cores as the store and the brokers, and a partition batch is already written at once
(README, "Scaling out"). The figures say by how much; they assert nothing (a shared machine).

Usage: python benchmarks/scale_out.py [--rates 160,240] [--seconds 8] [--configs 1x1,2x1,3x1,1x2]
(a running local lab; MxW: M members of inventario, W Connect workers; the lab is left at 1x1)
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import psutil
from bson import ObjectId

from boletia.adapters import mongo
from boletia.lab import groups
from boletia.lab.experiments import bench, drain, load
from boletia.lab.notebook.client import Boletia
from boletia.lab.runtimes.factory import get_runtime


def lab_processes(rt) -> dict[str, psutil.Process]:
    """Every running lab process by component (members included), read again after a scale."""
    out = {}
    for s in rt.status():
        if s.pid and s.state == "running":
            try:
                out[s.name] = psutil.Process(s.pid)
            except psutil.Error:
                pass
    return out


def cpu_seconds(procs: dict[str, psutil.Process]) -> float:
    total = 0.0
    for proc in procs.values():
        try:
            total += sum(t.user + t.system for t in
                         (p.cpu_times() for p in [proc, *proc.children(recursive=True)]))
        except psutil.Error:
            pass
    return total


def one_rate(rt, api, db, design: str, rate: float, seconds: float, lead_in: float) -> dict:
    procs = lab_processes(rt)
    record = load.Record(seed=0, prefix=f"scale {rate:g} por s {ObjectId()}")
    load.create_events(api, record, 1, int(rate * (lead_in + seconds)) + 10)
    drain.drain(db, rt.settings, design)
    before, since, begun = cpu_seconds(procs), time.time(), time.monotonic()
    everything = bench.open_loop(api, record.events[0], rate, lead_in + seconds)
    drained = drain.drain(db, rt.settings, design, timeout=300)
    used, took = cpu_seconds(procs) - before, time.monotonic() - begun
    bench.fill_stages(rt.settings, everything, since)
    step, _ = bench.judge(design, rate, seconds, everything, lead_in, drained["drained"])
    accepted = sum(b.status == 200 for b in everything)
    load.cancel_events(api, record)
    drain.drain(db, rt.settings, design, timeout=300)
    return {"rate": rate, "sent": step.sent, "accepted": step.accepted, "recorded": step.recorded,
            "sustained": step.sustained, "to_reservation_ms": step.to_reservation_ms,
            "post_ms": step.post_ms, "cpu_s": round(used, 1), "until_drained_s": round(took, 1),
            "cpu_ms_per_booking": round(1000 * used / accepted, 1) if accepted else None,
            "cores": round(used / took, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="160,240")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--lead-in", type=float, default=3)
    parser.add_argument("--configs", default="1x1,2x1,3x1,1x2")
    parser.add_argument("--out", default="bench-results/scale-out.json")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    configs = [tuple(int(x) for x in c.split("x")) for c in args.configs.split(",")]
    rt = get_runtime("local")
    api = Boletia(token=rt.admin_token(), settings=rt.settings, timeout=10)
    design, rows = rt.design(), []
    print(f"{os.cpu_count()} cores, design {design}; rates {rates} for {args.seconds:g} s "
          f"(+{args.lead_in:g} s lead-in), configurations {args.configs}", flush=True)
    with mongo.connect(rt.settings) as client:
        db = mongo.database(client)
        try:
            print("warm-up: 1x1, the lowest rate for 10 s (not measured)", flush=True)
            rt.scale("inventario", 1)
            rt.scale(groups.CONNECT, 1)
            one_rate(rt, api, db, design, rates[0], 10, 0)
            for members, workers in configs:
                started = time.monotonic()
                rt.scale(groups.CONNECT, workers)
                rt.scale("inventario", members)
                print(f"{members}x{workers}: scaled in {time.monotonic() - started:.1f} s", flush=True)
                for rate in rates:
                    row = {"members": members, "workers": workers,
                           **one_rate(rt, api, db, design, rate, args.seconds, args.lead_in)}
                    rows.append(row)
                    r = row["to_reservation_ms"]
                    print(f"  {rate:5g}/s: {row['recorded']}/{row['accepted']}/{row['sent']} "
                          f"recorded/accepted/sent, POST->reservation p50 {r.get('p50')} "
                          f"p99 {r.get('p99')} ms, {'sustained' if row['sustained'] else 'NOT sustained'}"
                          f"; {row['cpu_ms_per_booking']} CPU ms a booking, {row['cores']} cores",
                          flush=True)
        finally:
            rt.scale("inventario", 1)
            rt.scale(groups.CONNECT, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rates": rates, "seconds": args.seconds, "rows": rows}, indent=1))
    print("\n| inventario x Connect | rate | recorded / sent | p99 POST -> reservation | sustained "
          "| CPU ms a booking | cores |\n|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['members']} x {row['workers']} | {row['rate']:g}/s | {row['recorded']} / "
              f"{row['sent']} | {row['to_reservation_ms'].get('p99')} ms | "
              f"{'yes' if row['sustained'] else 'no'} | {row['cpu_ms_per_booking']} | {row['cores']} |")
    print(f"(written to {out})")


if __name__ == "__main__":
    main()
