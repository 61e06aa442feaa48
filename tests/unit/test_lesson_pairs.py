"""Each lesson is paired with a text file (jupytext, MyST Markdown) so that a change reviews as
a diff; the two sides must say the same: every cell's kind, source and tags."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.config import load_jupytext_config

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def _cells(nb) -> list[tuple[str, str, list[str]]]:
    return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in nb.cells]


def test_every_lesson_has_its_text_file_and_no_text_file_is_orphaned():
    assert len(LESSONS) >= 8
    texts = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.md"))
    assert [p.stem for p in texts] == [p.stem for p in LESSONS]


def test_the_repositorys_jupytext_config_pairs_the_lessons_only():
    config = load_jupytext_config(str(ROOT / "notebooks"))
    assert config is not None, "jupytext.toml is missing"
    for lesson in LESSONS:
        assert "md:myst" in (config.default_formats(str(lesson.relative_to(ROOT))) or "")
    for other in ("README.md", "docs/architecture.md", "notebooks/exercises/student_design.py"):
        assert config.default_formats(other) is None, other


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_a_lesson_and_its_text_file_agree(lesson):
    notebook = nbformat.read(lesson, as_version=4)
    text = jupytext.read(lesson.with_suffix(".md"))
    want, got = _cells(notebook), _cells(text)
    for i, (a, b) in enumerate(zip(want, got, strict=False)):
        assert a == b, (f"{lesson.name} cell {i} differs from {lesson.stem}.md: run "
                        f"`.venv/bin/jupytext --sync {lesson.relative_to(ROOT)}` (the newer side wins)")
    assert len(want) == len(got), f"{lesson.name}: {len(want)} cells, its .md {len(got)}"
