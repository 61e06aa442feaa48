"""Consumer `notificaciones`: one email per reservation state through SES (seed flow,
step 5: docs/seed-design.md).

Fixed design (failure mode 6, docs/failure-modes.md): a ledger in collection
`notificaciones` keyed by reservation and state. A state whose email was sent is never sent
again (`suprimidos` counts the redeliveries
stopped); a redelivery that finds a send started but not confirmed (a crash between SES and
the ledger) sends again, and `intentos` > 1 records the possible duplicate: at-least-once
cannot promise better, but it can tell. An attempt SES certainly did not send (refused, or
never reached) counts in `rechazados`, so it explains no duplicate.
"""

from __future__ import annotations

from datetime import UTC, datetime

from boletia import config, designs
from boletia.adapters import mongo, ses
from boletia.adapters.at_least_once import ALREADY_DONE, IGNORED, WROTE
from boletia.adapters.ses import Mailer
from boletia.consumers import priority, runner
from boletia.designs.base import Design
from boletia.domain import decisions, messages, ownership

GROUP = "notificaciones"
TOPICS = ["boletia.reservas"]


def make_handler(db, mailer: Mailer, design: Design, booking_key: str = ""):
    """The design says how an email is claimed in the ledger, or that it has none (the seed),
    and whether the confirmation carries the booking's secret (then `booking_key` derives it)."""
    ledger = db[mongo.NOTIFICATIONS]
    secret = None
    if design.owns_bookings:
        try:
            key = ownership.key_bytes(booking_key)
        except ownership.MissingKey as exc:
            raise SystemExit(f"notificaciones, design {design.name}: {exc}") from None

        def secret(reserva_id: str) -> str:
            return ownership.secret_for(key, reserva_id)

    def handle(topic: str, doc: dict) -> str:
        """WROTE when an email was sent (the point a crash fault waits for), ALREADY_DONE
        when the ledger says this state's email went out before."""
        email = decisions.notification(messages.reservation(doc, emailed=True), secret)
        if isinstance(email, decisions.Ignore):
            return IGNORED
        claim = design.email_claim(email.reserva, email.estado, email.to)
        if claim is None:  # no ledger: every delivery sends
            mailer.send(email.to, email.subject, email.body)
            return WROTE
        key = f"{email.reserva}:{email.estado}"
        # Count the attempt before sending; a state already sent makes the claim fail.
        filt, update = claim
        if not mongo.claim(ledger, filt, update):
            ledger.update_one({"_id": key}, {"$inc": {"suprimidos": 1}})
            return ALREADY_DONE
        try:
            message_id = mailer.send(email.to, email.subject, email.body)
        except (ses.Refused, ses.Unreachable):
            # certainly not sent: this attempt cannot explain a duplicate later
            ledger.update_one({"_id": key}, {"$inc": {"rechazados": 1}})
            raise
        # every confirmed MessageId is kept: a second one means the claim let a sent state go
        # again, which no crash explains (the checker reads them against SES's order)
        ledger.update_one({"_id": key}, {
            "$set": {"enviado": True, "message_id": message_id, "at": datetime.now(UTC)},
            "$push": {"confirmados": message_id}})
        return WROTE
    return handle


def main(hooks=None) -> None:
    s = config.settings()
    design = designs.get(s.design).prepared(s.student_module)
    client = mongo.connect(s, app_name=GROUP, operation_timeout_ms=10_000)
    # the seed's consumer keeps the seed's behaviour; the others let the bookings go first
    yields = design.email_yields and s.email_yield_above > 0
    handler = make_handler(mongo.database(client), Mailer(s), design, s.booking_key)
    runner.run(GROUP, TOPICS, handler, s, design,
               hooks=hooks, priority=(lambda: priority.Yield(s.email_yield_above, s.email_max_hold,
                                                               calm=s.email_calm))
               if yields else None)
