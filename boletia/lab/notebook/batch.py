"""Papermill batch runs as a feature: one lesson executed headless over a grid of parameters
(designs × seeds × …), each executed copy kept, the results each run records gathered into
one table and one plot. A run that fails is reported with its notebook and cell; the others
are kept.

A lesson records results with `lesson.record(results_path, name=value, ...)` when papermill
gives it a `results_path` parameter.
"""

from __future__ import annotations

import csv
import itertools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def parse_grid(specs: list[str]) -> dict[str, list[Any]]:
    """["design=seed,fixed", "seed=1-20"] -> {"design": ["seed", "fixed"], "seed": [1, ..., 20]}."""
    grid: dict[str, list[Any]] = {}
    for spec in specs:
        name, sep, values = spec.partition("=")
        if not sep or not name.strip() or not values.strip():
            raise ValueError(f"a grid axis is NAME=v1,v2 or NAME=a-b, got {spec!r}")
        out: list[Any] = []
        for v in values.split(","):
            v = v.strip()
            lo, dash, hi = v.partition("-")
            if dash and lo.isdigit() and hi.isdigit():
                out.extend(range(int(lo), int(hi) + 1))
            else:
                out.append(int(v) if v.lstrip("-").isdigit() else v)
        grid[name.strip()] = out
    return grid


def run(notebook: Path, grid: dict[str, list[Any]], out: Path, base: dict[str, Any] | None = None,
        report: Callable[[str], None] = print) -> list[dict]:
    import papermill

    out.mkdir(parents=True, exist_ok=True)
    names = list(grid)
    combos = list(itertools.product(*(grid[n] for n in names))) or [()]
    rows = []
    for i, combo in enumerate(combos, 1):
        params = {**(base or {}), **dict(zip(names, combo, strict=True))}
        tag = "-".join(f"{k}{v}" for k, v in zip(names, combo, strict=True)) or "run"
        executed = out / f"{notebook.stem}-{tag}.ipynb"
        results = out / f"{notebook.stem}-{tag}.json"
        results.unlink(missing_ok=True)
        begun = time.monotonic()
        report(f"[{i}/{len(combos)}] {notebook.name} {params}")
        row: dict[str, Any] = {**params, "notebook": executed.name}
        try:
            papermill.execute_notebook(str(notebook), str(executed),
                                       parameters={**params, "results_path": str(results)},
                                       cwd=str(notebook.parent), progress_bar=False)
            row["status"] = "ok"
        except papermill.PapermillExecutionError as exc:
            row["status"] = f"failed in cell {exc.exec_count}: {exc.ename}: {str(exc.evalue)[:120]}"
            report(f"    {row['status']} (kept: {executed})")
        row["seconds"] = round(time.monotonic() - begun, 1)
        if results.exists():
            row.update(json.loads(results.read_text()))
        rows.append(row)
    write_table(rows, out / "results.csv")
    return rows


def write_table(rows: list[dict], path: Path) -> Path:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def plot(rows: list[dict], x: str, y: str, by: str | None, path: Path) -> Path:
    """`y` against `x`, one series per value of `by`."""
    # a Figure of its own, not pyplot's: switching the backend to write a file silenced
    # every later plt.show() in the notebook that called this
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.2))
    ax = fig.subplots()
    groups = sorted({r.get(by) for r in rows}, key=str) if by else [None]
    for g in groups:
        mine = [r for r in rows if (by is None or r.get(by) == g) and r.get(y) is not None]
        ax.plot([r[x] for r in mine], [r[y] for r in mine], marker="o", ls="-", label=str(g) if by else y)
    ax.set(xlabel=x, ylabel=y)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path
