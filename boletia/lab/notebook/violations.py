"""A verdict's violation counts said with their unit: what each number counts.

The checker counts one violation per thing its invariant is about (a booking, an event, a
reservation's state, an email). A lesson that prints `tickets-conserved: 3` should also say
"3 events whose tickets do not add up"."""

from __future__ import annotations

# kind -> (one, many): what one violation of that invariant is
UNITS: dict[str, tuple[str, str]] = {
    "pipeline-drained": ("stage the canary did not get through", "stages the canary did not get through"),
    "connectors-running": ("connector or task not RUNNING", "connectors or tasks not RUNNING"),
    "components-running": ("component that stopped unasked", "components that stopped unasked"),
    "inventory-exists": ("event never copied into inventario", "events never copied into inventario"),
    "state-propagated": ("event whose state inventario disagrees on",
                         "events whose state inventario disagrees on"),
    "tickets-conserved": ("event whose tickets do not add up", "events whose tickets do not add up"),
    "no-oversell": ("event sold beyond its capacity", "events sold beyond their capacity"),
    "sold-matches-reservations": ("event whose vendidos is not its reservations' tickets",
                                  "events whose vendidos is not their reservations' tickets"),
    "cancel-propagated": ("active reservation on a cancelled event",
                          "active reservations on a cancelled event"),
    "booking-has-reservation": ("booking answered 200 with no reservation",
                                "bookings answered 200 with no reservation"),
    "reservation-has-booking": ("reservation no booking made", "reservations no booking made"),
    "reservation-matches-booking": ("reservation unlike its booking", "reservations unlike their booking"),
    "reservation-state": ("reservation in a state its history forbids",
                          "reservations in a state their history forbids"),
    "refund-matches-cancel": ("refund without its cancel, or cancel without its refund",
                              "refunds without their cancel, or cancels without their refund"),
    "email-missing": ("reservation state with no email", "reservation states with no email"),
    "email-duplicate": ("reservation state emailed more than once",
                        "reservation states emailed more than once"),
    "email-without-reservation": ("email about no reservation", "emails about no reservation"),
    "email-wrong-state": ("email for a state the reservation never had",
                          "emails for a state the reservation never had"),
    "email-matches-reservation": ("email unlike its reservation", "emails unlike their reservation"),
    "poison-dead-lettered": ("poison message not dead-lettered", "poison messages not dead-lettered"),
    "dead-lettered": ("message dead-lettered unexpectedly", "messages dead-lettered unexpectedly"),
}


def in_words(kind: str, n: int) -> str:
    """`n` violations of `kind` as a count with its unit ("3 events whose tickets do not add up")."""
    one, many = UNITS.get(kind, (f"× {kind}", f"× {kind}"))
    return f"{n} {one if n == 1 else many}"
