"""Instant feedback on the student's three decisions: small cases, each with a hint.

`booking_in` is pure and is judged on its answers. `refund` and `email_ledger` return writes,
so they are judged by what those writes DO: each case carries them out on the lab's real
MongoDB, in a scratch database (`boletia_practice`) that no connector watches, delivering the
same message once or twice as Kafka may.

Two kinds of case: a *key* case is one the seed's behaviour fails (it is worth a point when
graded); a *guard* case is ordinary behaviour the seed already has (worth nothing, but a fix
that breaks it loses its key points: returning nothing is no fix). The hints name the idea
(at-least-once, atomicity, the echo), never the code. These are the practice cases only: the
grader's cases are drawn at grade time from the instructor's folder, and are not in this package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, SimpleNamespace

from bson import ObjectId

from boletia import config
from boletia.adapters import mongo
from boletia.domain import decisions

PRACTICE_DB = config.PRACTICE_DATABASE


@dataclass(frozen=True)
class Case:
    exercise: str   # refund | booking_in | email_ledger
    name: str
    hint: str
    run: Callable   # (module, db) -> (passed, what happened)
    key: bool = True  # the seed fails it (a point); False: a guard the seed passes (no point)


@dataclass
class Result:
    case: Case
    passed: bool
    detail: str


# ---------------------------------------------------------------- exercise 1: refund
def refund_world(db, vendidos: int = 5, estado: str = "A") -> str:
    nombre = f"Practica {ObjectId()}"
    db.inventario.insert_one({"nombre": nombre, "capacidad": 10, "vendidos": vendidos, "estado": estado})
    return nombre


def cancel(nombre: str, cantidad: int) -> dict:
    return {"_id": ObjectId(), "evento": nombre, "email": "ana@x.es", "cantidad": cantidad, "estado": "X"}


def deliver_refund(module, db, reservation: dict, times: int) -> int:
    for _ in range(times):  # each delivery decides again, as the consumer does
        for write in module.refund(dict(reservation)):
            mongo.apply(db, write)
    return db.inventario.find_one({"nombre": reservation["evento"]})["vendidos"]


def refund_once(module, db):
    nombre = refund_world(db)
    left = deliver_refund(module, db, cancel(nombre, 2), 1)
    return left == 3, f"vendidos 5, one cancel of 2 -> vendidos {left} (expected 3)"


def refund_redelivered(module, db):
    nombre = refund_world(db)
    left = deliver_refund(module, db, cancel(nombre, 2), 2)
    return left == 3, f"vendidos 5, the same cancel of 2 delivered twice -> vendidos {left} (expected 3)"


def refund_two_customers(module, db):
    nombre = refund_world(db)
    deliver_refund(module, db, cancel(nombre, 2), 1)
    left = deliver_refund(module, db, cancel(nombre, 1), 2)
    return left == 2, f"vendidos 5, two cancels (2, then 1 delivered twice) -> vendidos {left} (expected 2)"


# ---------------------------------------------------------------- exercise 2: booking_in
def updated(fields: dict, full: dict) -> dict:
    return {"operationType": "update", "fullDocument": full,
            "updateDescription": {"updatedFields": fields, "removedFields": []}}


R1 = {"id": "R1", "email": "ana@x.es", "cantidad": 2}
R2 = {"id": "R2", "email": "luis@x.es", "cantidad": 1}
EVENT = {"nombre": "Opera", "estado": "A", "capacidad": 10}


def booking_own_fields(module, db):
    got = module.booking_in(updated({"vendidos": 3, "reserva": R1}, {**EVENT, "reserva": R2}))
    return got == R1, f"a change that booked R1, looked up after R2 booked -> {got} (expected R1)"


def booking_refund_echo(module, db):
    got = module.booking_in(updated({"vendidos": 1}, {**EVENT, "reserva": R2}))
    return got is None, (f"a refund's change (vendidos only), document still showing R2 -> {got} "
                         "(expected None)")


def booking_sink_copy(module, db):
    got = module.booking_in({"operationType": "replace", "fullDocument": {**EVENT, "reserva": R2}})
    return got is None, f"the sink rewriting the event -> {got} (expected None)"


# ---------------------------------------------------------------- exercise 3: email_ledger
def deliveries(module, db, plan: list[tuple[str, bool]]) -> tuple[int, dict]:
    """`plan`: (state, marked) per delivery; marked False = a crash after SES, before the mark."""
    rid = str(ObjectId())
    sent = 0
    for estado, marked in plan:
        filt, update = module.email_ledger(rid, estado)
        update = decisions.ledger_identity(filt, update, rid, estado)  # as the consumer does
        if mongo.claim(db.notificaciones, filt, update):
            sent += 1
            if marked:
                db.notificaciones.update_one({"_id": f"{rid}:{estado}"}, {"$set": {"enviado": True}})
    entries = {d["_id"].split(":")[1]: d for d in db.notificaciones.find({"_id": {"$regex": f"^{rid}:"}})}
    return sent, entries


def ledger_first(module, db):
    sent, _ = deliveries(module, db, [("A", True)])
    return sent == 1, f"one delivery -> {sent} email(s) (expected 1)"


def ledger_redelivered(module, db):
    sent, _ = deliveries(module, db, [("A", True), ("A", True)])
    return sent == 1, f"the same state delivered again after its email -> {sent} email(s) (expected 1)"


def ledger_crash(module, db):
    sent, entries = deliveries(module, db, [("A", False), ("A", True)])
    counted = entries.get("A", {}).get("intentos")
    return sent == 2 and counted == 2, (f"a crash between SES and the ledger, then the redelivery -> "
                                        f"{sent} email(s), intentos {counted} (expected 2 and 2: "
                                        "at-least-once can resend, but must count it)")


AT_LEAST_ONCE = ("at-least-once: Kafka may deliver the same message again after your writes "
                 "(a crash before the commit). What does the second delivery find that the first "
                 "left behind?")
ATOMIC = ("atomicity: the trace that says 'this reservation was refunded' and the refund itself "
          "must happen together or not at all, or a crash between them breaks one of the two")
PER_RESERVATION = "what is unique to one cancel: one customer's trace must not block another's"
LOOKUP = ("the lookup: the document in a change event is read when the connector reads the change, "
          "possibly after later writes. What in the event describes THIS write alone?")
ECHO = ("the echo: the consumer also sees changes that are not bookings (its own refunds, the sink's "
        "copy). A booking is a write that stamped a booking")
LEDGER = ("at-least-once at the edge: an email cannot be taken back. Claim the (reservation, state) "
          "before sending, so that a claim already fulfilled makes the next one fail")
COUNT = ("a resend is allowed (a crash between SES and the ledger) but must be visible: every "
         "attempt leaves its trace, and a claim not yet fulfilled may be claimed again")


def seed_refund(reservation: dict) -> list:
    """The seed's refund (and the stub's): a plain $inc, for the prediction's comparison."""
    return [decisions.FindAndModify("inventario", {"nombre": reservation["evento"], "estado": "A"},
                                    {"$inc": {"vendidos": -reservation["cantidad"]}})]


def booking_plain(module, db):
    got = module.booking_in(updated({"vendidos": 3, "reserva": R1}, {**EVENT, "reserva": R1}))
    return got == R1, f"a booking of R1, the document still showing R1 -> {got} (expected R1)"


CASES: tuple[Case, ...] = (
    Case("refund", "one cancel gives its tickets back", "a cancel gives back what it booked",
         refund_once, key=False),
    Case("refund", "a redelivered cancel gives nothing back twice", f"{AT_LEAST_ONCE}; {ATOMIC}",
         refund_redelivered),
    Case("refund", "two customers' cancels both refund", PER_RESERVATION, refund_two_customers),
    Case("booking_in", "a lone booking is read", "a booking is a booking", booking_plain, key=False),
    Case("booking_in", "a booking is read as that write made it", LOOKUP, booking_own_fields),
    Case("booking_in", "a refund's change is no booking", ECHO, booking_refund_echo),
    Case("booking_in", "the sink rewriting the event is no booking", ECHO, booking_sink_copy),
    Case("email_ledger", "the first delivery sends", "the first claim of a pair must succeed",
         ledger_first, key=False),
    Case("email_ledger", "a redelivery after the email sends nothing", LEDGER, ledger_redelivered),
    Case("email_ledger", "a crash before the mark resends, and counts it", COUNT, ledger_crash,
         key=False),
)


def load(design) -> ModuleType | SimpleNamespace:
    """A path is imported afresh (the file as saved now); anything else is used as it is."""
    if isinstance(design, (str, Path)):
        from boletia.designs import student
        return student.load(Path(design))
    return design


def check(design, settings, exercises: tuple[str, ...] | None = None,
          cases: tuple[Case, ...] = CASES) -> list[Result]:
    """Run `cases` against `design`: a path to a student's file (imported afresh, every call),
    or an object with the three functions (a sandboxed submission)."""
    module = load(design)
    results = []
    with mongo.connect(settings, operation_timeout_ms=10_000) as c:
        c.drop_database(PRACTICE_DB)
        db = c[PRACTICE_DB]
        db.create_collection("reembolsos")
        # the lab's ledger index, so a case meets what the consumer meets
        db[mongo.NOTIFICATIONS].create_index([("reserva", 1), ("estado", 1)], unique=True,
                                             name="una_por_estado")
        for case in cases:
            if exercises and case.exercise not in exercises:
                continue
            try:
                passed, detail = case.run(module, db)
            except Exception as exc:  # noqa: BLE001 - the student's code raised: that is the result
                passed, detail = False, f"raised {type(exc).__name__}: {exc}"
            results.append(Result(case, passed, detail))
        c.drop_database(PRACTICE_DB)
    return results


def seed_redelivery(settings) -> int:
    """What the seed's refund leaves: vendidos 5, a cancel of 2 delivered twice."""
    with mongo.connect(settings, operation_timeout_ms=10_000) as c:
        db = c[PRACTICE_DB]
        nombre = refund_world(db)
        left = deliver_refund(SimpleNamespace(refund=seed_refund), db, cancel(nombre, 2), 2)
        c.drop_database(PRACTICE_DB)
    return left


WIDTH = 110   # a lesson's output line: read without scrolling sideways


def wrapped(text: str, indent: str = "", width: int = WIDTH) -> str:
    """A long line of feedback folded at word boundaries, its continuation indented further."""
    import textwrap

    return textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_long_words=False, break_on_hyphens=False)


def show(results: list[Result]) -> str:
    """A line per case; under a failed one its detail (a line per finding) and its hint, each
    hint in full once: cases that share one say so instead of repeating it."""
    lines, hinted = [], {}
    for r in results:
        mark = "✓" if r.passed else "✗"
        lines.append(f"{mark} [{r.case.exercise}] {r.case.name}")
        if not r.passed:
            lines += [wrapped(line, "    ") for line in str(r.detail).splitlines() or [""]]
            first = hinted.setdefault(r.case.hint, r.case.name)
            lines.append(f"    hint: as for “{first}” above" if first != r.case.name
                         else wrapped(f"hint: {r.case.hint}", "    "))
    passed = sum(r.passed for r in results)
    lines.append(f"{passed}/{len(results)} cases pass")
    return "\n".join(lines)
