"""Level "consumer loop" on the real lab: the student's loop class runs in place of the lab's
own for group notificaciones, and the scenarios of its failure modes judge it. The reference
(instructor/consumer_loop.py) is clean under each; the stub (the seed's loop) is caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from boletia.lab.experiments import chaos
from boletia.lab.student import alone

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
STUB = ROOT / "notebooks" / "exercises" / "consumer_loop.py"
REFERENCE = ROOT / "instructor" / "consumer_loop.py"
SCENARIOS = ("notification-redelivery", "broker-kill", "poison-message")


def run_level(lab, loop: Path, scenarios, folder: Path) -> dict[str, dict]:
    lab.set_design("student", student_module=alone.loop_design_file(loop, folder / "design.py"))
    try:
        return {name: chaos.run(name, "student", seed=7, rt=lab) for name in scenarios}
    finally:
        lab.set_design("fixed")


def test_the_reference_loop_is_clean_under_every_scenario_of_its_level(lab, tmp_path):
    runs = run_level(lab, REFERENCE, SCENARIOS, tmp_path)
    assert "running the student's ConsumerLoop" in lab.logs("notificaciones", 0)
    for name, r in runs.items():
        assert r["verdict"] == "clean", (name, r["examples"], r["inconclusive"], r["evidence"])


def test_the_stub_loop_is_caught(lab, tmp_path):
    runs = run_level(lab, STUB, ("notification-redelivery", "poison-message"), tmp_path)
    # committed before the work: the messages polled with the one it crashed on are never sent
    assert "email-missing" in runs["notification-redelivery"]["examples"], runs["notification-redelivery"]
    # skipped without a trace: the poison never reached the dead-letter topic
    assert "poison-dead-lettered" in runs["poison-message"]["examples"], runs["poison-message"]


def test_the_grader_grades_the_loop_level_by_cases_and_verdicts(lab, tmp_path):
    """Three made-up submissions, one chaos seed: the reference full marks, the stub 0, the
    half right one (poison retried forever) loses the poison part only."""
    import csv
    import subprocess
    import sys

    subs = tmp_path / "subs"
    for name, text in (("ref", REFERENCE.read_text()), ("stub", STUB.read_text()),
                       ("half", REFERENCE.read_text().replace("except PermanentFailure as exc:",
                                                              "except ZeroDivisionError as exc:"))):
        (subs / name).mkdir(parents=True)
        (subs / name / "consumer_loop.py").write_text(text)
    boletia = str(Path(sys.executable).parent / "boletia")
    out = subprocess.run([boletia, "grade", str(subs), "--out", str(tmp_path / "grades"), "--seeds",
                          "1", "--seed", "11", "--levels", "loop"], capture_output=True, text=True,
                         timeout=1500)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    rows = {r["submission"]: r for r in csv.DictReader(open(tmp_path / "grades" / "grades.csv"))}
    parts = ("loop_commit", "loop_retry", "loop_poison", "total", "possible")
    table = {name: tuple(r[p] for p in parts) for name, r in rows.items()}
    # loop_commit: 1 case + 2 (one seed); loop_retry: 2 + 2; loop_poison: 1 + 2
    assert table == {"ref": ("3", "4", "3", "10", "10"), "stub": ("0", "0", "0", "0", "10"),
                     "half": ("3", "4", "0", "7", "10")}, out.stdout
