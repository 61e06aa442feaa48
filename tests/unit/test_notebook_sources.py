"""The lessons as files: each starts with its learning goals, has a papermill parameters
cell, talks to the lab only through the runtime port, and every cell nbval compares also
asserts what it prints (a second run printing the same wrong number must not pass)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_lesson_shape(path):
    nb = cells(path)
    assert nb[0]["cell_type"] == "markdown" and "Learning goals" in "".join(nb[0]["source"])
    params = [c for c in nb if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1 and "runtime" in "".join(params[0]["source"])
    # committed executed, with its reference outputs (issue 26; their cleanliness and freshness
    # are tests/unit/test_references.py's)
    assert any(c.get("outputs") for c in nb if c["cell_type"] == "code"), (
        f"{path.name} has no outputs: run `boletia notebooks refresh {path.stem[:2]}` with the lab up")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_checked_cell_asserts_and_is_tagged_not_commented(path):
    checked = [c for c in cells(path) if "nbval-check-output" in c["metadata"].get("tags", [])]
    assert checked, "a lesson checks at least one result"
    for c in checked:
        src = "".join(c["source"])
        assert re.search(r"^\s*assert ", src, re.M), f"checked cell without assert:\n{src}"
    for c in cells(path):
        assert "NBVAL_CHECK_OUTPUT" not in "".join(c["source"]), "use the cell tag, not a comment"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_lessons_use_the_runtime_port_only(path):
    code = "\n".join("".join(c["source"]) for c in cells(path) if c["cell_type"] == "code")
    for private in ("rt.handle(", "rt.dir", "LocalRuntime", "config.settings()"):
        assert private not in code, f"{private} works on one runtime only; use the port's verbs"
