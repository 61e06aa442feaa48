"""The organisers' panel (token): a new event, created through `eventos` with the admin token."""

from __future__ import annotations

from flask import Blueprint

from boletia.lab.ui.lang import _ as _t
from boletia.lab.ui.web import admin, body, passed_back, room
from boletia.services.http import error

organisers = Blueprint("organisers", __name__)


@organisers.post("/api/admin/event")
@admin
def create_event():
    b = body()
    try:
        answer = room().admin_api.create_event(b.get("nombre"), b.get("capacidad"),
                                               b.get("categoria") or "Lab")
    except Exception as exc:  # noqa: BLE001
        return error(502, _t("eventos does not answer ({kind})", kind=type(exc).__name__))
    return passed_back(answer)
