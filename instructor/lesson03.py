"""Lesson 03: the answers (show them after the lesson; boletia/lab/exercises/lesson03.py checks the first).

`cancel_method`, `cancel_path(rid)`: the customer's cancel. `predicted_last`: the consumer whose
lag drains last under the lesson's load (each email costs an SES call)."""

cancel_method = "DELETE"


def cancel_path(rid: str) -> str:
    return f"/reservas/{rid}"


predicted_last = "notificaciones"

QUESTIONS = {
    1: "404 with `no hay N boletos … quedan M`; the findAndModify matched nothing, so nothing changed.",
    2: "POST answered 200 at once; GET /reservas/{id} answered 404 until the consumer resumed and processed "
       "the message waiting on boletia.inventario: at-least-once, eventually.",
    3: "Not necessarily: with instant emails the three consumers drain within a sample or two of each other; "
       "which one finishes last then depends on the partition that got the last message.",
}
