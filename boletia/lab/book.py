"""The course as a static book: the lessons with their committed reference outputs, and docs/.

Sphinx with MyST-NB and sphinx-book-theme (Jupyter Book 1's engine, configured in `book/conf.py`)
renders what the notebooks carry and never executes them. Each edition is one pass of
sphinx-build over a staged copy of the sources in the build directory:

- `en`: the lessons as committed (`notebooks/NN-*.ipynb`), the docs, the pictures;
- `es`: the same pass fed with the lessons rendered into Spanish by the editions' renderer
  (`boletia.lab.i18n.editions.render(lang, lesson_path)`) when that module is present; without it the
  book has the English edition only, and says so.

Each lesson page gets a short note on how to run it locally, added to the staged copy only.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat

from boletia.config import REPO_ROOT
from boletia.lab.errors import LabError

BOOK_SOURCE = REPO_ROOT / "book"        # conf.py and each edition's introduction
DEFAULT_OUT = REPO_ROOT / "build" / "book"
# the docs in the order a reader wants them after the lessons
DOCS = ("architecture", "why", "seed-design", "failure-modes", "benchmarks", "instructor-guide")

CAPTIONS = {
    "en": ("Lessons", "How it is built, and why"),
    "es": ("Lecciones", "Cómo está construido, y por qué"),
}
RUN_IT = {
    "en": ("Run this lesson yourself",
           "This page shows the outputs of a reference run. To run it on your machine, from a clone of "
           "the repository: `make lab` (sets everything up and brings the lab up), then "
           "`.venv/bin/boletia notebooks` and open `notebooks/{name}` in JupyterLab. The lesson brings "
           "the lab up itself if it is not running; `.venv/bin/boletia lab down` stops it."),
    "es": ("Ejecuta esta lección",
           "Esta página muestra las salidas de una ejecución de referencia. Para ejecutarla en tu "
           "máquina, desde un clon del repositorio: `make lab` (prepara todo y levanta el laboratorio), "
           "después `.venv/bin/boletia notebooks --lang es` y abre `notebooks/{name}` en JupyterLab. La "
           "lección levanta el laboratorio ella misma si no está en marcha; "
           "`.venv/bin/boletia lab down` lo detiene."),
}
EDITIONS_MODULE = "boletia.lab.i18n.editions"


class BookError(LabError):
    """The book could not be built; the message says what failed and what to do."""


@dataclass
class Book:
    """What a build produced: each edition's HTML folder, and what was left out and why."""

    out: Path
    editions: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def index(self) -> Path:
        return self.out / "html" / "index.html"


def lessons(notebooks: Path) -> list[Path]:
    """The numbered lessons, in order (the jupytext .md pairs are the same lessons: left out)."""
    return sorted(notebooks.glob("[0-9][0-9]-*.ipynb"))


def editions():
    """The editions module (`render(lang, lesson_path)`, `render_doc(lang, name)`), or None while
    it is not in this checkout."""
    try:
        return importlib.import_module(EDITIONS_MODULE)
    except ModuleNotFoundError as missing:
        if missing.name and EDITIONS_MODULE.startswith(missing.name):
            return None
        raise


def renderer():
    """The lessons' renderer into another language, or None without the editions module."""
    module = editions()
    return None if module is None else module.render


def with_run_note(nb: nbformat.NotebookNode, name: str, lang: str) -> nbformat.NotebookNode:
    """The lesson with a note on running it locally under its title and the paragraph after it
    (its time), before the learning goals."""
    title, text = RUN_IT[lang]
    note = f":::{{admonition}} {title}\n:class: tip\n\n{text.format(name=name)}\n:::\n"
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    lines = first.source.splitlines() if first is not None else []
    heading = next((i for i, line in enumerate(lines) if line.startswith("# ")), None)
    if heading is None:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(note))
        return nb
    at = heading + 1
    while at < len(lines) and not lines[at].strip():
        at += 1
    while at < len(lines) and lines[at].strip():  # the paragraph under the title
        at += 1
    first.source = "\n".join([*lines[:at], "", note, *lines[at:]])
    return nb


def index_page(lang: str, names: list[str]) -> str:
    """The edition's home page: its introduction, then the table of contents."""
    intro = (BOOK_SOURCE / f"intro.{lang}.md").read_text().rstrip()
    lessons_caption, docs_caption = CAPTIONS[lang]
    lesson_lines = "\n".join(f"lessons/{n}" for n in names)
    doc_lines = "\n".join(f"docs/{d}" for d in DOCS)
    return (f"{intro}\n\n```{{toctree}}\n:caption: {lessons_caption}\n:maxdepth: 1\n\n{lesson_lines}\n```\n\n"
            f"```{{toctree}}\n:caption: {docs_caption}\n:maxdepth: 1\n\n{doc_lines}\n```\n")


_LINK = re.compile(r"(\]\()([^)\s]+)(\))")


def doc_text(lang: str, doc: str, docs: Path) -> str:
    """A doc as the edition shows it: its own edition where the editions module has one (its
    links re-pointed from docs/locale/<lang>/ back to docs/), else the English text."""
    module = editions() if lang != "en" else None
    if module is None or doc not in getattr(module, "DOCS", {}):
        return (docs / f"{doc}.md").read_text()
    edition_dir = module.doc_edition_path(lang, doc).parent

    def back(match: re.Match[str]) -> str:
        target = match.group(2)
        if re.match(r"^[a-z]+:|^#|^/", target):
            return match.group(0)
        moved = os.path.relpath(edition_dir / target, module.DOCS[doc].parent)
        return match.group(1) + moved + match.group(3)

    return _LINK.sub(back, module.render_doc(lang, doc))


def stage(lang: str, notebooks: Path, docs: Path, src: Path, render=None) -> None:
    """Lay out one edition's sources in `src`: index, lessons (rendered for `lang`), docs, pictures."""
    if src.exists():
        shutil.rmtree(src)
    (src / "lessons").mkdir(parents=True)
    names = []
    for path in lessons(notebooks):
        nb = render(lang, path) if render is not None else nbformat.read(path, as_version=4)
        nbformat.write(with_run_note(nb, path.name, lang), src / "lessons" / path.name)
        names.append(path.stem)
    (src / "docs").mkdir()
    for doc in DOCS:
        (src / "docs" / f"{doc}.md").write_text(doc_text(lang, doc, docs))
    if (docs / "images").is_dir():
        shutil.copytree(docs / "images", src / "docs" / "images")
    (src / "index.md").write_text(index_page(lang, names))


def sphinx(lang: str, src: Path, html: Path, doctrees: Path, editions: list[str]) -> None:
    """One sphinx-build pass; any warning (a missing picture, a broken reference) fails it.
    `editions`: every edition of this build, which each page links to."""
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going",
               "-c", str(BOOK_SOURCE), "-d", str(doctrees), "-D", f"language={lang}",
               str(src), str(html)]
    env = {**os.environ, "BOLETIA_BOOK_EDITIONS": ",".join(editions)}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise BookError(f"sphinx-build failed for the {lang!r} edition (exit {done.returncode}):\n"
                        f"{done.stderr.strip() or done.stdout.strip()}\n"
                        "Fix the page it names; rebuild with `make book`.")


def landing(editions: dict[str, Path], out: Path) -> None:
    """html/index.html: the English edition, with a link to every other one."""
    links = " · ".join(f'<a href="{lang}/index.html">{lang}</a>' for lang in editions)
    (out / "index.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Boletia Lab</title>'
        '<meta http-equiv="refresh" content="0; url=en/index.html"></head>'
        f"<body><p>Boletia Lab, the course: {links}</p></body></html>\n")


def build(out: Path = DEFAULT_OUT, notebooks: Path | None = None, docs: Path | None = None,
          langs: tuple[str, ...] = ("en", "es")) -> Book:
    """Build the book's editions into `out/html/<lang>/`; `es` only when its renderer exists."""
    notebooks = notebooks or REPO_ROOT / "notebooks"
    docs = docs or REPO_ROOT / "docs"
    if not BOOK_SOURCE.is_dir() or not lessons(notebooks):
        raise BookError(f"no book sources at {BOOK_SOURCE} or no lessons in {notebooks}: "
                        "build the book from a checkout of the repository")
    book = Book(out)
    render = renderer()
    unknown = [lang for lang in langs if lang not in RUN_IT]
    if unknown:
        raise BookError(f"no edition {unknown[0]!r}; choose from: {', '.join(RUN_IT)}")
    for lang in langs:
        if lang != "en" and render is None:
            book.notes.append(f"the {lang!r} edition is left out: {EDITIONS_MODULE} is not in this "
                              "checkout")
    building = [lang for lang in langs if lang == "en" or render is not None]
    for lang in building:
        src = out / "src" / lang
        stage(lang, notebooks, docs, src, render if lang != "en" else None)
        # MyST-NB writes its own files beside sphinx's output folder (jupyter_execute/): build in
        # the edition's work folder, then move the site alone into html/<lang>/
        work = out / "work" / lang
        sphinx(lang, src, work / "site", work / "doctrees", building)
        html = out / "html" / lang
        if html.exists():
            shutil.rmtree(html)
        html.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(work / "site", html)
        book.editions[lang] = html
    for lang, html in book.editions.items():  # once all are built: pages link across editions
        broken = broken_links(html)
        if broken:
            raise BookError(f"the {lang!r} edition has {len(broken)} broken link(s) or picture(s):\n  "
                            + "\n  ".join(broken[:20]) + "\nFix the page that links to them; rebuild.")
    landing(book.editions, out / "html")
    return book


class _Page(HTMLParser):
    """The ids a page defines, and the links and pictures it points to."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str]] = []  # (tag, address)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for key in ("id", "name"):
            if found.get(key) and (key == "id" or tag == "a"):
                self.ids.add(found[key] or "")
        for key in ("href", "src"):
            if found.get(key) is not None and tag in ("a", "img", "link", "script", "source"):
                self.refs.append((tag, found[key] or ""))


def broken_links(html: Path) -> list[str]:
    """Every link or picture in the site under `html` that leads nowhere: a missing file, or a
    fragment that names no id on its page. Addresses with a scheme (https:, mailto:) are left out."""
    pages: dict[Path, _Page] = {}
    for path in sorted(html.rglob("*.html")):
        if "_static" in path.relative_to(html).parts:
            continue  # the theme's assets (its Jinja macros among them), not pages
        page = _Page()
        page.feed(path.read_text(errors="replace"))
        pages[path.resolve()] = page
    broken = []
    for path, page in pages.items():
        for tag, ref in page.refs:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc or ref.startswith("//"):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            where = f"{path.relative_to(html.resolve())}: <{tag}> {ref}"
            if not target.exists():
                broken.append(f"{where} (no such file)")
            elif parts.fragment and target in pages and unquote(parts.fragment) not in pages[target].ids:
                broken.append(f"{where} (no id {parts.fragment!r} on that page)")
    return broken
