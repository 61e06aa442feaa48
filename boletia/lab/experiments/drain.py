"""Is the pipeline empty? Proved by a canary, not assumed from a lag of zero.

A lag of zero says each consumer group has committed what is on its topics; it cannot say
whether a source connector still has changes to publish, or whether a stuck sink will ever
move. So the canary makes one change at the very start of the chain and waits for it at
the very end, stage by stage:

1. the sentinel event's `categoria` changes in `eventos`     -> source -> boletia.eventos -> sink
   -> seen in `inventario`;
2. one ticket is booked on it (the same write the API makes) -> source -> boletia.inventario
   -> consumer `inventario` -> the reservation document exists;
3. that reservation                                            -> source -> boletia.reservas
   -> consumer `notificaciones` -> SES has its email;
4. then every group (the consumers and the sink) has lag 0 and keeps it for `quiet` seconds.

Change streams are ordered, so a canary that came out proves each source published
everything written before it. The sentinel event (`__sonda__`) is the checker's, never judged.
"""

from __future__ import annotations

import time
import uuid

from bson import ObjectId

from boletia import designs
from boletia.adapters import mongo, ses
from boletia.domain import model
from boletia.lab.experiments.checker import SENTINEL
from boletia.lab.notebook import observe

CANARY_EMAIL = "sonda@boletia.example"


def drain(db, settings, design: str, timeout: float = 120.0, quiet: float = 2.0) -> dict:
    """Send a canary through every stage and wait for every group to catch up. Returns
    {drained, stage (where it stopped, None if drained), detail, lag, seconds}."""
    begun = time.monotonic()
    deadline = begun + timeout
    left = lambda: max(1.0, deadline - time.monotonic())  # noqa: E731

    def result(drained: bool, stage: str | None, detail: str = "") -> dict:
        try:
            lag = observe.lags(settings.kafka_bootstrap)
        except Exception as exc:  # noqa: BLE001 - Kafka away: say so in the verdict
            lag = {"error": repr(exc)}
        return {"drained": drained, "stage": stage, "detail": detail, "lag": lag,
                "seconds": round(time.monotonic() - begun, 1)}

    token = uuid.uuid4().hex[:8]
    # the canary is active every time: one cancelled by hand (the API refuses, but a lab
    # written by an older version, or a student's pymongo, may have done it) would otherwise
    # never book again, and every verdict after it would be inconclusive
    db.eventos.update_one({"nombre": SENTINEL},
                          {"$setOnInsert": {"capacidad": model.MAX_CAPACITY},
                           "$set": {"categoria": f"sonda {token}", "estado": model.ACTIVE}},
                          upsert=True)
    try:
        observe.wait_for(lambda: db.inventario.find_one({"nombre": SENTINEL, "estado": model.ACTIVE,
                                                         "categoria": f"sonda {token}"}),
                         left(), "the canary's change in eventos reaching inventario")
    except TimeoutError:
        return result(False, "eventos -> source -> sink -> inventario",
                      "a change to eventos never reached inventario: is the source connector "
                      "or the sink stopped?")

    reserva = ObjectId()
    booking = model.NewBooking(evento=SENTINEL, cantidad=1, email=CANARY_EMAIL)
    mongo.apply(db, designs.get(design).book(booking, reserva))
    try:
        observe.wait_for(lambda: db.reservas.find_one({"_id": reserva}), left(),
                         "the canary booking's reservation")
    except TimeoutError:
        return result(False, "inventario -> source -> consumer inventario -> reservas",
                      "a booking never became a reservation")
    try:
        observe.wait_for(lambda: any(str(reserva) in (m.get("body") or "")
                                     for m in ses.sent_about([SENTINEL], settings)),
                         left(), "the canary reservation's email")
    except TimeoutError:
        return result(False, "reservas -> source -> consumer notificaciones -> SES",
                      "a reservation never got its email")
    try:
        observe.wait_drained(quiet=quiet, timeout=left(), bootstrap=settings.kafka_bootstrap)
    except TimeoutError as exc:
        return result(False, "consumer groups", str(exc))
    return result(True, None)
