"""The exercise checks of lessons 05, 07 and 08: the instructor's answer passes; the untouched stub
and each wrong idea fail with a message about the idea, without raising (the lesson runs on)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from boletia.lab.exercises import lesson05, lesson07
from boletia.lab.notebook import curves

ROOT = Path(__file__).resolve().parents[2]


def instructor(name: str):
    spec = importlib.util.spec_from_file_location(f"instructor_{name}", ROOT / "instructor" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- lesson 05: the knee of a curve ----------------------------------------------------------

def test_05_the_instructors_knee_is_right(capsys):
    assert lesson05.check_knee(instructor("lesson05").knee, curves.load())
    said = capsys.readouterr().out
    assert said.startswith("right:") and "fixed 240/s" in said and "txn 40/s" in said


def test_05_the_untouched_stub_is_not_yet_done(capsys):
    def knee(steps):
        return None   # the lesson's stub

    assert not lesson05.check_knee(knee, curves.load())
    assert capsys.readouterr().out.startswith("not yet: knee returns None")


def test_05_latency_alone_misses_the_lost_bookings(capsys):
    def knee(steps):
        return max((s["rate"] for s in steps if s["p99_ms"] is not None and s["p99_ms"] <= 1000), default=0)

    assert not lesson05.check_knee(knee, curves.load())
    said = capsys.readouterr().out
    assert said.startswith("not yet: on fast but losing") and "never got their reservation" in said


def test_05_losses_alone_miss_the_queueing(capsys):
    def knee(steps):
        return max((s["rate"] for s in steps if s["accepted"] and s["recorded"] == s["accepted"]), default=0)

    assert not lesson05.check_knee(knee, curves.load())
    assert "more than 1 s" in capsys.readouterr().out


def test_05_stopping_at_the_first_unsustained_rate_is_not_the_knee(capsys):
    def knee(steps):
        best = 0
        for s in steps:
            if not (s["accepted"] and s["recorded"] == s["accepted"] and s["p99_ms"] is not None
                    and s["p99_ms"] <= 1000):
                break
            best = s["rate"]
        return best

    assert not lesson05.check_knee(knee, curves.load())
    assert "HIGHEST sustained rate" in capsys.readouterr().out


def test_05_a_crash_in_the_students_code_is_reported_not_raised(capsys):
    def knee(steps):
        return max(s["rate"] for s in steps if s["recorded"] == s["accepted"] and s["p99_ms"] <= 1000)

    assert not lesson05.check_knee(knee, curves.load())
    said = capsys.readouterr().out
    assert said.startswith("not yet:") and "raised" in said


# --- lesson 07: how often the race bites ------------------------------------------------------

ROWS = [{"design": d, "seed": s, "answered": 30, "booked": 30, "lost": (s * 3) % 5 if d == "seed" else 0,
         "verdict": "violated" if d == "seed" and (s * 3) % 5 else "clean", "other violations": {}}
        for d in ("seed", "fixed") for s in range(1, 6)]


def test_07_the_instructors_statistic_is_right(capsys):
    assert lesson07.check_how_often(instructor("lesson07").how_often, ROWS)
    said = capsys.readouterr().out
    assert said.startswith("right:") and "seed in 4 of 5 runs" in said and "fixed in 0 of 5 runs" in said


def test_07_the_untouched_stub_is_not_yet_done(capsys):
    def how_often(rows, design):
        return None   # the lesson's stub

    assert not lesson07.check_how_often(how_often, ROWS)
    assert capsys.readouterr().out.startswith("not yet: how_often returns None")


def test_07_how_badly_is_not_how_often(capsys):
    def how_often(rows, design):
        mine = [r for r in rows if r["design"] == design]
        return sum(r["lost"] for r in mine) / sum(r["booked"] for r in mine)

    assert not lesson07.check_how_often(how_often, ROWS)
    said = capsys.readouterr().out
    assert "share of the RUNS" in said and "how badly" in said


def test_07_a_count_of_runs_is_not_a_share(capsys):
    def how_often(rows, design):
        return sum(r["lost"] > 0 for r in rows if r["design"] == design)

    assert not lesson07.check_how_often(how_often, ROWS)
    assert "share of the RUNS" in capsys.readouterr().out


def test_07_every_row_instead_of_the_designs_runs(capsys):
    def how_often(rows, design):
        return sum(r["lost"] > 0 for r in rows) / len(rows)

    assert not lesson07.check_how_often(how_often, ROWS)
    assert "only the runs of the design" in capsys.readouterr().out


def test_07_the_verdict_is_not_the_lost_booking(capsys):
    def how_often(rows, design):
        mine = [r for r in rows if r["design"] == design]
        return sum(r["verdict"] == "violated" for r in mine) / len(mine)

    assert not lesson07.check_how_often(how_often, ROWS)
    assert "a booking is lost" in capsys.readouterr().out


# --- lesson 08: the autoscaler's rule --------------------------------------------------------

def test_08_the_instructors_rule_is_right(capsys):
    from boletia.lab.exercises import lesson08

    assert lesson08.check_wanted(instructor("lesson08").members_wanted)
    assert capsys.readouterr().out.startswith("right:")


def test_08_the_stub_and_each_misread_rule_are_not_yet_done(capsys):
    import math

    from boletia.lab.exercises import lesson08

    wrong = {
        "floor": lambda lag, t, p, m: max(1, min(lag // t, p, m)),
        "no partition cap": lambda lag, t, p, m: max(1, min(math.ceil(lag / t), m)),
        "no most": lambda lag, t, p, m: max(1, min(math.ceil(lag / t), p)),
        "zero when idle": lambda lag, t, p, m: min(math.ceil(lag / t), p, m),
        "stub": lambda lag, t, p, m: None,
        "raises": lambda lag, t, p, m: 1 / 0,
        "a float": lambda lag, t, p, m: lag / t,
    }
    for name, rule in wrong.items():
        assert not lesson08.check_wanted(rule), name
        assert capsys.readouterr().out.startswith("not yet:"), name
