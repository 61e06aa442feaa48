"""The box office's routes (anyone): a booking and a cancel forwarded to the PUBLIC `reservas`
API with its answers passed back as they are, and "my reservations", found from the emails a
customer received and the events they name."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flask import Blueprint, jsonify, request

from boletia.domain import decisions, model
from boletia.lab.ui.lang import _ as _t
from boletia.lab.ui.web import body, passed_back, room
from boletia.services.http import error

MAX_EVENTS_LOOKED_UP = 30      # "my reservations": events asked about, at most

boxoffice = Blueprint("boxoffice", __name__)


class Mailbox:
    """The SES endpoint's messages, read at most once per `ttl` seconds whoever asks: thirty
    customers refreshing together cost one read."""

    def __init__(self, read: Callable[[], list[dict]], ttl: float = 1.0):
        self.read, self.ttl = read, ttl
        self.reads = 0
        self._lock = threading.Lock()
        self._at = -1e9
        self._messages: list[dict] = []

    def messages(self) -> list[dict]:
        with self._lock:
            if time.monotonic() - self._at >= self.ttl:
                self._messages = self.read()
                self._at = time.monotonic()
                self.reads += 1
            return self._messages

    def to(self, email: str) -> list[dict]:
        """The emails sent to `email`, newest first, each read back as the checker reads it."""
        out = []
        for m in self.messages():
            if email.lower() not in (a.lower() for a in m.get("to") or []):
                continue
            meaning = decisions.read_notification(m.get("subject") or "", m.get("body") or "")
            out.append({"id": m.get("id"), "subject": m.get("subject"), "body": m.get("body"),
                        **(meaning or {})})
        return out[::-1]


@boxoffice.post("/api/book")
def book():
    b = body()
    try:
        answer = room().api.book(b.get("evento"), b.get("cantidad"), b.get("email"))
    except Exception as exc:  # noqa: BLE001 - the service down is the customer's news
        return error(502, _t("reservas does not answer ({kind}); try again in a moment",
                             kind=type(exc).__name__))
    return passed_back(answer)


@boxoffice.delete("/api/reservas/<reserva_id>")
def cancel(reserva_id: str):
    model.check_object_id(reserva_id)
    try:
        answer = room().api.cancel(reserva_id)
    except Exception as exc:  # noqa: BLE001
        return error(502, _t("reservas does not answer ({kind}); try again in a moment",
                             kind=type(exc).__name__))
    return passed_back(answer)


@boxoffice.get("/api/my")
def my_reservations():
    r = room()
    email = model.check_email((request.args.get("email") or "").strip())
    asked = [model.check_name(e, "evento") for e in request.args.getlist("evento")]
    try:
        emails = r.mailbox.to(email)
        mail_error = None
    except Exception as exc:  # noqa: BLE001 - SES down: the reservations still show
        emails, mail_error = [], f"the mail server does not answer ({type(exc).__name__})"
    events = list(dict.fromkeys([*asked, *(m["evento"] for m in emails if m.get("evento"))]))
    events = events[:MAX_EVENTS_LOOKED_UP]
    found: dict[str, dict] = {}
    problems = []
    for evento in events:
        try:
            answer = r.api.reservations(evento, email)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"reservas does not answer ({type(exc).__name__})")
            break
        if answer.ok and isinstance(answer.body, list):
            found.update({x["Id"]: x for x in answer.body})
        elif answer.status != 404:
            problems.append(f"{evento}: {answer.status} {str(answer.body)[:120]}")
    return jsonify({"email": email, "events": events,
                    "reservations": sorted(found.values(), key=lambda x: x["Id"], reverse=True),
                    "emails": emails, "problems": problems, "mail_error": mail_error})
