"""Benchmark: how a lab just brought up answers, against the same lab once it has worked.

One open-loop rate (bench.run_rate, no lead-in) held for `--seconds`, `--runs` times in a
row on the running lab, the pipeline drained between runs. Each run prints p50/p99 from the
POST to the reservation and the median of each second, so a warming lab shows as a first
run slower than the next and, within it, seconds getting faster. Run it on a lab just
brought up on an empty lab directory for the cold start (`boletia lab down`, move `.lab`
away, `boletia lab up`); `--restart COMPONENT` restarts one part before the runs, to see
whether that part is what was cold. Asserts nothing (the machine is shared and noisy).

Usage: python benchmarks/cold_start.py [--rate 120] [--seconds 10] [--runs 3]
       [--idle 0] [--restart connect]   (a running local lab)
"""

from __future__ import annotations

import argparse
import statistics
import time

from boletia.adapters import mongo
from boletia.lab.components import COMPONENTS
from boletia.lab.experiments import bench, drain
from boletia.lab.notebook.client import Boletia
from boletia.lab.runtimes.factory import get_runtime


def per_second(bookings: list[bench.Booking]) -> str:
    """The median POST -> reservation of the bookings planned in each second, in ms."""
    done = [b for b in bookings if b.recorded]
    if not done:
        return "(nothing recorded)"
    start = done[0].planned
    seconds: dict[int, list[float]] = {}
    for b in done:
        seconds.setdefault(int(b.planned - start), []).append(b.recorded - b.planned)
    return " ".join(f"{statistics.median(v) * 1000:.0f}" for _, v in sorted(seconds.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=120)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=0, help="seconds to wait before the first run")
    parser.add_argument("--restart", default="", help="a component to restart before the runs")
    args = parser.parse_args()
    if not 0 < args.rate <= 1000 or args.seconds <= 0 or args.runs < 1:
        parser.error("--rate must be in (0, 1000], --seconds above 0, --runs at least 1")
    known = {c.name for c in COMPONENTS}
    if args.restart and args.restart not in known:
        parser.error(f"--restart: no component named {args.restart}; "
                     f"the lab's components are {', '.join(sorted(known))}")
    rt = get_runtime("local")
    down = [c.name for c in rt.status() if c.state != "running"]
    if down:
        raise SystemExit(f"the local lab is not running ({', '.join(down)} not running): "
                         "start it with `.venv/bin/boletia lab up`, then run this again")
    if args.restart:
        rt.restart(args.restart)
    time.sleep(args.idle)
    api = Boletia(token=rt.admin_token(), settings=rt.settings, timeout=10)
    with mongo.connect(rt.settings) as client:
        db = mongo.database(client)
        for run in range(1, args.runs + 1):
            step, bookings = bench.run_rate(rt, api, db, rt.design(), args.rate, args.seconds)
            res = step.to_reservation_ms
            print(f"run {run}: {args.rate:g}/s for {args.seconds:g} s, recorded {step.recorded}/"
                  f"{step.accepted}, POST -> reservation p50 {res.get('p50')} p99 {res.get('p99')} ms;"
                  f" each second's median: {per_second(bookings)} ms", flush=True)
        quiet = drain.drain(db, rt.settings, rt.design())
        if not quiet["drained"]:
            print(f"note: the pipeline did not drain afterwards ({quiet['stage']}: {quiet['detail']})")


if __name__ == "__main__":
    main()
