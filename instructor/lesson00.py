"""Lesson 00: the answers (show them after the lesson; boletia/lab/exercises/lesson00.py checks the first).

`reads`: the topics each consumer reads (the lesson's "write it yourself" cell)."""

reads = {
    "inventario": {"boletia.inventario"},
    "reembolsos": {"boletia.reservas"},
    "notificaciones": {"boletia.reservas"},
}

QUESTIONS = {
    1: "connect: the sink runs inside Kafka Connect. Bookings go through the `reservas` API and the "
       "`inventario` consumer, but the confirmation of a booking (the reservation document) also needs "
       "the source connector, so bookings are accepted and recorded later, when Connect is back.",
    2: "boletia lab logs connect (the file is .lab/logs/connect.log).",
}
