"""Level "connector" on the real lab: the student's source connector configuration registered
through Connect's REST API beside the fixed design's, compared on a scratch database; graded by
`boletia grade --levels connector` on writes drawn from the instructor's folder. One lab, three
made-up submissions, no chaos seed here (kept under two minutes: 45 s on lane 6): the level's
scenario judges the stub (caught) and the reference (clean) in notebook 06's two runs, with the
same install. With `--seeds 1` the table was ref 7+4 = 11/11, stub 0/11 (its cases fail before any
scenario), half 7+0 = 7/11: measured once on lane 6, 116 s for this file, too long to keep here."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from boletia.lab.student import connector

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
STUB = ROOT / "notebooks" / "exercises" / "inventory_connector.json"
REFERENCE = ROOT / "instructor" / "connector.json"


def half_right() -> str:
    """The change events right, the key forgotten (a guard of the scope part): the events
    part full marks, the scope part none."""
    spec = json.loads(REFERENCE.read_text())
    spec["config"]["change.stream.document.key.as.key"] = "false"
    return json.dumps(spec, indent=2)


def test_the_reference_gets_what_the_fixed_design_gets_and_the_stub_no_key_case(lab):
    ref, seen = connector.judge(REFERENCE, lab.settings)
    assert all(r.passed for r in ref), [(r.case.name, r.detail) for r in ref if not r.passed]
    assert connector.diff(seen) == []
    stub, seen = connector.judge(STUB, lab.settings)
    assert [r.case.name for r in stub if r.case.key and r.passed] == []
    # the stub publishes the document alone, and the other collections too
    assert not any("operationType" in e for e in seen.student["inventario"])
    assert seen.student["eventos"] and seen.student["reservas"]
    assert any("your topic got the document alone" in line for line in connector.diff(seen))
    assert lab.design() == "fixed"


def test_the_grader_grades_the_connector_level_by_cases_and_a_verdict(lab, tmp_path):
    subs = tmp_path / "subs"
    for name, text in (("ref", REFERENCE.read_text()), ("stub", STUB.read_text()),
                       ("half", half_right())):
        (subs / name).mkdir(parents=True)
        (subs / name / "inventory_connector.json").write_text(text)
    boletia = str(Path(sys.executable).parent / "boletia")
    out = subprocess.run([boletia, "grade", str(subs), "--out", str(tmp_path / "grades"), "--seeds",
                          "0", "--seed", "11", "--levels", "connector"], capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    rows = {r["submission"]: r for r in csv.DictReader(open(tmp_path / "grades" / "grades.csv"))}
    parts = ("connector_events", "connector_scope", "total", "possible")
    table = {name: tuple(r[p] for p in parts) for name, r in rows.items()}
    # connector_events: 5 key cases; connector_scope: 2 (no seed: no scenario points)
    assert table == {"ref": ("5", "2", "7", "7"), "stub": ("0", "0", "0", "7"),
                     "half": ("5", "0", "5", "7")}, out.stdout
    report = (tmp_path / "grades" / "stub" / "report.md").read_text()
    assert "case: the topic gets change events — publish.full.document.only is 'true'" in report
    assert lab.design() == "fixed"
