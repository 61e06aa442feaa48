"""One message catalogue for the UI (box office, control room) and the CLI's messages to students.

English is the source: a message's English text is its msgid, so code that is not translated
yet, or a language without a catalogue, still speaks English. The translations live in one
gettext catalogue per language (locale/<lang>/LC_MESSAGES/boletia.po beside this module), read
with babel at run time (no compiled .mo to keep in step). Placeholders are `{name}`, filled by
`str.format` in Python and by `i18n.js` in the browser, so one msgid serves both.

Where the msgids come from, `extract()` says: babel's Python extractor (`_()` calls) over the
CLI and the UI's routes, babel's JavaScript extractor over the UI's modules, and `extract_html`
(every text node and label of the two pages) over their HTML, which stays plain HTML: the
pages route translates it on the way out (`localize_html`). The API's domain words (eventos,
reservas, estados A/C/X) are data, not messages: they are never translated.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

LANGUAGES = ("en", "es")
DEFAULT = "en"
DOMAIN = "boletia"
LOCALE = Path(__file__).resolve().parent / "locale"
PACKAGE = Path(__file__).resolve().parents[2]  # boletia/
STATIC = PACKAGE / "lab" / "ui" / "static"
# what carries the CLI's and the UI's messages (the catalogue is checked against all of it)
_LOCAL = PACKAGE / "lab" / "runtimes" / "local"
SOURCES = {"python": [PACKAGE / "cli.py", _LOCAL / "runtime.py", _LOCAL / "doctor.py",
                      PACKAGE / "lab" / "setup" / "bootstrap.py", Path(__file__).resolve(),
                      *sorted((PACKAGE / "lab" / "ui").glob("*.py"))],
           "javascript": sorted(STATIC.glob("*.js")),
           "html": sorted(STATIC.glob("*.html"))}
_PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)(?:[:!][^{}]*)?\}")


def catalogue_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.lru_cache(maxsize=8)
def translations(lang: str) -> dict[str, str]:
    """msgid -> translation of `lang` (translated, non-fuzzy entries only). English, a language
    without a catalogue, or babel missing (the lab's extra not installed): empty, i.e. English."""
    path = catalogue_path(lang)
    if lang == DEFAULT or not path.exists():
        return {}
    try:
        from babel.messages.pofile import read_po
    except ImportError:
        return {}
    with path.open("rb") as f:
        catalog = read_po(f)
    return {m.id: m.string for m in catalog
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def translate(msgid: str, lang: str, **params: object) -> str:
    """`msgid` in `lang` (English when untranslated), its `{name}` placeholders filled."""
    text = translations(lang).get(msgid, msgid) if lang != DEFAULT else msgid
    return text.format(**params)  # a literal brace is doubled, as str.format wants


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


# ----- which language ------------------------------------------------------------------------

def pick(tag: str | None) -> str | None:
    """The supported language of a tag such as 'es', 'es_MX.UTF-8' or 'en-GB' (None: none)."""
    if not tag:
        return None
    primary = re.split(r"[-_.@]", tag.strip().lower(), maxsplit=1)[0]
    return primary if primary in LANGUAGES else None


def cli_language(environ: Mapping[str, str] | None = None) -> str:
    """The CLI's language: BOLETIA_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG), else English."""
    env = os.environ if environ is None else environ
    for name in ("BOLETIA_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:  # the first one set decides, as for gettext; C/POSIX mean English
            return pick(value) or DEFAULT
    return DEFAULT


def cli(msgid: str, **params: object) -> str:
    """A message of the CLI (and of what it reports) in the student's language, read at each
    call (tests and shells change it)."""
    return translate(msgid, cli_language(), **params)


# ----- the pages -----------------------------------------------------------------------------

_TEXT = re.compile(r">([^<>]*[^\W\d_][^<>]*)<")           # a text node with at least one letter
_ATTR = re.compile(r'\b(aria-label|title|placeholder)="([^"]*[^\W\d_][^"]*)"')
_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", html.unescape(text)).strip()


def extract_html(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """A babel extractor: every text node and aria-label/title/placeholder of a page."""
    text = fileobj.read().decode("utf-8")
    for pattern, group in ((_TEXT, 1), (_ATTR, 2)):
        for match in pattern.finditer(text):
            msgid = _norm(match.group(group))
            if msgid:
                yield text.count("\n", 0, match.start()) + 1, None, msgid, []


def localize_html(page: str, lang: str, switch_label: str | None = None) -> str:
    """A page in `lang`: its texts and labels translated, `<html lang>` set, the catalogue in a
    JSON block for the page's modules (`i18n.js`) and the language switch in its header."""
    table = translations(lang)

    def text(match: re.Match) -> str:
        raw = match.group(1)
        found = table.get(_norm(raw))
        if not found:
            return match.group(0)
        lead, trail = raw[:len(raw) - len(raw.lstrip())], raw[len(raw.rstrip()):]
        return f">{lead}{html.escape(found, quote=False)}{trail}<"

    def attr(match: re.Match) -> str:
        found = table.get(_norm(match.group(2)))
        return f'{match.group(1)}="{html.escape(found)}"' if found else match.group(0)

    page = _ATTR.sub(attr, _TEXT.sub(text, page))  # the pages hold no inline script
    page = re.sub(r'<html lang="[^"]*"', f'<html lang="{lang}"', page, count=1)
    data = json.dumps({"lang": lang, "messages": table}, ensure_ascii=False)
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    page = page.replace("</head>", f'  <script type="application/json" id="boletia-messages">'
                                   f"{data}</script>\n</head>", 1)
    label = html.escape(switch_label or translate("Language", lang))
    links = " ".join(f'<a href="?lang={code}" hreflang="{code}" lang="{code}"'
                     + (' aria-current="true"' if code == lang else "") + f">{code}</a>"
                     for code in LANGUAGES)
    return page.replace("</header>", f'  <nav class="lang" aria-label="{label}">{links}</nav>\n'
                                      "  </header>", 1)


# ----- keeping the catalogue ------------------------------------------------------------------

def extract():
    """A babel Catalog of every msgid the CLI and the UI use, with where each is used."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract as babel_extract

    template = Catalog(domain=DOMAIN, project="Boletia Lab")
    methods = {"python": "python", "javascript": "javascript", "html": extract_html}
    for kind, paths in SOURCES.items():
        for path in paths:
            with path.open("rb") as f:
                for lineno, message, comments, context in babel_extract(
                        methods[kind], f, keywords={"_": None, "_t": None, "translate": None},
                        comment_tags=("i18n:",),
                        options={"parse_template_string": False}):
                    if isinstance(message, str) and message:
                        where = str(path.relative_to(PACKAGE.parent))
                        template.add(message, locations=[(where, lineno)],
                                     auto_comments=comments, context=context)
    return template


def update(lang: str = "es") -> list[str]:
    """Bring `lang`'s catalogue up to date with the code (new msgids untranslated, changed ones
    fuzzy, removed ones obsolete); the msgids still untranslated."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = catalogue_path(lang)
    if path.exists():
        with path.open("rb") as f:
            catalog = read_po(f)
    else:
        catalog = Catalog(locale=lang, domain=DOMAIN, project="Boletia Lab")
    catalog.update(extract(), no_fuzzy_matching=True)
    catalog.obsolete.clear()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=100, sort_output=False, include_lineno=False)
    translations.cache_clear()
    return [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]


if __name__ == "__main__":  # python -m boletia.lab.i18n.messages [LANG]: bring a catalogue up to date
    import sys

    lang = sys.argv[1] if len(sys.argv) > 1 else "es"
    todo = update(lang)
    print(f"{catalogue_path(lang)}: {len(todo)} messages to translate" + "".join(f"\n  {m}" for m in todo))
