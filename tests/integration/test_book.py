"""The course book, built as `make book` builds it and read as a student reads it: every internal
link and picture resolves, every picture a lesson shows is in the site, the site loads nothing
from elsewhere, each lesson says how to run it, search has the lessons, and one lesson page opened
in headless Chromium shows its first plot. No lab is needed.

The lessons are rendered with the outputs they carry. While the committed lessons carry no
picture yet, this test's copy of lesson 03 gets one fake plot in its first code cell (in the
fixture's copy only), so that the picture checks have something to judge.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest

from boletia.lab import book as course

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PICTURES = ("image/png", "image/jpeg", "image/svg+xml")
FAKED = "03-booking-and-cancelling.ipynb"


def pictures(nb: nbformat.NotebookNode) -> int:
    """How many pictures a notebook shows: image outputs, and images its prose embeds."""
    shown = sum(1 for cell in nb.cells if cell.cell_type == "code"
                for out in cell.get("outputs", []) if any(k in out.get("data", {}) for k in PICTURES))
    return shown + sum(len(re.findall(r"!\[[^\]]*\]\(", cell.source)) for cell in nb.cells
                       if cell.cell_type == "markdown")


def fake_plot() -> dict:
    """A small real PNG, drawn here: the fixture's stand-in for a lesson's first plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 2))
    ax.plot([0, 1, 2, 3], [0, 3, 1, 0])
    ax.set_title("fixture plot (not a lesson's output)")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return nbformat.v4.new_output("display_data", data={
        "image/png": base64.b64encode(buf.getvalue()).decode(), "text/plain": "<Figure>"})


@pytest.fixture(scope="module")
def lessons_dir(tmp_path_factory) -> Path:
    """The committed lessons; if none shows a picture yet, lesson 03's copy gets a fake plot."""
    where = tmp_path_factory.mktemp("lessons")
    for path in course.lessons(ROOT / "notebooks"):
        shutil.copy2(path, where / path.name)
    if not any(pictures(nbformat.read(p, as_version=4)) for p in course.lessons(where)):
        nb = nbformat.read(where / FAKED, as_version=4)
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        first_code.outputs = [fake_plot()]
        nbformat.write(nb, where / FAKED)
    return where


@pytest.fixture(scope="module")
def site(lessons_dir, tmp_path_factory) -> course.Book:
    return course.build(tmp_path_factory.mktemp("book"), notebooks=lessons_dir)


def html_of(site: course.Book, lang: str, page: str) -> str:
    return (site.editions[lang] / page).read_text()


def test_every_edition_is_built_and_a_missing_one_is_said(site):
    assert "en" in site.editions and site.index.exists()
    # the site folder holds the editions and the landing page, nothing the build left behind
    assert {p.name for p in site.index.parent.iterdir()} == {*site.editions, "index.html"}
    if course.renderer() is None:
        assert site.notes and "es" in site.notes[0]
    else:
        assert "es" in site.editions
        assert 'lang="es"' in html_of(site, "es", "index.html")
        # each page links to itself in the other edition (the links resolve: the test below)
        for lang, other in (("en", "es"), ("es", "en")):
            page = html_of(site, lang, "lessons/03-booking-and-cancelling.html")
            assert f'href="../../{other}/lessons/03-booking-and-cancelling.html"' in page, lang


def test_every_internal_link_and_picture_resolves(site):
    for html in site.editions.values():
        assert course.broken_links(html) == []


def test_a_broken_link_is_caught(site, tmp_path):
    """The check itself, on a copy of the site with one lesson's picture and one page gone."""
    copy = tmp_path / "site"
    shutil.copytree(site.editions["en"], copy)
    (copy / "docs" / "why.html").unlink()
    for img in (copy / "_images").iterdir():
        img.unlink()
    broken = course.broken_links(copy)
    assert any("docs/why.html" in b and "no such file" in b for b in broken), broken
    assert any("<img>" in b for b in broken), broken
    (copy / "index.html").write_text('<a href="lessons/00-overview.html#no-such-section">x</a>')
    assert any("no id 'no-such-section'" in b for b in course.broken_links(copy))


def test_every_picture_a_lesson_shows_is_in_the_site(site, lessons_dir):
    for lang, html in site.editions.items():
        for path in course.lessons(lessons_dir):
            page = html / "lessons" / f"{path.stem}.html"
            shown = re.findall(r'<img[^>]*src="([^"]+)"', page.read_text())
            present = [s for s in shown if (page.parent / s).resolve().is_file()]
            expected = pictures(nbformat.read(path, as_version=4))
            assert len(present) >= expected, (lang, path.name, expected, shown)
    assert pictures(nbformat.read(lessons_dir / FAKED, as_version=4)) or any(
        pictures(nbformat.read(p, as_version=4)) for p in course.lessons(lessons_dir))


def test_the_lessons_are_rendered_not_executed(site, lessons_dir):
    """A lesson committed without outputs has none in the book: nothing ran it."""
    for path in course.lessons(lessons_dir):
        nb = nbformat.read(path, as_version=4)
        if not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"):
            assert "cell_output" not in html_of(site, "en", f"lessons/{path.stem}.html"), path.name
            return
    pytest.skip("every lesson carries outputs: nothing to tell rendering from executing")


def test_each_lesson_says_how_to_run_it_and_the_toc_has_every_page(site, lessons_dir):
    for lang in site.editions:
        index = html_of(site, lang, "index.html")
        title, _ = course.RUN_IT[lang]
        for path in course.lessons(lessons_dir):
            page = html_of(site, lang, f"lessons/{path.stem}.html")
            assert title in page and f"notebooks/{path.name}" in page, (lang, path.name)
            assert f'href="lessons/{path.stem}.html"' in index, (lang, path.stem)
        for doc in course.DOCS:
            assert f'href="docs/{doc}.html"' in index, (lang, doc)


def test_search_has_the_lessons(site):
    for html in site.editions.values():
        assert (html / "search.html").exists()
        index = (html / "searchindex.js").read_text()
        assert "idempot" in index and "03-booking-and-cancelling" in index


def test_the_site_loads_nothing_from_elsewhere(site):
    """Scripts, styles and pictures all come from the site itself (links out are fine)."""
    for html in site.editions.values():
        for page in html.rglob("*.html"):
            outside = re.findall(r'<(?:script|link|img)[^>]*(?:src|href)="(?:https?:)?//[^"]+"',
                                 page.read_text())
            assert not outside, (page, outside)


@pytest.fixture(scope="module")
def served(site):
    """The site on a loopback port, as a student's `python -m http.server` would serve it."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(site.index.parent))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_lesson_page_shows_its_first_plot_in_chromium(served, lessons_dir):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("no Chromium: `apt-get install -y chromium chromium-driver` (as root)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    lesson = next(p for p in course.lessons(lessons_dir) if pictures(nbformat.read(p, as_version=4)))
    profile = tempfile.mkdtemp(prefix="boletia-book-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 f"--user-data-dir={profile}", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(30)
        driver.get(f"{served}/en/lessons/{lesson.stem}.html")
        first_plot = "return document.querySelector('div.cell_output img')"
        plot = WebDriverWait(driver, 20).until(lambda d: d.execute_script(first_plot))
        width = WebDriverWait(driver, 20).until(lambda d: d.execute_script(
            "const i = arguments[0]; return i.complete && i.naturalWidth", plot))
        assert width > 0
        assert plot.is_displayed()
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
