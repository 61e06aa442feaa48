"""A small HTTP client for the two services, used by notebooks, tests and the load generator.

It returns the services' answers as they are (status and body), so an experiment can record
every request and its answer; helpers that wait for the asynchronous half (the consumer
writing the reservation) poll the public API, as a customer's app would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from boletia import config
from boletia.lab.notebook.observe import wait_for


@dataclass
class Answer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return self.status == 200


class Boletia:
    def __init__(self, token: str | None = None, settings: config.Settings | None = None,
                 timeout: float = 15.0):
        self.settings = settings or config.settings()
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
        return self._call("POST", f"{self.settings.reservas_url}/reservas",
                          json={"evento": evento, "cantidad": cantidad, "email": email})

    def reservation(self, reserva_id: str) -> Answer:
        return self._call("GET", f"{self.settings.reservas_url}/reservas/{reserva_id}")

    def reservations(self, evento: str, email: str) -> Answer:
        return self._call("GET", f"{self.settings.reservas_url}/reservas/{quote(evento)}/{quote(email)}")

    def cancel(self, reserva_id: str) -> Answer:
        return self._call("DELETE", f"{self.settings.reservas_url}/reservas/{reserva_id}")

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

    def wait_reservation(self, reserva_id: str, estado: str = "A", timeout: float = 30.0) -> Answer:
        """Wait until the reservation exists in state `estado`; returns the answer."""
        def probe():
            a = self.reservation(reserva_id)
            return a if a.ok and a.body["Estado"] == estado else None
        try:
            return self.wait_for(probe, timeout)
        except TimeoutError:
            a = self.reservation(reserva_id)
            raise TimeoutError(f"reservation {reserva_id} not in state {estado} within "
                               f"{timeout:.0f}s (GET answers {a.status} {a.body})") from None
