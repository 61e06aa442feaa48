"""Benchmark: how much of the POST's delay the work downstream of it causes.

At each rate, bookings are offered open-loop exactly as `boletia bench` does
(bench.open_loop), once with the whole lab running and once with some downstream processes
paused (SIGSTOP, through the runtime's `pause`) for the offered window only. A paused part
does no work, so the difference is the share of the two cores it takes from the POST and,
when the reservation path runs, from POST -> reservation. The rows alternate, so a noisy
minute of the shared machine hurts both. The paused parts are resumed, and the pipeline
drained, before the next row. Asserts nothing (the machine is shared and noisy).

The last default mode pauses every consumer and SES: since the inventario consumer was split
(one consumer per topic), `reembolsos` reads boletia.reservas, every booking's reservation
included, which the one `inventario` read before; both are paused, so the mode still stops
what the row recorded on 2026-11-29 stopped (docs/benchmarks.md).

Usage: python benchmarks/paused_downstream.py [--rates 240,280] [--seconds 8]
       [--modes none,notificaciones+ses,inventario+reembolsos+notificaciones+ses]   (a running local lab)
"""

from __future__ import annotations

import argparse
import time

from bson import ObjectId

from boletia.adapters import mongo
from boletia.lab.components import COMPONENTS
from boletia.lab.experiments import bench, drain, load
from boletia.lab.notebook.client import Boletia
from boletia.lab.runtimes.factory import get_runtime


def ms(values: list[float], p: float) -> str:
    got = bench.pct(values, p)
    return "-" if got is None else f"{got * 1000:.0f}"


def one_row(rt, api, db, rate: float, seconds: float, paused: list[str]) -> str:
    """Offer `rate` for `seconds` with `paused` stopped; the event exists before they are."""
    record = load.Record(seed=0, prefix=f"paused {'+'.join(paused) or 'none'} {rate:g} {ObjectId()}")
    load.create_events(api, record, 1, int(rate * seconds) + 10)
    stopped: list[str] = []
    try:
        for part in paused:
            rt.pause(part)
            stopped.append(part)
        since = time.time()
        bookings = bench.open_loop(api, record.events[0], rate, seconds)
        ok = [b for b in bookings if b.status == 200]
        if "inventario" not in paused:   # the reservations come: wait for them, a minute at most
            ids = [ObjectId(b.id) for b in ok]
            end = time.time() + 60
            while time.time() < end and db.reservas.count_documents({"_id": {"$in": ids}}) < len(ids):
                time.sleep(0.5)
        bench.fill_stages(rt.settings, bookings, since)
    finally:   # whatever failed, nothing stays stopped
        for part in stopped:
            rt.resume(part)
    load.cancel_events(api, record)
    drain.drain(db, rt.settings, rt.design(), timeout=300)
    post = [b.answered - b.planned for b in bookings if b.answered]
    recorded = [b.recorded - b.planned for b in ok if b.recorded]
    return (f"{rate:6g}/s  paused: {'+'.join(paused) or '(nothing)':34s} accepted {len(ok)}/{len(bookings)}"
            f"  POST p50 {ms(post, 50):>5} p99 {ms(post, 99):>5} ms"
            f"  POST->reservation p50 {ms(recorded, 50):>5} p99 {ms(recorded, 99):>5} ms"
            f" ({len(recorded)} recorded)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="240,280")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--modes", default="none,notificaciones+ses,inventario+reembolsos+notificaciones+ses",
                        help="comma-separated; each a +-joined list of components, or none")
    args = parser.parse_args()
    modes = [[] if m == "none" else m.split("+") for m in args.modes.split(",")]
    known = {c.name for c in COMPONENTS}
    unknown = sorted({part for mode in modes for part in mode} - known)
    if unknown:
        parser.error(f"--modes: no component named {', '.join(unknown)}; "
                     f"the lab's components are {', '.join(sorted(known))}")
    try:
        rates = [float(r) for r in args.rates.split(",")]
    except ValueError:
        parser.error(f"--rates: {args.rates!r} is not a comma-separated list of numbers (e.g. 240,280)")
    rt = get_runtime("local")
    down = [c.name for c in rt.status() if c.state != "running"]
    if down:
        raise SystemExit(f"the local lab is not running ({', '.join(down)} not running): "
                         "start it with `.venv/bin/boletia lab up`, then run this again")
    api = Boletia(token=rt.admin_token(), settings=rt.settings, timeout=10)
    with mongo.connect(rt.settings) as client:
        db = mongo.database(client)
        quiet = drain.drain(db, rt.settings, rt.design())
        if not quiet["drained"]:
            raise SystemExit(f"the pipeline did not drain ({quiet['stage']}): start from a quiet lab")
        print(f"store ceiling now: {bench.ceiling(rt.settings)['bookings_per_s']} bookings/s", flush=True)
        bench.run_rate(rt, api, db, rt.design(), 40, 3)   # warm-up, not reported
        for rate in rates:
            for paused in modes:
                print(one_row(rt, api, db, rate, args.seconds, paused), flush=True)


if __name__ == "__main__":
    main()
