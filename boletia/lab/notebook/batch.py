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


# what a lesson's recorded names mean, for the axes (a name not here is shown as it is)
LABELS = {"seed": "seed of the run", "lost": "bookings lost (200, no reservation)",
          "booked": "bookings answered 200", "design": "design"}


def draw(ax, rows: list[dict], x: str, y: str, by: str | None, title: str | None = None) -> None:
    """`y` against `x` as dots, one colour per value of `by`: separate runs are not joined by a
    line, and the groups are shifted a little sideways so that equal values do not hide each other."""
    groups = sorted({r.get(by) for r in rows}, key=str) if by else [None]
    numeric = all(isinstance(r.get(x), int | float) for r in rows)
    for n, g in enumerate(groups):
        mine = [r for r in rows if (by is None or r.get(by) == g) and r.get(y) is not None]
        shift = (n - (len(groups) - 1) / 2) * 0.12 if numeric else 0
        ax.scatter([r[x] + shift if numeric else r[x] for r in mine], [r[y] for r in mine], s=36,
                   label=f"{by} {g}" if by else LABELS.get(y, y), zorder=3)
    if all(isinstance(r.get(y), int) for r in rows if r.get(y) is not None):
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))   # counts: whole numbers
    ax.set_xlabel(LABELS.get(x, x))
    ax.set_ylabel(LABELS.get(y, y))
    ax.set_title(title or f"{LABELS.get(y, y)} per run" + (f", by {by}" if by else ""))
    if numeric:
        ax.set_xticks(sorted({r[x] for r in rows}))
    top = max([r[y] for r in rows if isinstance(r.get(y), int | float)] + [1])
    ax.set_ylim(-0.05 * top - 0.2, top * 1.15 + 0.2)   # a dot at 0 stays above the axis
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def plot(rows: list[dict], x: str, y: str, by: str | None, path: Path, title: str | None = None) -> Path:
    """`y` against `x`, one series of dots per value of `by`, in a file."""
    # a Figure of its own, not pyplot's: switching the backend to write a file silenced
    # every later plt.show() in the notebook that called this
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.2))
    draw(fig.subplots(), rows, x, y, by, title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path
