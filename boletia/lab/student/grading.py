"""Grading a class: every submitted `student_design.py` run by otter-grader against the
exercise tests (notebooks/exercises/tests: the practice cases, plus hidden ones), into one
table. Otter-grader was chosen over nbgrader because it grades a plain Python file as well as
a notebook, runs locally without a database or a server (`otter run`), and keeps hidden
tests in the same files students check against (`hidden: True` cases). The lab must be up:
the cases carry the students' writes out on its MongoDB (in a scratch database)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from boletia.lab.errors import LabError

TESTS = Path(__file__).resolve().parents[3] / "notebooks" / "exercises" / "tests"


def otter_test(name: str, exercise: str, points: int = 3) -> dict:
    """One exercise's otter test (OK format): its practice cases (points - 1), then the hidden
    ones (1 point); both run `practice.check` on the student's three functions."""
    setup = (">>> import types\n"
             ">>> from boletia import config\n"
             ">>> from boletia.lab.student import practice\n"
             ">>> mine = types.SimpleNamespace(refund=refund, booking_in=booking_in, "
             "email_ledger=email_ledger)\n")

    def case(hidden: bool, worth: int) -> dict:
        check = (f"practice.check(mine, config.settings(), ({exercise!r},)"
                 + (", hidden=True)" if hidden else ")"))
        return {"hidden": hidden, "locked": False, "points": worth, "code": setup + (
            f">>> failed = [r.case.name for r in {check} if not r.passed]\n>>> failed\n[]\n")}

    return {"name": name, "points": points, "suites": [{
        "type": "doctest", "scored": True, "setup": "", "teardown": "",
        "cases": [case(False, points - 1), case(True, 1)]}]}


def _otter() -> str:
    found = shutil.which("otter", path=str(Path(sys.executable).parent)) or shutil.which("otter")
    if found is None:
        raise LabError("otter-grader is not installed here: run `make lab` (it installs the lab's "
                       "environment), or pip install otter-grader")
    return found


def grade(submissions: Path, out: Path, tests: Path = TESTS) -> list[dict]:
    """Grade every *.py (a student's design) and *.ipynb in `submissions`; write
    `out/grades.csv` and each submission's otter results under `out/<name>/`."""
    files = sorted([*submissions.glob("*.py"), *submissions.glob("*.ipynb")])
    if not files:
        raise LabError(f"no submissions (*.py or *.ipynb) in {submissions}")
    if not tests.is_dir():
        raise LabError(f"no exercise tests at {tests}; grade from a checkout of the lab")
    otter = _otter()
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="boletia-grade-") as tmp:
        zip_path = Path(tmp) / "autograder.zip"
        made = subprocess.run([otter, "generate", "-t", str(tests), "--no-requirements",
                               "--no-environment", "-o", str(zip_path)], capture_output=True,
                              text=True, cwd=tmp, timeout=300)
        if made.returncode != 0:
            raise LabError(f"otter generate failed:\n{made.stderr[-1500:]}")
        for sub in files:
            target = out / sub.stem
            target.mkdir(parents=True, exist_ok=True)
            run = subprocess.run([otter, "run", "--no-logo", "-a", str(zip_path), "-o", str(target),
                                  str(sub)], capture_output=True, text=True, timeout=600)
            rows.append(_row(sub, target / "results.json", run))
    with open(out / "grades.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def _row(sub: Path, results: Path, run: subprocess.CompletedProcess) -> dict:
    row: dict = {"submission": sub.name}
    if not results.exists():
        row.update(total=0.0, possible=0.0, error=(run.stderr or run.stdout)[-300:].strip())
        return row
    data = json.loads(results.read_text())
    total = possible = 0.0
    for t in data.get("tests", []):
        if "max_score" not in t:  # otter's summary of the public tests
            continue
        score, top = float(t.get("score") or 0), float(t["max_score"])
        row[t["name"]] = f"{score:g}/{top:g}"
        total, possible = total + score, possible + top
    row.update(total=total, possible=possible, error="")
    return row
