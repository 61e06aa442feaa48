"""Reference answer of lesson 04's exercise (the email's idempotency key). Not for students."""


def email_key(message: dict) -> str:
    """One email per reservation state: the reservation's id and the state the email tells."""
    doc = message["value"]
    return f"{doc['_id']}:{doc['estado']}"


# Answers to the questions at the end of lesson 04 ("Exercises").
ANSWERS = """
1. `email-duplicate` (two emails for one state). The fixed consumer counts the attempt in the ledger
   (collection `notificaciones`, key reservation:state) before sending and marks it sent after; a
   redelivered message finds *sent*, logs `already-done` and is suppressed.
2. Fixed: the consumer keeps retrying that one message with back-off (lag grows, nothing is lost)
   until the fail point is exhausted, then catches up. Seed: 50 messages are skipped; their bookings
   never become reservations (and an event cancelled meanwhile keeps its reservations active). The
   refunds are not touched: they are `reembolsos`' writes, and the fail point is `inventario`'s.
3. The seed's standalone Connect kept source offsets in `/tmp` inside its container: a restart started
   from the current position of the change stream, skipping everything that happened while it was
   down. In distributed mode offsets live in the `connect-offsets` topic, replicated three times.
"""
