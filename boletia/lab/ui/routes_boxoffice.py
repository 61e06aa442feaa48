"""The box office's routes (anyone): a booking and a cancel forwarded to the PUBLIC `reservas`
API with its answers passed back as they are, and "my reservations".

A customer sees only what is theirs (issue 28.1): the page keeps, for this browser's session,
the bookings it made and each one's secret (the fixed designs; the seed has none), and sends
them in a header (X-Boletia-Claves, never the query string); "my reservations" are those the
public API shows to that secret, for that address, and the mailbox shows only the emails about
them. Whoever types another's address sees nothing of theirs. The control room keeps the
admin's view of every email (behind the admin token)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from flask import Blueprint, jsonify, request

from boletia.domain import decisions, model, ownership
from boletia.domain.model import InvalidRequest
from boletia.lab.notebook.client import Answer
from boletia.lab.ui.lang import _ as _t
from boletia.lab.ui.web import body, passed_back, room
from boletia.services.http import error

MAX_OWN_LOOKED_UP = 30         # "my reservations": this session's bookings looked up, at most
OWN_HEADER = "X-Boletia-Claves"  # this session's bookings: a JSON object {id: secret}

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
    if answer.ok and answer.secret and isinstance(answer.body, dict):
        # to this customer's page, once (the page keeps it for the session)
        return passed_back(Answer(answer.status, {**answer.body, ownership.FIELD: answer.secret}))
    return passed_back(answer)


@boxoffice.delete("/api/reservas/<reserva_id>")
def cancel(reserva_id: str):
    model.check_object_id(reserva_id)
    try:  # the customer's own secret, as their page sent it: the box office keeps none
        answer = room().api.cancel(reserva_id, request.headers.get(ownership.HEADER, ""))
    except Exception as exc:  # noqa: BLE001
        return error(502, _t("reservas does not answer ({kind}); try again in a moment",
                             kind=type(exc).__name__))
    return passed_back(answer)


def _own_claims() -> dict[str, str]:
    """This session's bookings as its page sent them ({id: secret}); a 400 when malformed."""
    raw = request.headers.get(OWN_HEADER, "").strip()
    if not raw:
        return {}
    try:
        claims = json.loads(raw)
    except ValueError:
        claims = None
    if not isinstance(claims, dict) or not all(isinstance(v, str) for v in claims.values()):
        raise InvalidRequest(_t("header {header} must be a JSON object of reservation ids and "
                                "their secrets", header=OWN_HEADER))
    return {model.check_object_id(k): v for k, v in list(claims.items())[:MAX_OWN_LOOKED_UP]}


@boxoffice.get("/api/my")
def my_reservations():
    """The reservations this session booked for `email` that the API shows to their secrets,
    and the emails about them; nothing of anyone else's."""
    r = room()
    email = model.check_email((request.args.get("email") or "").strip())
    claims = _own_claims()
    found: dict[str, dict] = {}
    problems = []
    for reserva_id, secret in claims.items():
        try:
            answer = r.api.reservation(reserva_id, secret)
        except Exception as exc:  # noqa: BLE001
            problems.append(_t("reservas does not answer ({kind}); try again in a moment",
                               kind=type(exc).__name__))
            break
        if (answer.ok and isinstance(answer.body, dict)
                and str(answer.body.get("Email", "")).lower() == email.lower()):
            found[reserva_id] = answer.body
        elif answer.status not in (200, 403, 404):  # not hers, or not (yet) written
            problems.append(f"{reserva_id}: {answer.status} {str(answer.body)[:120]}")
    try:
        emails = [m for m in r.mailbox.to(email) if m.get("reserva") in found]
        mail_error = None
    except Exception as exc:  # noqa: BLE001 - SES down: the reservations still show
        emails, mail_error = [], f"the mail server does not answer ({type(exc).__name__})"
    events = list(dict.fromkeys(x["Evento"] for x in found.values()))
    return jsonify({"email": email, "events": events,
                    "reservations": sorted(found.values(), key=lambda x: x["Id"], reverse=True),
                    "emails": emails, "problems": problems, "mail_error": mail_error})
