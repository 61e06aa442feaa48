"""Sphinx's configuration of the course book (`boletia book`, `make book`).

The engine is Jupyter Book 1's (Sphinx, MyST-NB, sphinx-book-theme), used directly: the
notebooks are rendered with the outputs they carry and are never executed here, and nothing
is fetched while building or while reading (no CDN: the theme's assets ship in its wheel).
`boletia/lab/book.py` stages the sources and runs sphinx-build once per edition; the edition's
language comes in as `-D language=...`.
"""

import os

project = "Boletia Lab"
author = "Boletia Lab"
copyright = "Boletia Lab contributors, Apache-2.0"

extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
master_doc = "index"

# The reference outputs committed in the lessons are the book's content: never execute.
nb_execution_mode = "off"
nb_merge_streams = True
# MyST: ::: fences for admonitions (the lessons write no maths, and `$` in prose stays a dollar)
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

# the editions built together (boletia.lab.book sets it): each page links to itself in the others
EDITION_NAMES = {"en": "English", "es": "Español"}
editions = [(lang, EDITION_NAMES.get(lang, lang))
            for lang in os.environ.get("BOLETIA_BOOK_EDITIONS", "en").split(",") if lang]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_context = {"editions": editions}

html_theme = "sphinx_book_theme"
html_title = "Boletia Lab"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    "home_page_in_toc": True,
    "article_header_end": ["edition-switch.html", "article-header-buttons.html"],
}
html_copy_source = True  # the download button offers each lesson's .ipynb, outputs included
html_show_sourcelink = False
# MathJax would come from a CDN: no maths, so no MathJax (its extension is loaded by MyST-NB)
mathjax_path = "mathjax-is-not-used.js"
