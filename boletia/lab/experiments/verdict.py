"""The checker's verdict on a running lab: drain it with a canary, read it, judge it."""

from __future__ import annotations

import sys
from collections.abc import Callable

from boletia.adapters import mongo
from boletia.lab.errors import LabError
from boletia.lab.experiments import checker, drain
from boletia.lab.runtimes.port import Runtime


def stopped_components(rt: Runtime, lines: int = 25) -> dict[str, str]:
    """Every component that is not running, with the last lines of its log."""
    out = {}
    for comp in rt.status():
        if comp.state != "running":
            try:
                out[comp.name] = rt.logs(comp.name, lines)
            except LabError as exc:
                out[comp.name] = str(exc)
    return out


def compact(line: str) -> None:
    """The default progress of a long drain: one line rewritten in place (a notebook cell's
    stderr, a terminal), only when the drain waits behind a backlog."""
    sys.stderr.write("\r" + line[:160].ljust(160))
    sys.stderr.flush()


def check_lab(rt: Runtime, record=None, design: str | None = None,
              expected_dead_letters: set[str] = frozenset(),
              stopped: dict[str, str] | None = None, timeout: float | None = None,
              progress: Callable[[str], None] | None = compact) -> checker.Report:
    """Judge the lab's state against `record` (a load.Record; None: no per-booking checks).
    `timeout`: the drain's bound (None: one that follows the backlog seen); `progress` gets a
    line (stage, lag, rate, estimate) every few seconds while the drain waits on a backlog."""
    design = design or rt.design()
    shown = []

    def show(line: str) -> None:
        shown.append(line)
        if progress:
            progress(line)

    with mongo.connect(rt.settings) as client:
        db = mongo.database(client)
        drained = drain.drain(db, rt.settings, design, timeout=timeout, progress=show)
        if shown and progress is compact:
            sys.stderr.write("\n")
        state = checker.snapshot(db, rt.settings, events=record.events if record else None,
                                 since=record.started if record else None, drain=drained,
                                 stopped=stopped_components(rt) if stopped is None else stopped)
    history = checker.History.from_record(record) if record is not None else None
    return checker.judge(state, history, design, expected_dead_letters)
