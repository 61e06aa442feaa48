"""Who may read or cancel one reservation (issue 28.1; OWASP API1, broken object-level
authorisation): in the fixed designs, only who holds the booking's secret.

The secret ("clave") is the HMAC-SHA256 of the reservation's id under the lab's booking key,
cut to 128 bits: one per booking, unpredictable without the key, answered once in the POST's
200 and repeated in the confirmation email. Nothing is stored: the database, the change
events and the Kafka topics carry no secret and nothing a secret can be computed from, so a
copy of any of them lets nobody act; the service recomputes the secret from the id and
compares in constant time (`hmac.compare_digest`). The notificaciones consumer recomputes it
too (it holds the same key), which a random secret stored hashed could not give it without
carrying the secret in clear through a topic.

The ids themselves are not guessable either (defence in depth; an id is not a secret: it is
logged, put in URLs and emails): a seed ObjectId is a timestamp, a per-process random and a
counter, so from one's own booking the neighbours' ids are the counter plus or minus one; the
fixed designs keep the ObjectId's type and its 4-byte timestamp (ids still sort by time, and
every part of the pipeline that reads an ObjectId still does) and fill the other 8 bytes at
random: 2**64 candidates per second of bookings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time

from bson import ObjectId

HEADER = "X-Boletia-Clave"  # how a client sends it: a header, never the query string (logged)
FIELD = "Clave"             # where the POST's 200 (and a 503's body) gives it, once
SECRET_BYTES = 16           # 128 bits
MIN_KEY_BYTES = 16
_CONTEXT = b"boletia-reserva:"


class MissingKey(ValueError):
    """The service or consumer was started without a booking key long enough to be secret."""


def key_bytes(key: str) -> bytes:
    """The lab's booking key as bytes; refused when empty or short (a short key would make
    every booking's secret guessable)."""
    raw = (key or "").strip().encode()
    if len(raw) < MIN_KEY_BYTES:
        raise MissingKey("the booking key is empty or shorter than 16 characters: set "
                         "BOLETIA_BOOKING_KEY (the lab generates one: `boletia lab up`)")
    return raw


def secret_for(key: bytes, reserva_id: object) -> str:
    """The booking's secret: 22 URL-safe characters (128 bits of HMAC-SHA256)."""
    mac = hmac.new(key, _CONTEXT + str(reserva_id).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:SECRET_BYTES]).decode().rstrip("=")


def owns(key: bytes, reserva_id: object, given: str | None) -> bool:
    """True when `given` is the booking's secret; compared in constant time, as bytes (a
    header may carry any byte)."""
    if not given:
        return False
    return hmac.compare_digest(secret_for(key, reserva_id).encode(),
                               given.strip().encode("utf-8", "surrogateescape"))


def unguessable_id(now: float | None = None) -> ObjectId:
    """An ObjectId of 4 bytes of time and 8 random bytes (no process part, no counter)."""
    seconds = int(time.time() if now is None else now)
    return ObjectId(seconds.to_bytes(4, "big") + os.urandom(8))
