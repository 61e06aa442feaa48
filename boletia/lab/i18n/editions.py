"""The course's editions in other languages, kept from one source: the English lessons and docs.

A lesson's prose is translated through a gettext catalogue per lesson and language
(notebooks/locale/<lang>/LC_MESSAGES/<lesson>.po); its code cells and stored outputs are never
copied by hand, so the editions cannot drift: one execution serves every edition.

The unit of translation (a msgid) is one markdown cell of a lesson: a cell is the unit the
notebook renders and the lesson's author edits, Markdown structure (lists, tables, fenced
blocks) never straddles cells, and cells are short (about 700 characters), so an edited cell
costs one short paragraph or two of re-translation. In a markdown doc (the instructor guide,
the README's first part) the unit is a block between blank lines, fenced code kept whole and
left untranslated (commands are the same in every language).

`extract()` brings the catalogues up to date with the English sources (babel's update: a
changed unit keeps its old translation marked fuzzy, a removed one becomes obsolete);
`missing()` names what is untranslated, fuzzy or absent from a catalogue; `render()` and
`render_doc()` produce an edition, falling back to English wherever a translation is missing.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path

import nbformat
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from boletia import config

LANGUAGES = ("es",)
NOTEBOOKS = config.REPO_ROOT / "notebooks"
DOCS_LOCALE = config.REPO_ROOT / "docs" / "locale"
# markdown docs with an edition: name -> source (the README only up to its second section)
DOCS = {"instructor-guide": config.REPO_ROOT / "docs" / "instructor-guide.md",
        "README": config.REPO_ROOT / "README.md"}
TITLE = "metadata.title"  # msgctxt of a lesson's title (its notebook metadata)
_FENCE = re.compile(r"^(```|~~~)")


def lessons() -> list[Path]:
    """The English lessons, in course order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def catalogue_path(lang: str, name: str) -> Path:
    """Where the catalogue of a lesson (notebook stem) or a doc (a key of DOCS) lives."""
    root = DOCS_LOCALE if name in DOCS else NOTEBOOKS / "locale"
    return root / lang / "LC_MESSAGES" / f"{name}.po"


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"no '{lang}' edition: the editions are {', '.join(LANGUAGES)} "
                         "(English is the source)")


# ----- units: what is translated -------------------------------------------------------------

def _notebook_units(nb: nbformat.NotebookNode) -> list[tuple[str, str | None, int]]:
    """(msgid, msgctxt, where) of a lesson: its title, then each non-empty markdown cell."""
    units: list[tuple[str, str | None, int]] = []
    title = nb.metadata.get("title")
    if title:
        units.append((title, TITLE, 0))
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.strip():
            units.append((cell.source, None, index))
    return units


def _blocks(text: str) -> list[str]:
    """A markdown text as blocks between blank lines; a fenced block is one block, blank lines
    and all. Joining the blocks with blank lines gives the text back (modulo extra blank lines)."""
    blocks: list[str] = []
    current: list[str] = []
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _translatable(block: str) -> bool:
    """A block with words to translate (a picture's alt text counts): not a fenced block, a rule
    or code alone."""
    if _FENCE.match(block.strip()):
        return False
    return bool(re.search(r"[A-Za-z]{2}", re.sub(r"\]\([^)]*\)|`[^`]*`", "", block)))


def doc_source(name: str) -> str:
    """The English text of a doc that has an edition: the README only up to its second `## `."""
    text = DOCS[name].read_text(encoding="utf-8")
    if name == "README":
        starts = [m.start() for m in re.finditer(r"^## ", text, flags=re.M)]
        if len(starts) > 1:
            text = text[:starts[1]]
    return text


def _doc_units(name: str) -> list[tuple[str, str | None, int]]:
    return [(block, None, index) for index, block in enumerate(_blocks(doc_source(name)))
            if _translatable(block)]


def _units(name: str) -> list[tuple[str, str | None, int]]:
    if name in DOCS:
        return _doc_units(name)
    return _notebook_units(nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4))


def _names() -> list[str]:
    return [p.stem for p in lessons()] + list(DOCS)


def _source_file(name: str) -> str:
    path = DOCS[name] if name in DOCS else NOTEBOOKS / f"{name}.ipynb"
    return str(path.relative_to(config.REPO_ROOT))


# ----- catalogues ------------------------------------------------------------------------------

def read_catalogue(lang: str, name: str) -> Catalog:
    """The catalogue of a lesson or doc (empty when there is none yet)."""
    path = catalogue_path(lang, name)
    if not path.exists():
        return Catalog(locale=lang)
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def _write_catalogue(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        # no wrapping: a msgid stays one line per source line, so a catalogue diffs as the source does
        write_po(f, catalog, width=0, omit_header=False, ignore_obsolete=True)


def extract(langs: Iterable[str] = LANGUAGES, names: Iterable[str] | None = None) -> list[Path]:
    """Update every catalogue from the English sources: new units enter untranslated, a changed
    unit keeps its old translation marked fuzzy (babel's near-match), a removed unit is dropped."""
    written = []
    for lang in langs:
        _check_lang(lang)
        for name in names or _names():
            template = Catalog(locale=lang, project="Boletia lab", fuzzy=False)
            for msgid, context, where in _units(name):
                template.add(msgid, context=context, locations=[(_source_file(name), where)])
            catalog = read_catalogue(lang, name)
            catalog.update(template, update_header_comment=False, update_creation_date=False)
            catalog.project = "Boletia lab"
            catalog.fuzzy = False
            catalog.copyright_holder = "the Boletia lab authors"
            catalog.last_translator = "Boletia lab"
            path = catalogue_path(lang, name)
            _write_catalogue(catalog, path)
            written.append(path)
    return written


def _translation(catalog: Catalog, msgid: str, context: str | None = None) -> str | None:
    message = catalog.get(msgid, context=context)
    if message is None or message.fuzzy or not message.string:
        return None
    return message.string


def missing(lang: str) -> dict[str, list[str]]:
    """Per lesson or doc, the English units that the edition cannot show translated: not in the
    catalogue (a stale catalogue, not re-extracted since the source changed), untranslated, or
    fuzzy. Judged against the sources themselves, not against what the catalogue says."""
    _check_lang(lang)
    report: dict[str, list[str]] = {}
    for name in _names():
        catalog = read_catalogue(lang, name)
        gaps = [msgid for msgid, context, _ in _units(name)
                if _translation(catalog, msgid, context) is None]
        if gaps:
            report[name] = gaps
    return report


# ----- rendering -------------------------------------------------------------------------------

def render(lang: str, source_nb: Path | str) -> nbformat.NotebookNode:
    """A lesson's edition in `lang`: markdown cells and the title translated (English where a
    translation is missing or fuzzy); code cells, their outputs and ids untouched; the
    notebook's metadata says its language."""
    source = Path(source_nb)
    nb = nbformat.read(source, as_version=4)
    edition = copy.deepcopy(nb)
    edition.metadata["language"] = lang
    if lang == "en":
        return edition
    _check_lang(lang)
    catalog = read_catalogue(lang, source.stem)
    title = edition.metadata.get("title")
    if title:
        edition.metadata["title"] = _translation(catalog, title, TITLE) or title
    for cell in edition.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            cell.source = _translation(catalog, cell.source) or cell.source
    return edition


def render_doc(lang: str, name_or_path: str | Path) -> str:
    """A doc's edition in `lang` (a key of DOCS or its source path), block by block; fenced code
    and untranslated blocks stay as in English."""
    _check_lang(lang)
    name = next((k for k, p in DOCS.items() if Path(name_or_path).resolve() == p.resolve()),
                str(name_or_path))
    if name not in DOCS:
        raise ValueError(f"no edition of {name_or_path}: the docs with one are "
                         + ", ".join(str(p.relative_to(config.REPO_ROOT)) for p in DOCS.values()))
    catalog = read_catalogue(lang, name)
    blocks = [(_translation(catalog, b) or b) if _translatable(b) else b
              for b in _blocks(doc_source(name))]
    return _relink("\n\n".join(blocks) + "\n", DOCS[name].parent, doc_edition_path(lang, name).parent)


_LINK = re.compile(r"(\]\()([^)\s]+)(\))")


def _relink(text: str, source_dir: Path, edition_dir: Path) -> str:
    """Relative links and pictures (`](docs/images/x.png)`) pointed from the edition's folder to
    the same files, so the edition in docs/locale/<lang>/ shows the English doc's pictures."""
    def fix(match: re.Match[str]) -> str:
        target = match.group(2)
        if re.match(r"^[a-z]+:|^#|^/", target):
            return match.group(0)
        moved = os.path.relpath(source_dir / target, edition_dir)
        return f"{match.group(1)}{Path(moved).as_posix()}{match.group(3)}"
    return _LINK.sub(fix, text)


def doc_edition_path(lang: str, name: str) -> Path:
    """Where a doc's rendered edition is committed (docs/locale/<lang>/<name>.md)."""
    return DOCS_LOCALE / lang / f"{name}.md"


def write_docs(lang: str) -> list[Path]:
    """Render every doc's edition to docs/locale/<lang>/ (committed, so GitHub shows it)."""
    written = []
    for name in DOCS:
        path = doc_edition_path(lang, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_doc(lang, name), encoding="utf-8")
        written.append(path)
    return written


def write_edition(lang: str, dest: Path, runnable: bool = False) -> tuple[list[Path], list[Path]]:
    """Write the lessons' edition into dest/; return (written, kept).

    With `runnable` (the student's own copy, opened in JupyterLab), a lesson the student has
    edited since it was rendered is kept, not overwritten (its predictions, its experiments),
    and dest/ gets links to what the lessons' code reads relative to notebooks/ (`exercises/`
    beside them; `../connect`, `../k8s` one level up), so the edition runs as the English
    lessons do, on the same files."""
    _check_lang(lang)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    stamps = dest / ".rendered"
    written: list[Path] = []
    kept: list[Path] = []
    for lesson in lessons():
        target = dest / lesson.name
        text = nbformat.writes(render(lang, lesson)) + "\n"
        stamp = stamps / f"{lesson.stem}.sha256"
        if runnable and target.exists():
            rendered_before = stamp.read_text() if stamp.exists() else None
            if _digest(target.read_text(encoding="utf-8")) != rendered_before:
                kept.append(target)
                continue
        target.write_text(text, encoding="utf-8")
        written.append(target)
        if runnable:
            stamps.mkdir(exist_ok=True)
            stamp.write_text(_digest(text))
    if runnable:
        for entry in NOTEBOOKS.iterdir():  # exercises/: the student's one file, shared
            if entry.is_dir() and entry.name not in {"locale", "runs", "executed"} \
                    and not entry.name.startswith("."):
                _link(entry, dest / entry.name)
        for entry in config.REPO_ROOT.iterdir():
            if entry.is_dir() and entry.name in {"k8s", "connect", "docs", "lab-infra", "benchmarks"}:
                _link(entry, dest.parent / entry.name)
    return written, kept


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _link(target: Path, link: Path) -> None:
    if link.is_symlink() or link.exists():
        return
    os.symlink(target, link, target_is_directory=target.is_dir())
