"""Lesson 05's exercise, checked: the student's `knee(steps)` gives the highest rate a design
sustained on a latency–throughput curve. Judged against the recorded curve and a few made-up
ones, each built so that one misread rule gives a wrong answer; the message names the rule
(losses count, lateness counts, the highest sustained rate), never the code.

The check never raises: an untouched stub or a wrong answer prints "not yet: ..." so the rest
of the lesson still runs; a right one prints "right: ...".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SUSTAINED_P99_MS = 1000.0   # bench.SUSTAINED_P99_S, in ms: the lesson's rule, said in its prose


def steps_of(result: dict) -> dict[str, list[dict]]:
    """A bench result's steps per design, in the shape the exercise hands the student: the
    offered rate, bookings accepted (200), reservations recorded, p99 from the booking's
    planned moment to its reservation (ms)."""
    out: dict[str, list[dict]] = {}
    for s in result["steps"]:
        out.setdefault(s["design"], []).append(
            {"rate": s["rate"], "accepted": s["accepted"], "recorded": s["recorded"],
             "p99_ms": s["to_reservation_ms"]["p99"]})
    return {d: sorted(v, key=lambda s: s["rate"]) for d, v in out.items()}


def _step(rate: float, accepted: int, recorded: int, p99_ms: float | None) -> dict:
    return {"rate": rate, "accepted": accepted, "recorded": recorded, "p99_ms": p99_ms}


# made-up curves, each with the rule it tests and what to say when the answer is wrong
CASES: list[tuple[str, list[dict], float, str]] = [
    ("fast but losing",
     [_step(20, 160, 160, 18), _step(40, 320, 320, 70), _step(80, 640, 635, 62),
      _step(120, 960, 909, 200)], 40,
     "a rate where some accepted bookings never got their reservation is not sustained, however fast "
     "the others were (the seed at 80/s: 5 of 640 lost, p99 62 ms)"),
    ("late but complete",
     [_step(20, 160, 160, 5), _step(40, 320, 320, 17), _step(80, 640, 640, 3450),
      _step(120, 960, 960, 6968)], 40,
     "a rate where every reservation came but the p99 took more than 1 s is not kept up with: the "
     "bookings queue (txn at 80/s: p99 3.5 s)"),
    ("exactly at the limit",
     [_step(20, 160, 160, 90), _step(40, 320, 320, 1000.0), _step(80, 640, 640, 1000.1)], 40,
     "the limit is 'at most 1 s': a p99 of exactly 1000 ms is still sustained, 1000.1 ms is not"),
    ("a dip, then better",
     [_step(20, 160, 160, 30), _step(40, 320, 320, 1200), _step(80, 640, 640, 400),
      _step(120, 960, 960, 2500)], 80,
     "the knee is the HIGHEST sustained rate, not the rate before the first unsustained one (one noisy "
     "step does not end a curve: two in a row do)"),
    ("never sustained",
     [_step(20, 160, 150, 40), _step(40, 320, 300, 80)], 0,
     "a design that sustained no rate has its knee at 0 bookings/s"),
    ("nothing accepted",
     [_step(20, 0, 0, None), _step(40, 320, 320, 50)], 40,
     "a rate where nothing was accepted (every answer an error, no p99) is not sustained"),
]


def check_knee(knee: Callable[[list[dict]], Any], recorded: dict) -> bool:
    """Print "right: ..." or "not yet: ..." for the student's `knee`; True when right.
    `recorded` is the bench result the lesson shows (docs/bench-*.json)."""
    curves = steps_of(recorded)
    # the made-up curves first: each names the rule a wrong answer misread
    cases = CASES + [(f"the recorded {d} curve", steps, recorded["ratios"][d]["highest_sustained_per_s"],
                      "count a rate as sustained only when every accepted booking was recorded and the "
                      "p99 is at most 1 s; the knee is the highest such rate")
                     for d, steps in sorted(curves.items())]
    for name, steps, expected, idea in cases:
        try:
            got = knee([dict(s) for s in steps])
        except Exception as exc:   # the student's code: say what broke, keep the lesson running
            print(f"not yet: on {name}, knee raised {type(exc).__name__} ({exc}): {idea}")
            return False
        if got is None:
            print("not yet: knee returns None: give the highest offered rate at which the design kept "
                  "up (every accepted booking recorded, p99 at most 1 s)")
            return False
        if not isinstance(got, int | float) or isinstance(got, bool):
            print(f"not yet: knee should return a rate (bookings per second), got {got!r}")
            return False
        if float(got) != float(expected):
            print(f"not yet: on {name} your knee is {got:g}/s, the curve's is {expected:g}/s: {idea}")
            return False
    knees = ", ".join(f"{d} {recorded['ratios'][d]['highest_sustained_per_s']:g}/s" for d in sorted(curves))
    print(f"right: your knee agrees with the bench on the recorded curves ({knees}) "
          f"and on {len(CASES)} made-up ones")
    return True
