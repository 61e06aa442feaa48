"""Lesson 04's exercise check: the idempotency key of an email.

The student writes `email_key(message)`: the key under which the consumer `notificaciones`
records "this email was sent", so that a message delivered again finds it and sends nothing.
The check replays a short history of messages (a redelivery, the same change published again
at another offset, a cancel after a confirmation, a second booking by the same customer) and
says which idea the key misses. It never raises on wrong work: the lesson runs on with the
untouched stub, which is "not yet".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

R1, R2 = "6651f0a1c2d3e4f5a6b7c801", "6651f0a1c2d3e4f5a6b7c802"


def _message(offset: int, reserva: str, estado: str, email: str = "ana@example.com") -> dict:
    return {"topic": "boletia.reservas", "partition": 0, "offset": offset,
            "value": {"_id": reserva, "evento": "Concierto", "email": email, "cantidad": 2,
                      "estado": estado}}


@dataclass(frozen=True)
class Case:
    first: dict
    then: dict
    same_email: bool   # True: `then` must find `first`'s email already sent
    idea: str          # what a key that judges this pair wrongly has missed


CASES = (
    Case(_message(10, R1, "A"), _message(10, R1, "A"), True,
         "a message delivered again (the consumer crashed before its commit) must give the same "
         "key as the first delivery: at-least-once means the same message can come twice"),
    Case(_message(10, R1, "A"), _message(57, R1, "A"), True,
         "the same change published again at another offset (a source that re-read its change "
         "stream) is still the same email: the key names the fact the email is about, not the "
         "message's position in the topic"),
    Case(_message(10, R1, "A"), _message(11, R1, "X"), False,
         "the cancellation (X) of a reservation is a new email after its confirmation (A): a key "
         "that joins them never sends the second one (the checker's email-missing)"),
    Case(_message(10, R1, "A"), _message(12, R2, "A", email="ana@example.com"), False,
         "two reservations are two emails, even for the same customer: the key must tell "
         "reservations apart"),
)


def check_email_key(email_key: Callable[[dict], object]) -> tuple[bool, str]:
    """(right, one line): 'right: …' when `email_key` gives a redelivered or republished
    message the key of the email already sent and every other email a key of its own; else
    'not yet: …' naming the first idea missed."""
    try:
        for case in CASES:
            first, then = email_key(case.first), email_key(case.then)
            if first is None or then is None:
                return False, ("not yet: the key is None, so nothing is recorded as sent and every "
                               "delivery sends its email again (the seed's duplicates)")
            try:
                hash(first)
            except TypeError:
                return False, (f"not yet: the key must be a value a ledger can store and look up "
                               f"(a string or a tuple), not a {type(first).__name__}")
            if (first == then) != case.same_email:
                return False, "not yet: " + case.idea
    except Exception as exc:  # noqa: BLE001 - the student's code: said in one line, never raised
        return False, f"not yet: email_key raised {type(exc).__name__}: {exc}"
    return True, ("right: a redelivered or republished message finds its email already sent, and "
                  "each reservation state gets its own email")


def report(email_key: Callable[[dict], object]) -> bool:
    """Print the check's one line (the lesson's check cell); True when right."""
    right, line = check_email_key(email_key)
    print(line)
    return right
