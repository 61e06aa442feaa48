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

The fixed design's bookings need their secret (issue 28.1; security scheme `clave`, header
X-Boletia-Clave): the links pass it from the booking's answer, and `BookingSecret` supplies it
as the run's credentials for every request on a reservation this run booked. Supplied that
way it counts as explicit authentication, so the check `ignored_auth` probes each operation
without it and with a wrong one, and wants them refused (403). Any other request carries what
the fuzzer generated, or nothing.
"""

import os
import time
from urllib.parse import urlsplit

import requests
import schemathesis
from schemathesis.generation.meta import GenerationMode, TestPhase

WAIT_RESERVATION = 10.0
SECRET_HEADER = "X-Boletia-Clave"
SECRETS: dict[str, str] = {}  # the secrets of the bookings this run made, by reservation id


@schemathesis.auth(refresh_interval=None)
class BookingSecret:
    """The secret of a reservation this run booked, for the requests on that reservation."""

    def get(self, case, ctx):
        return SECRETS.get(str((case.path_parameters or {}).get("reserva_id", "")))

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), SECRET_HEADER: data}


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
    booked = response.json()
    secret = {SECRET_HEADER: booked["Clave"]} if booked.get("Clave") else {}
    if secret:
        SECRETS[str(booked["Id"])] = booked["Clave"]
    url = response.request.url.rsplit("/reservas", 1)[0] + f"/reservas/{booked['Id']}"
    deadline = time.monotonic() + WAIT_RESERVATION
    while time.monotonic() < deadline:
        if requests.get(url, headers=secret, timeout=5).status_code == 200:
            return
        time.sleep(0.05)


# A cancel's state, for the check below: a reservation a customer cancelled is X, an event
# the organisers cancelled is C (SPEC section 3: neither is ever removed).
CANCELLED_STATE = {"/reservas/": "X", "/eventos/": "C"}


@schemathesis.check
class CancelledReadsCancelled:
    """In place of "use after free" (left out: it expects a 404 once a DELETE succeeded, and
    these DELETEs cancel, never remove): once a DELETE succeeded, a read of the same resource
    answers it with its cancelled state, never as still active. After the run it prints how
    many such reads it judged, so a run that never read a cancelled thing is seen as such."""

    def __init__(self):
        self.cancelled: dict[str, str] = {}
        self.judged: set[str] = set()

    def after_response(self, ctx, response, case):
        request = response.request
        path = urlsplit(request.url).path
        kind = next((state for prefix, state in CANCELLED_STATE.items()
                     if path.startswith(prefix) and path.count("/") == 2), None)
        if kind is None or not 200 <= response.status_code < 300:
            return
        method = request.method.upper()
        if method == "DELETE":
            self.cancelled[path] = kind
        elif method == "GET" and path in self.cancelled:
            body = response.json()
            estado = body.get("Estado") if isinstance(body, dict) else None
            if estado != self.cancelled[path]:
                raise AssertionError(f"GET {path} answered Estado {estado!r} after its DELETE "
                                     f"succeeded: a cancelled resource reads as "
                                     f"{self.cancelled[path]!r} (SPEC section 3)")
            self.judged.add(path)

    def after_run(self, ctx):
        print(f"cancelled-reads-cancelled: {len(self.judged)} reads after a cancel judged")
