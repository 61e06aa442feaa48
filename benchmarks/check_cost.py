"""Does a check cost what its run does, or what the lab has lived? (issue 30)

The same small run (one event, 30 bookings) is judged on the lab as it is (fresh: a few
emails), then again, as a second identical run, after 100 000 earlier emails have been put
straight into the lab's SES endpoint (in batches, `ses.seed_history`). For each it prints the
whole check (canary drain + read + judge, median of 3), the checker's read-back of the run's
emails (`ses.sent_about`), and, for comparison, moto's whole read-back (`/moto-api/data.json`,
what the checker read before) — side by side, with the ratio after/fresh.

    boletia lab down --purge; boletia lab up && .venv/bin/python benchmarks/check_cost.py
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import requests

from boletia.adapters import ses
from boletia.lab.experiments import load
from boletia.lab.experiments.verdict import check_lab
from boletia.lab.notebook.client import Boletia
from boletia.lab.runtimes.local import LocalRuntime


def held(settings) -> int:
    r = requests.get(f"{settings.ses_url}/boletia-api/sent", timeout=30)
    r.raise_for_status()
    return r.json()["total"]


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def measure(rt, label: str, repeat: int) -> dict:
    api = Boletia(token=rt.admin_token(), settings=rt.settings)
    record = load.run(api, seed=7, events=1, customers=3, operations=10, capacity=60,
                      cancel_ratio=0.0, prefix=f"Costo {uuid.uuid4().hex[:6]}")
    check_lab(rt, record, progress=None)              # let the run's own emails settle first
    check_s, report = timed(lambda: check_lab(rt, record, progress=None), repeat)
    read_s, mails = timed(lambda: ses.sent_about(record.events, rt.settings), repeat)
    whole_s, everything = timed(lambda: ses.sent_messages(rt.settings), 1)
    return {"label": label, "held": held(rt.settings), "bookings": record.count("book", 200),
            "verdict": report.verdict, "check_s": check_s, "read_ms": read_s * 1000,
            "run_emails": len(mails), "whole_s": whole_s, "whole_n": len(everything)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rt = LocalRuntime()
    fresh = measure(rt, "fresh", args.repeat)
    begun = time.perf_counter()
    for start in range(0, args.emails, 20_000):
        ses.seed_history(min(20_000, args.emails - start), f"Historia {start}", rt.settings)
    seeded = time.perf_counter() - begun
    lived = measure(rt, f"after {args.emails} emails", args.repeat)
    print(f"seeded {args.emails} emails in {seeded:.1f} s")
    print(f"{'lab':24s} {'emails held':>11s} {'bookings':>8s} {'verdict':>8s} {'check s':>8s} "
          f"{'run read ms':>11s} {'data.json s':>11s}")
    for row in (fresh, lived):
        print(f"{row['label']:24s} {row['held']:11d} {row['bookings']:8d} {row['verdict']:>8s} "
              f"{row['check_s']:8.2f} {row['read_ms']:11.1f} {row['whole_s']:11.2f}")
    print(f"{'ratio after/fresh':24s} {'':11s} {'':8s} {'':8s} "
          f"{lived['check_s'] / fresh['check_s']:8.2f} {lived['read_ms'] / fresh['read_ms']:11.2f} "
          f"{lived['whole_s'] / fresh['whole_s']:11.1f}")


if __name__ == "__main__":
    main()
