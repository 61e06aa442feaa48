"""The README as a newcomer reads it: rendered, not grepped. One screen to start, a lessons table
that renders as one table with a row per lesson, links that resolve, commands that exist, and no
promise of a lesson that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def tables(markdown: str) -> list[list[list[str]]]:
    """Every table as rendered (GitHub's table extension), as rows of cell texts; header row first."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    found, rows, row, in_table = [], [], None, False
    for tok in tokens:
        if tok.type == "table_open":
            in_table, rows = True, []
        elif tok.type == "table_close":
            in_table = False
            found.append(rows)
        elif in_table and tok.type == "tr_open":
            row = []
        elif in_table and tok.type == "tr_close":
            rows.append(row)
        elif in_table and tok.type == "inline":
            row.append(tok.content)
    return found


def lessons_table(markdown: str) -> list[list[str]]:
    [table] = [t for t in tables(markdown) if t and t[0][:1] == ["notebook"]]
    return table


HEADER = ["notebook", "in class", "runs in", "a student learns"]


def test_the_start_fits_on_one_screen():
    """What it is, the two commands, the picture, where the lessons and the book are."""
    first = "\n".join(README.splitlines()[:40])
    assert "make lab" in first and "make test" in first
    assert "docs/architecture.md" in first and "notebooks/" in first
    assert "![" in first and "make book" in first and "build/book/html" in first


def test_the_lessons_table_renders_with_its_columns_and_a_row_per_lesson():
    """Its time in class and its run time are columns of their own (a figure, or — if none yet)."""
    table = lessons_table(README)
    assert table[0] == HEADER
    body = table[1:]
    assert all(len(row) == len(HEADER) and all(cell.strip() for cell in row) for row in body), body
    assert all(re.search(r"\d+ min", row[1]) for row in body), body
    assert [row[0].strip("`") for row in body] == LESSONS


def test_a_broken_table_is_caught():
    """The check itself, on the README's old defect: a second header row inside the table."""
    header = "| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n"
    assert header in README
    broken = README.replace(header, "| notebook | a student learns |\n|---|---|\n" + header, 1)
    assert lessons_table(broken)[0] != HEADER


def test_every_relative_link_and_picture_resolves():
    targets = re.findall(r"\]\(([^)#\s]+)", README)
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    assert local, "the README links to its docs and pictures"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, missing


def test_no_measurement_log_in_the_readme():
    """Figures live in docs/benchmarks.md with their dates and commands, not as a diary here."""
    for diary in ("this wave", "previous session", "this session", "Measured here"):
        assert diary not in README, diary
    assert "docs/benchmarks.md" in README


def test_no_promise_of_a_lesson_that_does_not_exist():
    text = README + "".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    assert "failover lesson" not in text


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_anchor_names_a_heading():
    headings = {slug(h) for h in re.findall(r"^#+ (.+)$", README, flags=re.M)}
    anchors = re.findall(r"\]\(#([^)]+)\)", README)
    assert anchors and not [a for a in anchors if a not in headings], (anchors, headings)


def test_every_make_target_the_readme_names_exists():
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), flags=re.M))
    named = set(re.findall(r"`make ([a-z][\w-]*)", README)) | set(
        re.findall(r"^make ([a-z][\w-]*)", README, flags=re.M))
    assert {"lab", "test", "book"} <= named
    assert named <= targets, named - targets


def cli_commands() -> dict[str, set[str]]:
    """Each `boletia` command, with its subcommands when it is a group."""
    from boletia.cli import app

    root = typer.main.get_command(app)
    return {name: set(getattr(cmd, "commands", {})) for name, cmd in root.commands.items()}


def unknown_commands(markdown: str) -> list[str]:
    """The `boletia VERB [SUB]` that a text's code (spans and blocks) names and the CLI lacks."""
    commands, wrong = cli_commands(), []
    code = "\n".join(re.findall(r"```.*?```|`[^`\n]+`", markdown, flags=re.S))
    for verb, sub in re.findall(r"\bboletia ([a-z][\w-]*)(?: ([a-z][\w-]*))?", code):
        if verb not in commands:
            wrong.append(verb)
        elif commands[verb] and sub and sub not in commands[verb]:
            wrong.append(f"{verb} {sub}")
    return wrong


def test_every_command_the_readme_names_exists():
    assert unknown_commands(README) == []


def test_a_command_that_does_not_exist_is_caught():
    assert unknown_commands("run `boletia lab failover mongo`, then `boletia teach`") == [
        "lab failover", "teach"]
