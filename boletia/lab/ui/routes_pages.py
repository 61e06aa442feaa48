"""The two faces, as pages: the box office (`/`) and the control room (`/control`), served
from the package's static files; `/health` for the runtimes' checks."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

pages = Blueprint("pages", __name__)


@pages.get("/health")
def health():
    return jsonify({"service": "ui", "status": "ok"})


@pages.get("/")
def box_office():
    return current_app.send_static_file("index.html")


@pages.get("/control")
def control_room():
    return current_app.send_static_file("control.html")
