"""A small HTTP client for the two services, used by notebooks, tests and the load generator.

It returns the services' answers as they are (status and body), so an experiment can record
every request and its answer; helpers that wait for the asynchronous half (the consumer
writing the reservation) poll the public API, as a customer's app would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from boletia import config
from boletia.domain import ownership
from boletia.lab.notebook.observe import wait_for

# The secrets of the bookings this process made, by reservation id (the fixed designs: reading
# or cancelling one needs it; boletia.domain.ownership). Shared by every client of the process,
# so a lesson, a benchmark or the chaos load reads and cancels what it booked, with whichever
# client, unchanged. A client made with keeps_secrets=False (the box office, serving many
# customers) neither keeps nor sends them: each customer sends their own.
SECRETS: dict[str, str] = {}


@dataclass
class Answer:
    status: int
    body: Any
    # a booking's secret, kept out of `body` (and out of its repr): a lesson that prints the
    # answer shows the same output every run, and never a secret
    secret: str | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == 200


class Boletia:
    def __init__(self, token: str | None = None, settings: config.Settings | None = None,
                 timeout: float = 15.0, keeps_secrets: bool = True):
        self.settings = settings or config.settings()
        self.secrets = SECRETS if keeps_secrets else None
        self.timeout = timeout
        self.http = requests.Session()
        self.http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=64))
        self.admin = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, url: str, **kw) -> Answer:
        r = self.http.request(method, url, timeout=self.timeout, **kw)
        try:
            body = r.json()
        except ValueError:
            body = r.text
        return Answer(r.status_code, body)

    # admin area
    def create_event(self, nombre: str, capacidad: int, categoria: str = "Lab") -> Answer:
        return self._call("POST", f"{self.settings.eventos_url}/eventos", headers=self.admin,
                          json={"nombre": nombre, "capacidad": capacidad, "categoria": categoria})

    def cancel_event(self, nombre: str) -> Answer:
        return self._call("DELETE", f"{self.settings.eventos_url}/eventos/{quote(nombre)}",
                          headers=self.admin)

    def events(self) -> Answer:
        return self._call("GET", f"{self.settings.eventos_url}/eventos", headers=self.admin)

    # public area
    def inventory(self, nombre: str | None = None) -> Answer:
        path = f"/reservas/eventos/{quote(nombre)}" if nombre else "/reservas/eventos"
        return self._call("GET", self.settings.reservas_url + path)

    def book(self, evento: str, cantidad: int, email: str) -> Answer:
        """The booking's answer; its secret (the fixed designs, also in a 503's body) moves
        from the body to `secret`, and is kept for `reservation` and `cancel`."""
        answer = self._call("POST", f"{self.settings.reservas_url}/reservas",
                            json={"evento": evento, "cantidad": cantidad, "email": email})
        if isinstance(answer.body, dict) and ownership.FIELD in answer.body:
            answer.secret = answer.body.pop(ownership.FIELD)
            if self.secrets is not None and answer.body.get("Id"):
                self.secrets[str(answer.body["Id"])] = answer.secret
        return answer

    def _owner(self, reserva_id: str, secret: str | None) -> dict[str, str]:
        """The header that proves the booking is ours: the secret given, else the kept one."""
        if secret is None and self.secrets is not None:
            secret = self.secrets.get(str(reserva_id))
        return {ownership.HEADER: secret} if secret else {}

    def reservation(self, reserva_id: str, secret: str | None = None) -> Answer:
        return self._call("GET", f"{self.settings.reservas_url}/reservas/{reserva_id}",
                          headers=self._owner(reserva_id, secret))

    def reservations(self, evento: str, email: str) -> Answer:
        return self._call("GET", f"{self.settings.reservas_url}/reservas/{quote(evento)}/{quote(email)}")

    def cancel(self, reserva_id: str, secret: str | None = None) -> Answer:
        return self._call("DELETE", f"{self.settings.reservas_url}/reservas/{reserva_id}",
                          headers=self._owner(reserva_id, secret))

    # waiting for the asynchronous half
    def wait_for(self, probe, timeout: float = 30.0, what: str = "the condition"):
        """Poll `probe()` until it is truthy and return it; raise TimeoutError naming `what`."""
        return wait_for(probe, timeout, what)

    def wait_available(self, nombre: str, expected: int, timeout: float = 30.0) -> int:
        """Wait until the event shows `expected` tickets available; returns it."""
        def probe():
            a = self.inventory(nombre)
            return a.ok and a.body["Disponible"] == expected
        try:
            self.wait_for(probe, timeout)
        except TimeoutError:
            a = self.inventory(nombre)
            raise TimeoutError(f"{nombre!r} did not show Disponible={expected} within "
                               f"{timeout:.0f}s (it shows {a.body if a.ok else a.status})") from None
        return expected

    def wait_reservation(self, reserva_id: str, estado: str = "A", timeout: float = 30.0,
                         secret: str | None = None) -> Answer:
        """Wait until the reservation exists in state `estado`; returns the answer."""
        def probe():
            a = self.reservation(reserva_id, secret)
            return a if a.ok and a.body["Estado"] == estado else None
        try:
            return self.wait_for(probe, timeout)
        except TimeoutError:
            a = self.reservation(reserva_id, secret)
            raise TimeoutError(f"reservation {reserva_id} not in state {estado} within "
                               f"{timeout:.0f}s (GET answers {a.status} {a.body})") from None
