"""The Spanish edition of the course, kept from the English source through gettext catalogues."""

import json
import shutil

import nbformat
import pytest

from boletia.lab.i18n import editions


def test_every_passage_of_every_lesson_and_doc_is_translated():
    """No lesson or doc shows English in the Spanish edition: no msgid missing, untranslated or
    fuzzy (after an English edit: `python -m boletia.lab.i18n extract`, translate, commit)."""
    gaps = editions.missing("es")
    assert not gaps, {name: [m[:80] for m in msgids] for name, msgids in gaps.items()}


@pytest.mark.parametrize("lesson", editions.lessons(), ids=lambda p: p.stem)
def test_the_edition_keeps_code_cells_and_outputs_byte_identical(lesson):
    """Rendering es changes prose only: every code cell (source, outputs, metadata, id) is the
    English one byte for byte, so one execution of a lesson serves both editions (its reference
    outputs and the nbval run of the English notebook hold for the Spanish one)."""
    english = nbformat.read(lesson, as_version=4)
    spanish = editions.render("es", lesson)
    assert len(spanish.cells) == len(english.cells)
    for en, es in zip(english.cells, spanish.cells, strict=True):
        assert en.cell_type == es.cell_type and en.get("id") == es.get("id")
        if en.cell_type == "code":
            assert json.dumps(es, sort_keys=True) == json.dumps(en, sort_keys=True)
    translated = [es for en, es in zip(english.cells, spanish.cells, strict=True)
                  if en.cell_type == "markdown" and en.source != es.source]
    assert translated, "no markdown cell was translated"
    assert spanish.metadata["language"] == "es"


@pytest.mark.parametrize("lesson", editions.lessons(), ids=lambda p: p.stem)
def test_the_edition_is_a_valid_notebook(lesson):
    nbformat.validate(editions.render("es", lesson))


def test_a_stale_catalogue_is_reported_by_missing(tmp_path, monkeypatch):
    """An English cell edited after the catalogue was made shows up in missing(), and extract()
    keeps its old translation, marked fuzzy, for the translator to review."""
    lesson = editions.lessons()[0]
    nb = nbformat.read(lesson, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown")
    cell.source += "\n\nOne more sentence, added after the catalogue was made."
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(nb, notebooks / lesson.name)
    shutil.copytree(editions.NOTEBOOKS / "locale", notebooks / "locale")
    monkeypatch.setattr(editions, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(editions.config, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(editions, "DOCS", {})

    assert editions.missing("es") == {lesson.stem: [cell.source]}
    editions.extract(["es"], [lesson.stem])
    message = editions.read_catalogue("es", lesson.stem).get(cell.source)
    assert message is not None and message.fuzzy and message.string
    assert editions.missing("es") == {lesson.stem: [cell.source]}
    assert editions.render("es", notebooks / lesson.name).cells[nb.cells.index(cell)].source == cell.source


def test_the_committed_doc_editions_are_rendered_from_their_catalogues():
    """docs/locale/es/*.md are generated, never edited: `python -m boletia.lab.i18n docs`."""
    for name in editions.DOCS:
        path = editions.doc_edition_path("es", name)
        assert path.read_text(encoding="utf-8") == editions.render_doc("es", name), path


def test_doc_blocks_keep_fenced_code_whole_and_untranslated():
    text = "Intro line\nsecond line\n\n```bash\nmake lab\n\nmake test\n```\n\n![](a.png)\n\n- one\n- two\n"
    blocks = editions._blocks(text)
    assert blocks == ["Intro line\nsecond line", "```bash\nmake lab\n\nmake test\n```", "![](a.png)",
                      "- one\n- two"]
    assert [editions._translatable(b) for b in blocks] == [True, False, False, True]
    assert editions._translatable("![the control room](docs/images/control-room.png)")


def test_the_render_verb_writes_every_lesson_of_the_edition(tmp_path):
    from typer.testing import CliRunner

    from boletia.cli import app

    result = CliRunner().invoke(app, ["notebooks", "render", "--lang", "es", str(tmp_path / "es")])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "es").glob("*.ipynb"))
    assert written == [p.name for p in editions.lessons()]
    assert nbformat.read(tmp_path / "es" / written[0], as_version=4).metadata["language"] == "es"
    refused = CliRunner().invoke(app, ["notebooks", "render", "--lang", "fr", str(tmp_path / "fr")])
    assert refused.exit_code != 0 and "the editions are es" in refused.output


def test_the_students_copy_keeps_their_edits_and_runs_beside_the_same_files(tmp_path):
    """`boletia notebooks --lang es` renders at every start: a lesson the student changed (their
    predictions) is kept, an untouched one is refreshed; exercises/ is the repository's own."""
    dest = tmp_path / "edition-es" / "notebooks"
    written, kept = editions.write_edition("es", dest, runnable=True)
    assert len(written) == len(editions.lessons()) and not kept
    edited, untouched = written[0], written[1]
    nb = nbformat.read(edited, as_version=4)
    nb.cells[0].source += "\n\nmi predicción"
    nbformat.write(nb, edited)
    untouched.write_text(untouched.read_text().replace("\n", "\n", 1))  # rewritten, same text

    written, kept = editions.write_edition("es", dest, runnable=True)
    assert kept == [edited] and untouched in written
    assert "mi predicción" in edited.read_text()
    assert (dest / "exercises").resolve() == (editions.NOTEBOOKS / "exercises").resolve()
    assert (dest.parent / "connect").resolve() == (editions.config.REPO_ROOT / "connect").resolve()


def test_an_unknown_language_says_which_exist():
    with pytest.raises(ValueError, match="the editions are es"):
        editions.missing("fr")
