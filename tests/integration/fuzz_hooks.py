"""Schemathesis hooks for the contract fuzz (loaded with SCHEMATHESIS_HOOKS).

Two seed paths share a prefix: GET /reservas/eventos (the inventory) is also what
/reservas/{evento}/{email} with evento "eventos" looks like, and /reservas/{reserva_id}
with id "eventos" (not an id by its pattern, but the inventory's own path). Flask routes
the literal path first, as the seed's Go router did, so those two values are the other
operation: they are left out of the fuzz.

Two hooks give the stateful phase something to follow, and say what they do:
- a valid booking of the stateful phase (positive mode) books the event the test created
  (BOLETIA_FUZZ_EVENTO, with a million tickets): a random event name is a 404, and the links
  from POST /reservas would never be followed past it (the other phases keep their names);
- after a booking's 200, its reservation is waited for (GET /reservas/{Id}, at most
  WAIT_RESERVATION s): the inventario consumer writes it a moment after the answer, as the
  document says on that 404. A reservation that never appears still fails the check.
"""

import os
import time

import requests
import schemathesis
from schemathesis.generation.meta import GenerationMode, TestPhase

WAIT_RESERVATION = 10.0


@schemathesis.hook
def filter_path_parameters(ctx, path_parameters):
    return not path_parameters or (path_parameters.get("reserva_id") != "eventos"
                                   and path_parameters.get("evento") != "eventos")


def _is_booking(case) -> bool:
    # the case's own method: the coverage phase also sends other methods to an operation's path
    return (case.method or case.operation.method).upper() == "POST" and case.operation.path == "/reservas"


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    evento = os.environ.get("BOLETIA_FUZZ_EVENTO")
    meta = getattr(case, "meta", None)
    stateful = (meta is not None and meta.phase.name == TestPhase.STATEFUL
                and meta.generation.mode == GenerationMode.POSITIVE)
    if evento and stateful and _is_booking(case) and isinstance(case.body, dict):
        case.body = {**case.body, "evento": evento}


@schemathesis.hook
def after_call(ctx, case, response):
    if not (_is_booking(case) and response.status_code == 200
            and response.request.method.upper() == "POST"):
        return
    url = response.request.url.rsplit("/reservas", 1)[0] + f"/reservas/{response.json()['Id']}"
    deadline = time.monotonic() + WAIT_RESERVATION
    while time.monotonic() < deadline:
        if requests.get(url, timeout=5).status_code == 200:
            return
        time.sleep(0.05)
