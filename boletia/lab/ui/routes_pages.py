"""The two faces, as pages: the box office (`/`) and the control room (`/control`), served
from the package's static files in the visitor's language (`lang.py`; the switch's `?lang=` is
kept here in a cookie for a year); `/health` for the runtimes' checks. The page's texts come
from the one message catalogue (`boletia.lab.i18n.messages`), its modules' strings from the same
catalogue, handed to them in the page."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request

from boletia.lab.i18n import messages
from boletia.lab.ui.lang import COOKIE, language

pages = Blueprint("pages", __name__)


def _page(name: str) -> Response:
    lang = language()
    resp = Response(messages.localize_html(_read(name), lang), mimetype="text/html")
    resp.headers["Content-Language"] = lang
    resp.headers["Vary"] = "Accept-Language, Cookie"
    if messages.pick(request.args.get("lang")):
        resp.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return resp


def _read(name: str) -> str:
    return (Path(current_app.static_folder) / name).read_text(encoding="utf-8")


@pages.get("/health")
def health():
    return jsonify({"service": "ui", "status": "ok"})


@pages.get("/")
def box_office():
    return _page("index.html")


@pages.get("/control")
def control_room():
    return _page("control.html")
