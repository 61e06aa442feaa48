"""Benchmark: how long each lesson takes end to end (fresh kernel, the lab already up), against
the budget of issue 26 (5 min each, 20 min for all eight on 2 cores). Prints each lesson's
median over --runs, its slowest cells, and the total; asserts nothing (the machine is shared).

Usage: python benchmarks/lessons.py [--runs 1] [LESSON ...]     (e.g. 04 07; default: all)
With BOLETIA_LAB_DIR/BOLETIA_PORTS set, it runs against that lab.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

from boletia.lab.notebook.references import REFERENCE_PARAMS

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
BUDGET_EACH, BUDGET_ALL = 300, 1200


def run_once(lesson: Path, out: Path) -> tuple[float, list[tuple[float, int]]]:
    begun = time.perf_counter()
    papermill.execute_notebook(str(lesson), str(out), cwd=str(NOTEBOOKS), kernel_name="python3",
                               parameters={"runtime": "local", **REFERENCE_PARAMS.get(lesson.stem, {})},
                               progress_bar=False)
    seconds = time.perf_counter() - begun
    cells = [c for c in nbformat.read(out, as_version=4).cells
             if "injected-parameters" not in c.metadata.get("tags", [])]
    slow = sorted(((c.metadata.get("papermill", {}).get("duration") or 0.0, i)
                   for i, c in enumerate(cells) if c.cell_type == "code"), reverse=True)
    return seconds, slow[:3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="lesson numbers or names (default: all)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    every = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    chosen = [p for p in every if not args.lessons or any(p.stem.startswith(a) for a in args.lessons)]
    total = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for lesson in chosen:
            times, slow = [], []
            for n in range(args.runs):
                seconds, slow = run_once(lesson, Path(tmp) / f"{lesson.stem}-{n}.ipynb")
                times.append(seconds)
            median = statistics.median(times)
            total += median
            flag = "" if median <= BUDGET_EACH else f"  OVER the {BUDGET_EACH} s budget"
            cells = ", ".join(f"cell {i} {d:.0f} s" for d, i in slow)
            print(f"{lesson.stem:32s} {median:6.0f} s  (runs: {', '.join(f'{t:.0f}' for t in times)};"
                  f" slowest: {cells}){flag}", flush=True)
    flag = "" if total <= BUDGET_ALL else f"  OVER the {BUDGET_ALL} s budget"
    print(f"{'total':32s} {total:6.0f} s{flag}")


if __name__ == "__main__":
    main()
