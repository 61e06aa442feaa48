"""Hidden broken design 2 (level 4): an email ledger that counts every attempt and never
refuses one. Its claim matches whether the email was sent or not, so a redelivered reservation
is emailed again. Correct under plain load; a redelivery after the send exposes it."""

from boletia.lab.student import alone

JUDGED = "email_ledger"
refund, booking_in = alone.refund, alone.booking_in


def email_ledger(reserva: str, estado: str) -> tuple[dict, dict]:
    return ({"_id": f"{reserva}:{estado}"},
            {"$setOnInsert": {"reserva": reserva, "estado": estado, "enviado": False},
             "$inc": {"intentos": 1}})
