"""Benchmark: the whole failure matrix, every scenario in the fixed and in the seed design.

Prints, per scenario and design, how long the run took, how long the faulted components
took to come back, how many bookings went through, and what the checker found. Asserts
nothing (CI asserts the verdicts in tests/integration/test_chaos.py); this is the figure a
note or an instructor quotes: the time the matrix takes here, and how badly the seed breaks.

Needs a running lab (`boletia lab up`). Leaves it in the fixed design with faults cleared.

Usage: python benchmarks/chaos_matrix.py [--seed 1] [--designs fixed,seed] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from boletia.lab.errors import LabError
from boletia.lab.experiments import chaos
from boletia.lab.runtimes.local import LocalRuntime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--designs", default="fixed,seed")
    parser.add_argument("--only", nargs="*", default=list(chaos.SCENARIOS))
    parser.add_argument("--json", help="also write every summary to this file")
    args = parser.parse_args()

    unknown = [n for n in args.only if n not in chaos.SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(chaos.SCENARIOS)}")
    rt = LocalRuntime()
    results = []
    begun = time.monotonic()
    try:
        for name in args.only:
            for design in args.designs.split(","):
                try:
                    r = chaos.run(name, design, seed=args.seed, rt=rt)
                except LabError as exc:  # e.g. the lab is not up, or an unknown design
                    raise SystemExit(f"error: {exc}") from None
                results.append(r)
                print(f"{name:30s} {design:5s} {r['verdict']:12s} {r['seconds']:6.1f}s  "
                      f"bookings ok {r['operations']['bookings_ok']:3d}  "
                      f"drained in {r['drain']['seconds']}s  "
                      f"violations {r['violations'] or '-'}", flush=True)
    finally:
        rt.clear_faults()
        if rt.design() != "fixed":
            rt.set_design("fixed")
    total = time.monotonic() - begun

    print(f"\nmatrix: {len(results)} runs in {total:.0f}s")
    for design in args.designs.split(","):
        runs = [r for r in results if r["design"] == design]
        if runs:
            verdicts = {v: sum(r["verdict"] == v for r in runs)
                        for v in ("clean", "violated", "inconclusive")}
            print(f"  {design:5s}: {verdicts}, "
                  f"median {statistics.median(r['seconds'] for r in runs):.1f}s per scenario, "
                  f"{sum(r['seconds'] for r in runs):.0f}s in all")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, default=str)


if __name__ == "__main__":
    main()
