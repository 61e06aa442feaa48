"""The lessons' reference outputs: the cleaner leaves nothing of one machine or one run, and a
lesson whose code changed since its references were stored is named, with the command to run."""

from __future__ import annotations

import re
from configparser import ConfigParser
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from boletia.lab.notebook import references

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
ROOTS = {"/home/ana/boletia/.lab": "<lab>", "/home/ana/boletia": "<repo>", "/home/ana": "~"}


def _lesson() -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_markdown_cell("# a lesson"),
                             new_code_cell("runtime = 'local'", metadata={"tags": ["parameters"]}),
                             new_code_cell("print(lab)"), new_code_cell("")])
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


def _executed() -> nbformat.NotebookNode:
    """What papermill leaves: an injected cell, its metadata, timings, counts of a long session,
    a path of this machine, a token and a port."""
    nb = _lesson()
    nb.cells.insert(2, new_code_cell("runtime = 'docker'", metadata={"tags": ["injected-parameters"]}))
    nb.metadata["papermill"] = {"input_path": "/home/ana/boletia/notebooks/x.ipynb"}
    for n, cell in enumerate(nb.cells):
        cell["id"] = f"random-{n}"
        cell.metadata["papermill"] = {"duration": 1.5}
        cell.metadata["execution"] = {"iopub.execute_input": "2026-12-05T07:00:00Z"}
        if cell.cell_type == "code":
            cell.execution_count = 40 + n
    nb.cells[3].outputs = [new_output("stream", name="stdout", text=(
        "lab in /home/ana/boletia/.lab, code in /home/ana/boletia/boletia\n"
        "open http://localhost:8888/lab?token=0123456789abcdef\n")),
        new_output("execute_result", data={"text/plain": "'/home/ana/x'"}, execution_count=43)]
    return nb


def test_a_dirty_run_is_seen_dirty():
    found = references.dirt(_executed(), ROOTS)
    assert any("papermill metadata" in f for f in found)
    assert any("injected parameters" in f for f in found)
    assert any("/home/ana" in f for f in found)
    assert any("token" in f for f in found)
    assert any("execution counts" in f for f in found)


def test_the_cleaner_leaves_nothing_of_the_machine_or_the_run():
    lesson, executed = _lesson(), _executed()
    cleaned = references.clean(executed, lesson, ROOTS)
    assert references.dirt(cleaned, ROOTS) == []
    assert [c["id"] for c in cleaned.cells] == [c["id"] for c in lesson.cells]
    assert [c.metadata for c in cleaned.cells] == [c.metadata for c in lesson.cells]
    assert [c.get("execution_count") for c in cleaned.cells] == [None, 1, 2, None]
    text = cleaned.cells[2].outputs[0]["text"]
    assert text == ("lab in <lab>, code in <repo>/boletia\n"
                    "open http://localhost:<port>/lab?token=<token>\n")
    assert cleaned.cells[2].outputs[1]["execution_count"] == 2
    assert cleaned.cells[2].outputs[1]["data"]["text/plain"] == "'~/x'"
    assert not references.is_stale(cleaned)
    nbformat.validate(cleaned)


def test_cleaning_a_run_of_another_notebook_is_refused():
    with pytest.raises(ValueError, match="not a run of this lesson"):
        references.clean(_executed(), new_notebook(cells=[new_code_cell("x")]), ROOTS)


def test_a_code_change_makes_the_references_stale_and_prose_does_not():
    nb = references.clean(_executed(), _lesson(), ROOTS)
    nb.cells[0].source = "# a lesson, reworded"
    assert not references.is_stale(nb)
    nb.cells[2].source = "print(lab.status())"
    assert references.is_stale(nb)


def test_nbvals_sanitizers_scrub_as_the_cleaner_does():
    """nbval applies these to the fresh run: a path or port of another machine compares equal."""
    rules = ConfigParser()
    rules.read_string(references.sanitizers(ROOTS))
    text = "at /home/ana/boletia/.lab and 127.0.0.1:27117, token=abcdef123456"
    out = text
    for section in rules.sections():
        out = re.sub(rules[section]["regex"], rules[section]["replace"], out)
    assert out == references.scrub_text(text, ROOTS) == "at <lab> and 127.0.0.1:<port>, token=<token>"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_a_lessons_reference_outputs_were_refreshed_after_its_code_changed(lesson):
    nb = nbformat.read(lesson, as_version=4)
    assert references.stored_hash(nb) is not None, (
        f"{lesson.name} has no stored reference outputs: run `boletia notebooks refresh "
        f"{lesson.stem[:2]}` with the lab up, and commit the lesson")
    assert not references.is_stale(nb), (
        f"{lesson.name}: its code changed since its reference outputs were stored; run "
        f"`boletia notebooks refresh {lesson.stem[:2]}` with the lab up, and commit the lesson")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_a_lessons_stored_outputs_are_clean(lesson):
    roots = references.machine_roots(ROOT, ROOT / ".lab")
    assert references.dirt(nbformat.read(lesson, as_version=4), roots) == []


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_cell_nbval_does_not_compare_says_why(lesson):
    """nbval runs strict: a cell is compared unless tagged nbval-ignore-output, and each such
    tag carries its reason (ids, timings, plots...) in the cell's metadata."""
    nb = nbformat.read(lesson, as_version=4)
    silent = [i for i, c in enumerate(nb.cells) if "nbval-ignore-output" in c.metadata.get("tags", [])
              and not c.metadata.get("nbval-ignore-reason")]
    assert not silent, (f"{lesson.name}: cells {silent} are tagged nbval-ignore-output without a "
                        "'nbval-ignore-reason' in their metadata: say why their output varies")
