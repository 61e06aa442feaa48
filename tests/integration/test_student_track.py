"""The student track against the real lab: the practice cases judge the reference solution
and the untouched stubs, the grader grades a folder of designs (each in a sandbox, with its
chaos scenarios on the real lab), and a lesson runs as a papermill batch over a grid."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from boletia.lab.student import alone, grading, practice

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
STUBS = ROOT / "notebooks" / "exercises" / "student_design.py"
SOLUTION = ROOT / "instructor" / "solution.py"
BOLETIA = str(Path(sys.executable).parent / "boletia")


def test_the_reference_passes_every_case_and_the_stubs_fail_every_key_case(lab):
    every = grading.DECISIONS.cases(grading.INSTRUCTOR, 11)
    assert all(r.passed for r in practice.check(SOLUTION, lab.settings, cases=every))
    # the fixed design's three, which a part judged alone runs beside the student's function
    assert all(r.passed for r in practice.check(alone, lab.settings, cases=every))
    stubs = practice.check(STUBS, lab.settings, cases=every)
    assert not [r.case.name for r in stubs if r.case.key and r.passed]
    assert all(r.passed for r in stubs if not r.case.key)   # guards: the seed's ordinary behaviour


def half_right() -> str:
    """The reference's refund, the stubs' booking_in and email_ledger."""
    mine = STUBS.read_text()
    ref = SOLUTION.read_text()
    refund = ref[ref.index("def refund("):ref.index("def booking_in(")]
    return mine.replace(mine[mine.index("def refund("):mine.index("# ------", mine.index("def refund("))],
                        refund + "\n")


def test_the_grader_grades_a_folder_of_designs_by_cases_and_verdicts(lab, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ana.py").write_text(STUBS.read_text())
    (subs / "luis.py").write_text(SOLUTION.read_text())
    (subs / "marta.py").write_text(half_right())
    (subs / "zoe.py").write_text(STUBS.read_text() + "\ndef booking_in(change):\n"
                                 "    return open('/root/.bashrc').read()\n")
    out = subprocess.run([BOLETIA, "grade", str(subs), "--out", str(tmp_path / "grades"), "--seeds", "1",
                          "--seed", "11", "--levels", "decisions"], capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    rows = {r["submission"]: r for r in csv.DictReader(open(tmp_path / "grades" / "grades.csv"))}
    parts = ("refund", "booking_in", "email_ledger", "total", "possible")
    table = {name: tuple(r[p] for p in parts) for name, r in rows.items()}
    # refund: 3 key cases + 2 (one seed); booking_in: 5 + 2; email_ledger: 2 + 2
    assert table == {"luis.py": ("5", "7", "4", "16", "16"), "ana.py": ("0", "0", "0", "0", "16"),
                     "marta.py": ("5", "0", "0", "5", "16"), "zoe.py": ("0", "0", "0", "0", "16")}, out.stdout
    assert "FileNotFoundError" in rows["zoe.py"]["notes"] and not rows["luis.py"]["notes"]
    report = (tmp_path / "grades" / "marta" / "report.md").read_text()
    assert "consumer-crash-before-commit" not in report   # it ran, and held
    assert "scenarios: not run (the cases fail first)" in report
    assert "case: a booking is read as that write made it — a change that booked R1" in report
    assert lab.design() == "fixed"


def test_the_leaderboard_measures_a_design_through_its_sandbox_and_puts_the_lab_back(lab, tmp_path):
    """The column beside the grade, on the real lab: the reference's three decisions, called
    through the sandbox by the consumers, under the open-loop benchmark at a low rate. Whether
    5/s is sustained is the machine's business (no timed assertion); that its bookings were
    measured to their reservations, and the lab's design restored, is the grader's."""
    found = lab.design()
    (tmp_path / "sub").mkdir()
    own = tmp_path / "sub" / "student_design.py"
    own.write_text(SOLUTION.read_text())
    board = grading.leaderboard(lab, own, tmp_path / "folder", rates=(5.0,), seconds=3.0,
                                report=print)
    assert [rate for rate, _, _ in board.steps] == [5.0], board.steps
    assert board.steps[0][2] is not None, board.said()   # reservations written and timed
    assert "bookings/s" in board.said() or "sustains none" in board.said()
    assert lab.design() == (found if found != "student" else "fixed")


def test_a_lesson_runs_as_a_batch_over_a_grid(lab, tmp_path):
    out = subprocess.run([BOLETIA, "notebooks", "run", str(ROOT / "notebooks" / "07-race-statistics.ipynb"),
                          "--grid", "design=seed,fixed", "--grid", "seed=3", "--out", str(tmp_path),
                          "--plot", "seed:lost:design"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert [(r["design"], r["seed"], r["status"]) for r in rows] == [("seed", "3", "ok"),
                                                                     ("fixed", "3", "ok")]
    assert next(r for r in rows if r["design"] == "fixed")["lost"] == "0"
    assert (tmp_path / "results.png").stat().st_size > 1000
    assert len(list(tmp_path.glob("07-race-statistics-*.ipynb"))) == 2  # every executed copy kept
    assert lab.design() == "fixed"
