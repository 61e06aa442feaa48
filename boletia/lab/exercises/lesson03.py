"""Lesson 03's exercise check: the customer's cancel, as one HTTP request to the reservas API.

The student writes the method and path that cancel the reservation `rid` (the seed's walkthrough
does it with curl). The routes are the service's own (boletia/services/reservas.py): reading is a
GET, booking a POST to /reservas, cancelling changes the one reservation named by its id."""

from __future__ import annotations

from urllib.parse import urlparse


def check_cancel(method, path, rid: str) -> str:
    """'right: …' when (method, path) is the request that cancels reservation `rid`; else 'not yet: …'."""
    if not method or not path:
        return "not yet: fill in `cancel_method` and `cancel_path` (the path names the reservation)"
    verb = str(method).strip().upper()
    route = urlparse(str(path)).path.rstrip("/") or "/"
    if route in ("/reservas", "/reservas/eventos") or not route.startswith("/reservas/"):
        return ("not yet: a cancel changes ONE existing reservation: the path must name it, by its id "
                "under /reservas/")
    if route != f"/reservas/{rid}":
        return ("not yet: the path must name this reservation by its id (`rid`): /reservas/<event>/<email> "
                "lists a customer's reservations")
    if verb == "GET":
        return "not yet: GET only reads the reservation; cancelling changes its state to X"
    if verb == "POST":
        return ("not yet: POST /reservas makes a new booking; a cancel asks the server to take the "
                "reservation named by the path away")
    if verb != "DELETE":
        return f"not yet: the reservas API has no {verb} on a reservation: which method removes a resource?"
    return "right: DELETE /reservas/<id> sets that reservation to X; its tickets come back"
