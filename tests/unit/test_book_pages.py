"""The book's page-making without a build: where the run note goes, what the index lists."""

from __future__ import annotations

import nbformat

from boletia.lab import book


def lesson(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(s) for s in sources]
    nb.cells.append(nbformat.v4.new_code_cell("print(1)"))
    return nb


def test_the_run_note_sits_under_the_title_and_its_time_before_the_goals():
    nb = book.with_run_note(lesson("# 03 · Booking\n\n*About 20 minutes.*\n\n**Learning goals**\n\n1. x"),
                            "03-booking.ipynb", "en")
    text = nb.cells[0].source
    title, _ = book.RUN_IT["en"]
    assert text.index("*About 20 minutes.*") < text.index(title) < text.index("**Learning goals**")
    assert "notebooks/03-booking.ipynb" in text and len(nb.cells) == 2


def test_a_lesson_without_a_title_gets_the_note_as_its_first_cell():
    nb = book.with_run_note(lesson("Some prose"), "x.ipynb", "es")
    assert book.RUN_IT["es"][0] in nb.cells[0].source and nb.cells[1].source == "Some prose"


def test_the_index_lists_every_lesson_and_doc_in_order():
    page = book.index_page("en", ["00-a", "01-b"])
    assert page.index("lessons/00-a") < page.index("lessons/01-b") < page.index("docs/architecture")
    assert all(f"docs/{d}" in page for d in book.DOCS)
    assert page.count("{toctree}") == 2
