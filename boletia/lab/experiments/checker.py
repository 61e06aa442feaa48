"""The invariant checker: after any experiment, prove nothing was lost (SPEC §5, last part).

It judges the state of MongoDB, the consumers' progress and the emails the SES endpoint
accepted, against the list of bookings the load generator saw succeed:

- consumer lag is drained first (judging a half-processed state proves nothing), and every
  connector still runs (a failed source silently stops the whole flow);
- tickets are conserved, per active event: capacity = available + tickets in active
  reservations, and available is never negative;
- every successful booking has exactly one reservation, and no reservation exists without
  its booking (a booking answered 503 "not confirmed" may or may not exist: Jepsen's
  indeterminate operation);
- every reservation state got exactly one email; a duplicate is counted and, where the
  notification ledger recorded a retried send, explained rather than hidden.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from boletia.domain import model

EMAIL_STATE = (("confirmada", model.ACTIVE), ("cancelada", model.CUSTOMER_CANCEL),
               ("suspendido", model.CANCELLED))
RESERVA_ID = re.compile(r"reserva ([0-9a-f]{24})")


class CheckError(Exception):
    """The checker cannot judge (empty or foreign database): not a verdict."""


@dataclass
class Violation:
    invariant: str
    subject: str
    detail: str


@dataclass
class Report:
    design: str
    events: int = 0
    reservations: int = 0
    bookings_checked: int = 0
    uncertain_bookings: int = 0  # answered 503: may or may not exist
    emails: int = 0
    drained: bool = True
    lag: dict[str, Any] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    explained_duplicates: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations

    def add(self, invariant: str, subject: str, detail: str) -> None:
        self.violations.append(Violation(invariant, subject, detail))
        self.counts[invariant] = self.counts.get(invariant, 0) + 1

    def as_dict(self) -> dict:
        d = asdict(self)
        d["ok"] = self.ok
        return d


def email_state(subject: str) -> str | None:
    for word, state in EMAIL_STATE:
        if word in (subject or ""):
            return state
    return None


def check(db, design: str, bookings: list[str] | None = None, events: list[str] | None = None,
          uncertain: list[str] | None = None,
          emails: list[dict] | None = None, lag: dict | None = None,
          check_emails: bool = True, connectors: dict | None = None) -> Report:
    """Judge the state. `bookings`: ids of every booking answered 200 (None = not known, the
    per-booking checks are skipped); `events`: names in scope (None = every event)."""
    names = set(db.list_collection_names())
    if not {"eventos", "inventario", "reservas"} <= names:
        raise CheckError(f"database {db.name!r} has no eventos/inventario/reservas collections: "
                         "is this Boletia's database? Start the lab and run some load first")
    scope = {"nombre": {"$in": list(events)}} if events is not None else {}
    eventos = {e["nombre"]: e for e in db.eventos.find(scope)}
    if not eventos:
        raise CheckError("no events to check" + (f" among {sorted(events)[:5]}" if events else "")
                         + ": run `boletia load` (or create events) first")
    report = Report(design=design, events=len(eventos))
    if lag is not None:
        report.lag = lag
        report.drained = not any(v for group in lag.values() for v in group.values())
        if not report.drained:
            report.add("lag-drained", "consumers", f"messages still unprocessed: {lag}")

    for name, info in (connectors or {}).items():
        if info["state"] != "RUNNING" or any(t != "RUNNING" for t in info["tasks"]):
            report.add("connectors-running", name, f"connector {info['state']}, tasks {info['tasks']}")

    reservas = list(db.reservas.find({"evento": {"$in": list(eventos)}}))
    report.reservations = len(reservas)
    _tickets_conserved(db, design, eventos, reservas, report)
    if bookings is not None:
        _one_reservation_per_booking(bookings, uncertain or [], reservas, report)
    if check_emails and emails is not None:
        _one_email_per_state(db, design, reservas, emails, report)
    return report


def _tickets_conserved(db, design, eventos, reservas, report) -> None:
    held = Counter()
    for r in reservas:
        if r["estado"] == model.ACTIVE:
            held[r["evento"]] += r["cantidad"]
    for nombre, evento in eventos.items():
        inv = db.inventario.find_one({"nombre": nombre})
        if inv is None:
            report.add("inventory-exists", nombre, "the sink never copied the event into inventario")
            continue
        if evento["estado"] != model.ACTIVE or inv["estado"] != model.ACTIVE:
            if evento["estado"] != inv["estado"]:
                report.add("state-propagated", nombre,
                           f"eventos says {evento['estado']}, inventario {inv['estado']}")
            active = [r for r in reservas if r["evento"] == nombre and r["estado"] == model.ACTIVE]
            if inv["estado"] == model.CANCELLED and active:
                report.add("cancel-propagated", nombre,
                           f"{len(active)} reservations still A on a cancelled event")
            continue
        available = model.available(inv, design)
        capacity = evento["capacidad"]
        if available < 0:
            report.add("no-oversell", nombre, f"available is {available}")
        if capacity != available + held[nombre]:
            report.add("tickets-conserved", nombre,
                       f"capacity {capacity} != available {available} + held {held[nombre]} "
                       f"({available + held[nombre] - capacity:+d} tickets)")


def _one_reservation_per_booking(bookings, uncertain, reservas, report) -> None:
    ids = {str(r["_id"]) for r in reservas}
    booked = set(bookings)
    report.bookings_checked = len(booked)
    report.uncertain_bookings = len(set(uncertain))
    for missing in sorted(booked - ids):
        report.add("booking-has-reservation", missing, "booking answered 200, no reservation")
    for extra in sorted(ids - booked - set(uncertain)):
        report.add("reservation-has-booking", extra, "reservation without a successful booking")


def _one_email_per_state(db, design, reservas, emails, report) -> None:
    sent = Counter()
    for m in emails:
        rid = RESERVA_ID.search(m.get("body") or "")
        state = email_state(m.get("subject"))
        if rid and state:
            sent[(rid.group(1), state)] += 1
    report.emails = sum(sent.values())
    ledger = {d["_id"]: d for d in db["notificaciones"].find()} if design != "seed" else {}
    for r in reservas:
        rid = str(r["_id"])
        expected = [model.ACTIVE] + ([r["estado"]] if r["estado"] != model.ACTIVE else [])
        for state in expected:
            count = sent[(rid, state)]
            if count == 0:
                report.add("one-email-per-state", f"{rid}:{state}", "no email sent")
            elif count > 1:
                entry = ledger.get(f"{rid}:{state}", {})
                if entry.get("intentos", 0) >= count:
                    report.explained_duplicates += count - 1
                else:
                    report.add("one-email-per-state", f"{rid}:{state}",
                               f"{count} emails for one state")
