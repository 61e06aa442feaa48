"""Level 4, the nemesis, on the real lab: `boletia grade --levels nemesis` carries out a
submission's steps under load on the fixed design (the run must end clean: the invariant, called
through the sandbox at the end of the run, raises no false alarm) and on the instructor's broken
designs (each run must end violated). One chaos seed: the reference full marks, the stub none
(its cases fail first: no run), so three runs in all."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
STUB = ROOT / "notebooks" / "exercises" / "nemesis.py"
REFERENCE = ROOT / "instructor" / "nemesis.py"


def test_the_grader_runs_a_nemesis_clean_on_the_fixed_design_and_violated_on_each_broken_one(lab, tmp_path):
    subs = tmp_path / "subs"
    for name, text in (("ref", REFERENCE.read_text()), ("stub", STUB.read_text())):
        (subs / name).mkdir(parents=True)
        (subs / name / "nemesis.py").write_text(text)
    boletia = str(Path(sys.executable).parent / "boletia")
    out = subprocess.run([boletia, "grade", str(subs), "--out", str(tmp_path / "grades"), "--seeds",
                          "1", "--seed", "11", "--levels", "nemesis"], capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    rows = {r["submission"]: r for r in csv.DictReader(open(tmp_path / "grades" / "grades.csv"))}
    parts = ("nemesis_invariant", "nemesis_catch_1", "nemesis_catch_2", "total", "possible")
    table = {name: tuple(r[p] for p in parts) for name, r in rows.items()}
    assert table == {"ref": ("9", "3", "3", "15", "15"), "stub": ("0", "0", "0", "0", "15")}, \
        (table, (tmp_path / "grades" / "ref" / "report.md").read_text())
    said = out.stdout + out.stderr   # the progress lines go to stderr
    assert "(seed" in said and " clean" in said and said.count("caught it") == 2, said
    assert lab.design() == "fixed"
