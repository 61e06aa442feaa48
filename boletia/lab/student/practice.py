"""Instant feedback on the student's three decisions: small cases, each with a hint.

`booking_in` is pure and is judged on its answers. `refund` and `email_ledger` return writes,
so they are judged by what those writes DO: each case carries them out on the lab's real
MongoDB, in a scratch database (`boletia_practice`) that no connector watches, delivering the
same message once or twice as Kafka may. The same cases run in the project's tests against
the reference solution (all pass) and the untouched stubs (the key ones fail).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from bson import ObjectId

from boletia.adapters import mongo
from boletia.domain import decisions

PRACTICE_DB = "boletia_practice"


@dataclass(frozen=True)
class Case:
    exercise: str   # refund | booking_in | email_ledger
    name: str
    hint: str
    run: Callable   # (module, db) -> (passed, what happened)
    hidden: bool = False  # graded, not shown while practising


@dataclass
class Result:
    case: Case
    passed: bool
    detail: str


# ---------------------------------------------------------------- exercise 1: refund
def _refund_world(db, vendidos: int = 5, estado: str = "A") -> str:
    nombre = f"Practica {ObjectId()}"
    db.inventario.insert_one({"nombre": nombre, "capacidad": 10, "vendidos": vendidos, "estado": estado})
    return nombre


def _cancel(nombre: str, cantidad: int) -> dict:
    return {"_id": ObjectId(), "evento": nombre, "email": "ana@x.es", "cantidad": cantidad, "estado": "X"}


def _deliver_refund(module, db, reservation: dict, times: int) -> int:
    for _ in range(times):  # each delivery decides again, as the consumer does
        for write in module.refund(dict(reservation)):
            mongo.apply(db, write)
    return db.inventario.find_one({"nombre": reservation["evento"]})["vendidos"]


def refund_once(module, db):
    nombre = _refund_world(db)
    left = _deliver_refund(module, db, _cancel(nombre, 2), 1)
    return left == 3, f"vendidos 5, one cancel of 2 -> vendidos {left} (expected 3)"


def refund_redelivered(module, db):
    nombre = _refund_world(db)
    left = _deliver_refund(module, db, _cancel(nombre, 2), 2)
    return left == 3, f"vendidos 5, the same cancel of 2 delivered twice -> vendidos {left} (expected 3)"


def refund_two_customers(module, db):
    nombre = _refund_world(db)
    _deliver_refund(module, db, _cancel(nombre, 2), 1)
    left = _deliver_refund(module, db, _cancel(nombre, 1), 2)
    return left == 2, f"vendidos 5, two cancels (2, then 1 delivered twice) -> vendidos {left} (expected 2)"


def refund_cancelled_event(module, db):
    nombre = _refund_world(db, estado="C")
    left = _deliver_refund(module, db, _cancel(nombre, 2), 1)
    return left == 5, f"a cancel on a cancelled event -> vendidos {left} (expected 5: nothing to give back)"


# ---------------------------------------------------------------- exercise 2: booking_in
def _update(fields: dict, full: dict) -> dict:
    return {"operationType": "update", "fullDocument": full,
            "updateDescription": {"updatedFields": fields, "removedFields": []}}


R1 = {"id": "R1", "email": "ana@x.es", "cantidad": 2}
R2 = {"id": "R2", "email": "luis@x.es", "cantidad": 1}
EVENT = {"nombre": "Opera", "estado": "A", "capacidad": 10}


def booking_own_fields(module, db):
    got = module.booking_in(_update({"vendidos": 3, "reserva": R1}, {**EVENT, "reserva": R2}))
    return got == R1, f"a change that booked R1, looked up after R2 booked -> {got} (expected R1)"


def booking_refund_echo(module, db):
    got = module.booking_in(_update({"vendidos": 1}, {**EVENT, "reserva": R2}))
    return got is None, (f"a refund's change (vendidos only), document still showing R2 -> {got} "
                         "(expected None)")


def booking_sink_copy(module, db):
    got = module.booking_in({"operationType": "replace", "fullDocument": {**EVENT, "reserva": R2}})
    return got is None, f"the sink rewriting the event -> {got} (expected None)"


def booking_cancel(module, db):
    got = module.booking_in(_update({"estado": "C"}, {**EVENT, "estado": "C", "reserva": R2}))
    return got is None, f"the event cancelled -> {got} (expected None)"


# ---------------------------------------------------------------- exercise 3: email_ledger
def _deliveries(module, db, plan: list[tuple[str, bool]]) -> tuple[int, dict]:
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
    sent, _ = _deliveries(module, db, [("A", True)])
    return sent == 1, f"one delivery -> {sent} email(s) (expected 1)"


def ledger_redelivered(module, db):
    sent, _ = _deliveries(module, db, [("A", True), ("A", True)])
    return sent == 1, f"the same state delivered again after its email -> {sent} email(s) (expected 1)"


def ledger_crash(module, db):
    sent, entries = _deliveries(module, db, [("A", False), ("A", True)])
    counted = entries.get("A", {}).get("intentos")
    return sent == 2 and counted == 2, (f"a crash between SES and the ledger, then the redelivery -> "
                                        f"{sent} email(s), intentos {counted} (expected 2 and 2: "
                                        "at-least-once can resend, but must count it)")


def ledger_states(module, db):
    sent, _ = _deliveries(module, db, [("A", True), ("X", True)])
    return sent == 2, f"state A then state X of one reservation -> {sent} email(s) (expected 2)"


CASES: tuple[Case, ...] = (
    Case("refund", "one cancel gives its tickets back", "FindAndModify the event with "
         "{'$inc': {'vendidos': -cantidad}}", refund_once),
    Case("refund", "a redelivered cancel gives nothing back twice", "key the refund on the "
         "reservation's _id: e.g. an InsertOne of a refund document with that _id, in one "
         "Transaction with the $inc — a redelivery meets the _id and nothing is written", refund_redelivered),
    Case("refund", "two customers' cancels both refund", "the key must be the reservation, not the "
         "event", refund_two_customers),
    Case("refund", "a cancel on a cancelled event refunds nothing", "match the event only while "
         "its estado is 'A'", refund_cancelled_event, hidden=True),
    Case("booking_in", "a booking is read as that write made it", "fullDocument is looked up "
         "later; read change['updateDescription']['updatedFields']['reserva']", booking_own_fields),
    Case("booking_in", "a refund's change is no booking", "a refund's write changes 'vendidos' "
         "only: its updatedFields carry no 'reserva'", booking_refund_echo),
    Case("booking_in", "the sink rewriting the event is no booking", "only an 'update' can be a "
         "booking", booking_sink_copy),
    Case("booking_in", "a cancellation is no booking", "look at what this write changed, not at "
         "the document", booking_cancel, hidden=True),
    Case("email_ledger", "the first delivery sends", "the upsert must match (or insert) when no "
         "email was sent", ledger_first),
    Case("email_ledger", "a redelivery after the email sends nothing", "match only while "
         "{'enviado': {'$ne': True}}: once sent, the upsert tries a second document with the same "
         "_id and fails", ledger_redelivered),
    Case("email_ledger", "a crash before the mark resends, and counts it", "'$inc': {'intentos': 1} "
         "on every claim; and do not put enviado in $setOnInsert as True", ledger_crash),
    Case("email_ledger", "each state is its own email", "the _id is f'{reserva}:{estado}'",
         ledger_states, hidden=True),
)


def check(module: ModuleType, settings, exercises: tuple[str, ...] | None = None,
          hidden: bool = False) -> list[Result]:
    """Run the cases (the hidden ones too when `hidden`) against `module`."""
    results = []
    with mongo.client(settings.mongo_uri, operation_timeout_ms=10_000) as c:
        db = c[PRACTICE_DB]
        db.create_collection("reembolsos") if "reembolsos" not in db.list_collection_names() else None
        # the lab's ledger index, so a case meets what the consumer meets
        db[mongo.NOTIFICATIONS].create_index([("reserva", 1), ("estado", 1)], unique=True,
                                             name="una_por_estado")
        for case in CASES:
            if (exercises and case.exercise not in exercises) or (case.hidden and not hidden):
                continue
            try:
                passed, detail = case.run(module, db)
            except Exception as exc:  # noqa: BLE001 - the student's code raised: that is the result
                passed, detail = False, f"raised {type(exc).__name__}: {exc}"
            results.append(Result(case, passed, detail))
        c.drop_database(PRACTICE_DB)
    return results


def show(results: list[Result]) -> str:
    lines = []
    for r in results:
        mark = "✓" if r.passed else "✗"
        lines.append(f"{mark} [{r.case.exercise}] {r.case.name}")
        if not r.passed:
            lines.append(f"    {r.detail}\n    hint: {r.case.hint}")
    passed = sum(r.passed for r in results)
    lines.append(f"{passed}/{len(results)} cases pass")
    return "\n".join(lines)
