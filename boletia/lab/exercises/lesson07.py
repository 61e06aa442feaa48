"""Lesson 07's exercise, checked: the student's `how_often(rows, design)` gives the statistic that
answers "how often does the race bite": the share of a design's runs that lost at least one
booking. Judged on this lesson's own runs and on made-up tables, each built so that one misread
idea (how badly instead of how often, a count instead of a share, another design's runs, the
verdict instead of the lost bookings) gives a wrong answer; the message names the idea.

The check never raises: an untouched stub or a wrong answer prints "not yet: ..." so the rest
of the lesson still runs; a right one prints "right: ...".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _run(design: str, seed: int, booked: int, lost: int, verdict: str | None = None) -> dict:
    return {"design": design, "seed": seed, "answered": booked, "booked": booked, "lost": lost,
            "verdict": verdict or ("violated" if lost else "clean"), "other violations": {}}


def share(rows: list[dict], design: str) -> float | None:
    """The right statistic, to compare against: runs of `design` that lost a booking, over its runs."""
    mine = [r for r in rows if r["design"] == design]
    return sum(r["lost"] > 0 for r in mine) / len(mine) if mine else None


# made-up tables, each with the design asked about and what to say when the answer is wrong
CASES: list[tuple[str, list[dict], str, str]] = [
    ("four runs, two of them lost bookings",
     [_run("seed", 1, 30, 12), _run("seed", 2, 30, 0), _run("seed", 3, 30, 1), _run("seed", 4, 30, 0)],
     "seed",
     "how often is a share of the RUNS: the runs that lost at least one booking over all the runs "
     "(here 2 of 4), whatever number each lost; the share of bookings lost says how badly, not how often"),
    ("two designs in one table",
     [_run("seed", 1, 30, 3), _run("fixed", 1, 30, 0), _run("fixed", 2, 30, 0), _run("seed", 2, 30, 0)],
     "seed",
     "count only the runs of the design asked about (1 of the seed's 2 runs here), not every row"),
    ("a run violated without losing a booking",
     [_run("seed", 1, 30, 0, "violated"), _run("seed", 2, 30, 4), _run("seed", 3, 30, 0)],
     "seed",
     "the race bites when a booking is lost: a run counts when `lost` is above 0, not when the checker "
     "found some other violation (1 of 3 here)"),
    ("a design that never lost",
     [_run("fixed", s, 30, 0) for s in range(1, 6)], "fixed",
     "a design whose runs lost nothing bites in 0 of its runs: the share is 0"),
]


def check_how_often(how_often: Callable[[list[dict], str], Any], rows: list[dict]) -> bool:
    """Print "right: ..." or "not yet: ..." for the student's `how_often`; True when right.
    `rows` are this lesson's runs (one dict per design and seed)."""
    designs = sorted({r["design"] for r in rows})
    cases = CASES + [(f"this lesson's {d} runs", rows, d,
                      "how often is the runs that lost at least one booking over the design's runs")
                     for d in designs]
    for name, table, design, idea in cases:
        expected = share(table, design)
        try:
            got = how_often([dict(r) for r in table], design)
        except Exception as exc:   # the student's code: say what broke, keep the lesson running
            print(f"not yet: on {name}, how_often raised {type(exc).__name__} ({exc}): {idea}")
            return False
        if got is None:
            print("not yet: how_often returns None: give the share of the design's runs in which the race "
                  "lost at least one booking (a number from 0 to 1)")
            return False
        if not isinstance(got, int | float) or isinstance(got, bool):
            print(f"not yet: how_often should return a share (a number from 0 to 1), got {got!r}")
            return False
        if abs(float(got) - expected) > 1e-9:
            print(f"not yet: on {name} your answer is {got:g}, the table's is {expected:g}: {idea}")
            return False
    said = "; ".join(f"{d} in {sum(r['lost'] > 0 for r in rows if r['design'] == d)} of "
                     f"{sum(r['design'] == d for r in rows)} runs" for d in designs)
    print(f"right: on {len(CASES)} made-up tables and on this lesson's runs (the race bit the {said})")
    return True
