"""The UI's and the CLI's one message catalogue (boletia/lab/i18n/messages.py): complete, in step
with the code, chosen by the browser, the page's switch or the shell's locale. No I/O but the
package's own files."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from typer.testing import CliRunner

from boletia import cli
from boletia.lab.i18n import messages
from boletia.lab.ui import rules
from boletia.lab.ui.lang import COOKIE
from boletia.lab.ui.routes_pages import pages
from boletia.lab.ui.server import STATIC

pytest.importorskip("babel")


@pytest.fixture(scope="module")
def used():
    """Every msgid the code uses, with where (babel's extractors over messages.SOURCES)."""
    return messages.extract()


@pytest.fixture(autouse=True)
def fresh_catalogue():
    messages.translations.cache_clear()
    yield
    messages.translations.cache_clear()


# ---------------------------------------------------------------- the catalogue
def test_every_message_the_code_uses_is_in_the_spanish_catalogue_and_translated(used):
    spanish = messages.translations("es")
    missing = [m.id for m in used if m.id and m.id not in spanish]
    assert not missing, ("untranslated (run `python -m boletia.lab.i18n.messages` and translate "
                         f"what it lists in {messages.catalogue_path('es')}): {missing}")


def test_a_translation_keeps_its_placeholders(used):
    spanish = messages.translations("es")
    wrong = {m.id: spanish[m.id] for m in used if m.id in spanish
             if messages.placeholders(m.id) != messages.placeholders(spanish[m.id])}
    assert not wrong


def test_the_catalogue_holds_no_message_the_code_no_longer_uses(used):
    ids = {m.id for m in used if m.id}
    stale = [k for k in messages.translations("es") if k not in ids]
    assert not stale, f"obsolete: run `python -m boletia.lab.i18n.messages`: {stale}"


def test_every_call_in_the_modules_is_seen_by_the_extractor(used):
    """babel's JavaScript extractor skips a template literal, a call inside another call's
    arguments or inside `${}`: each `_(` in a module must be one extracted use."""
    seen: dict[str, int] = {}
    for m in used:
        for where, _ in m.locations:
            seen[where] = seen.get(where, 0) + 1
    for path in messages.SOURCES["javascript"]:
        calls = len(re.findall(r"(?<![\w.$])(?<!function )_\(", path.read_text()))
        where = str(path.relative_to(messages.PACKAGE.parent))
        assert calls == seen.get(where, 0), f"{where}: {calls} calls of _(), " \
            f"{seen.get(where, 0)} extracted (no template literal, no _() inside _() or ${{}})"


def test_the_pages_say_nothing_in_english_when_spanish_is_asked():
    spanish = messages.translations("es")
    for name in ("index.html", "control.html"):
        page = messages.localize_html((STATIC / name).read_text(), "es")
        texts = [m.group(1) for m in messages._TEXT.finditer(page.split("</head>")[1])]
        left = [t for t in map(messages._norm, texts) if t in spanish and spanish[t] != t]
        assert not left, (name, left)


# ---------------------------------------------------------------- the UI
@pytest.fixture
def client():
    app = Flask("boletia_pages_test", static_folder=str(STATIC), static_url_path="/static")
    rules.install(app, None)
    app.register_blueprint(pages)
    return app.test_client()


def _lang_of(page: str) -> str:
    return re.search(r'<html lang="(\w+)"', page).group(1)


def _catalogue_in(page: str) -> dict:
    return json.loads(re.search(r'id="boletia-messages">(.*?)</script>', page).group(1))


@pytest.mark.parametrize("accept", ["es", "es-MX,es;q=0.9,en;q=0.5", "es-ES"])
def test_the_box_office_answers_in_spanish_to_a_spanish_browser(client, accept):
    r = client.get("/", headers={"Accept-Language": accept})
    page = r.get_data(as_text=True)
    assert _lang_of(page) == "es" and r.headers["Content-Language"] == "es"
    body = page.split("</head>")[1]
    assert "Reservar boletos" in body and "Book tickets" not in body
    data = _catalogue_in(page)
    assert data["lang"] == "es" and data["messages"]["Booking…"] == "Reservando…"


@pytest.mark.parametrize("accept", [None, "en-US,en;q=0.9", "fr-FR", "de, fr;q=0.5"])
def test_the_pages_answer_in_english_otherwise(client, accept):
    for path, english in (("/", "Book tickets"), ("/control", "The checker's verdict")):
        page = client.get(path, headers={"Accept-Language": accept} if accept else {}).get_data(True)
        assert _lang_of(page) == "en" and english in page
        assert _catalogue_in(page) == {"lang": "en", "messages": {}}


def test_the_switch_overrides_the_browser_and_persists(client):
    r = client.get("/control?lang=en", headers={"Accept-Language": "es"})
    assert _lang_of(r.get_data(True)) == "en"
    assert f"{COOKIE}=en" in r.headers["Set-Cookie"]
    page = client.get("/control", headers={"Accept-Language": "es"}).get_data(True)  # the cookie
    assert _lang_of(page) == "en" and "Load and verdict" in page
    page = client.get("/?lang=es").get_data(True)
    assert _lang_of(page) == "es" and "Mis reservas" in page
    page = client.get("/control").get_data(True)
    assert "El veredicto del verificador" in page


def test_the_pages_show_the_switch_and_a_bad_lang_is_ignored(client):
    page = client.get("/?lang=xx", headers={"Accept-Language": "es"}).get_data(True)
    assert _lang_of(page) == "es"
    assert 'href="?lang=en"' in page and 'href="?lang=es"' in page and 'aria-label="Idioma"' in page
    assert 'aria-current="true">es<' in page


def test_the_servers_errors_follow_the_same_language(client):
    r = client.get("/nowhere", headers={"Accept-Language": "es"})
    assert r.status_code == 404 and r.get_json()["error"].startswith("no existe esa página")
    assert client.get("/nowhere").get_json()["error"].startswith("no such page or route")
    client.get("/?lang=es")  # the switch's cookie wins over the browser's English
    r = client.put("/", headers={"Accept-Language": "en"})
    assert r.status_code == 405 and r.get_json()["error"] == "el método PUT no está permitido aquí"


# ---------------------------------------------------------------- the CLI
@pytest.mark.parametrize("env, lang", [
    ({}, "en"), ({"LANG": "es_MX.UTF-8"}, "es"), ({"LANG": "C.UTF-8"}, "en"),
    ({"LC_ALL": "es_ES.UTF-8", "LANG": "en_US.UTF-8"}, "es"),
    ({"BOLETIA_LANG": "en", "LC_ALL": "es_ES.UTF-8"}, "en"), ({"BOLETIA_LANG": "es"}, "es"),
    ({"BOLETIA_LANG": "fr", "LANG": "es_ES"}, "en")])
def test_the_cli_language_follows_boletia_lang_then_the_locale(env, lang):
    assert messages.cli_language(env) == lang


def _run(env: dict[str, str], *args: str):
    base = {"COLUMNS": "200", "BOLETIA_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": ""}
    return CliRunner().invoke(cli.app, list(args), prog_name="boletia", env={**base, **env})


def test_a_cli_error_speaks_spanish_with_boletia_lang_es():
    out = _run({"BOLETIA_LANG": "es"}, "consume", "nadie")
    assert out.exit_code == 1
    assert "consumidor desconocido 'nadie'; elige uno de:" in out.output, out.output


def test_a_cli_error_speaks_english_by_default():
    out = _run({}, "consume", "nadie")
    assert out.exit_code == 1
    assert "error: unknown consumer 'nadie'; choose one of:" in out.output, out.output


def test_english_is_the_source_and_placeholders_are_filled():
    assert messages.translate("{name}: stopped", "en", name="kafka-1") == "kafka-1: stopped"
    assert messages.translate("{name}: stopped", "es", name="kafka-1") == "kafka-1: detenido"
    assert messages.translate("a message nobody wrote", "es") == "a message nobody wrote"


def test_the_doctor_speaks_the_students_language(tmp_path, monkeypatch):
    from boletia import config
    from boletia.lab.runtimes.local import doctor

    settings = config.Settings(lab_dir=tmp_path / "lab")
    monkeypatch.setenv("BOLETIA_LANG", "es")
    checks = [f.check for f in doctor.examine(settings)]
    assert "núcleos de CPU" in checks and "memoria disponible" in checks
    assert any(c.startswith("puerto ") for c in checks)
    monkeypatch.setenv("BOLETIA_LANG", "en")
    assert "CPU cores" in [f.check for f in doctor.examine(settings)]
