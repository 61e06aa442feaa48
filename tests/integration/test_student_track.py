"""The student track against the real lab: the practice cases judge the reference solution
and the untouched stubs, the grader grades a folder of designs, and a lesson runs as a
papermill batch over a grid."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from boletia.designs import student
from boletia.lab.student import practice, solution

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
STUBS = ROOT / "notebooks" / "exercises" / "student_design.py"
BOLETIA = str(Path(sys.executable).parent / "boletia")


def test_the_reference_passes_every_case_and_the_stubs_fail_the_key_ones(lab):
    assert all(r.passed for r in practice.check(solution, lab.settings, hidden=True))
    stubs = {r.case.name: r.passed for r in practice.check(student.load(STUBS), lab.settings, hidden=True)}
    for key in ("a redelivered cancel gives nothing back twice", "a booking is read as that write made it",
                "a redelivery after the email sends nothing"):
        assert stubs[key] is False, key


def test_the_grader_grades_a_folder_of_designs(lab, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(STUBS, subs / "ana.py")
    shutil.copy(ROOT / "boletia" / "lab" / "student" / "solution.py", subs / "luis.py")
    out = subprocess.run([BOLETIA, "grade", str(subs), "--out", str(tmp_path / "grades")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    rows = {r["submission"]: r for r in csv.DictReader(open(tmp_path / "grades" / "grades.csv"))}
    assert rows["luis.py"]["total"] == "9.0" and rows["ana.py"]["total"] == "0.0"
    assert rows["luis.py"]["q2_booking_in"] == "3/3"


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
