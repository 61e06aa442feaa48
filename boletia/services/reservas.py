"""`reservas`, the public area (port 8071): inventory, bookings and customer cancels.

A booking is ONE atomic findAndModify on `inventario`; the reservation document itself is
written by the `inventario` consumer from the change it publishes (seed flow, step 2: docs/seed-design.md).
"""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId
from flask import Flask, Response, jsonify, request
from pymongo.errors import PyMongoError

from boletia import config, designs
from boletia.adapters import mongo
from boletia.designs.base import Design
from boletia.domain import decisions, model, ownership
from boletia.services import http


def create_app(db=None, design: str | None = None, booking_key: str | None = None) -> Flask:
    settings = config.settings()
    design = designs.get(design or settings.design)  # what the design says: booking, tickets left
    key = _key(design, settings.booking_key if booking_key is None else booking_key)
    db = db if db is not None else mongo.database(
        mongo.connect(settings, app_name="reservas",
                     operation_timeout_ms=http.API_TIMEOUT_MS))
    api = http.spec("Boletia reservas (public)", __doc__, owned=key is not None)
    app = http.create_app("reservas", api)
    app.config["OWNED_BOOKINGS"] = key is not None
    owner = (403,) if key is not None else ()  # what a missing or wrong secret answers

    def check_owner(reserva_id: str) -> None:
        """The fixed designs: the booking's secret, or 403. Checked before the database is
        read, for every id alike: the 403 says nothing about whether the id exists (neither
        its answer nor its time depends on it), and tells a student who forgot the header
        what to send, which a 404 "no such reservation" would hide."""
        if key is not None and not ownership.owns(key, reserva_id,
                                                  request.headers.get(ownership.HEADER)):
            raise http.ApiError(403, f"reserva {reserva_id}: falta la clave de la reserva, o no "
                                     f"es la suya; envía la clave que recibiste al reservar "
                                     f"(campo {ownership.FIELD} de la respuesta y del email) en "
                                     f"la cabecera {ownership.HEADER}")

    @app.get("/reservas/eventos")
    @api.validate(resp=http.answers(model.InventarioList), skip_validation=True)
    def list_inventory():
        """The inventory of every event: tickets available, state."""
        return jsonify([model.inventario_json(d, design.available(d))
                        for d in db.inventario.find().sort("nombre")])

    @app.get("/reservas/eventos/<path:nombre>")
    @api.validate(resp=http.answers(model.InventarioOut, 400, 404), skip_validation=True)
    def get_inventory(nombre: str):
        """The inventory of one event."""
        nombre = model.check_name(nombre)
        found = db.inventario.find_one({"nombre": nombre})
        if found is None:
            raise http.ApiError(404, f"evento {nombre!r} no está en el inventario")
        return jsonify(model.inventario_json(found, design.available(found)))

    @app.get("/reservas/<evento>/<email>")
    @api.validate(resp=http.answers(model.ReservaList, 400), skip_validation=True)
    def customer_reservations(evento: str, email: str):
        """A customer's reservations for an event."""
        evento, email = model.check_name(evento, "evento"), model.check_email(email)
        found = db.reservas.find({"evento": evento, "email": email}).sort("_id")
        return jsonify([model.reserva_json(d) for d in found])

    @app.get("/reservas/<not_literal:reserva_id>")
    @api.validate(resp=http.answers(model.ReservaOut, 400, *owner, 404), skip_validation=True)
    def get_reservation(reserva_id: str):
        """One reservation by id (24 hexadecimal digits)."""
        oid = ObjectId(model.check_object_id(reserva_id))
        check_owner(reserva_id)
        found = db.reservas.find_one({"_id": oid})
        if found is None:
            raise http.ApiError(404, f"reserva {reserva_id} no existe (todavía)")
        return jsonify(model.reserva_json(found))

    @app.post("/reservas")
    @api.validate(json=model.NewBooking, resp=http.answers(model.ReservaNueva, 400, 404, 413, 415),
                  skip_validation=True)
    def book():
        """Book tickets: one atomic update of the event's inventory; the reservation document
        follows through boletia.inventario and the inventario consumer. 404: the event is
        unknown, not active, or has not enough tickets left. 503 names the id the booking
        would have: it may or may not have been made."""
        req = model.parse_booking(http.json_body())
        reserva_id = design.new_reservation_id()
        secret = {} if key is None else {ownership.FIELD: ownership.secret_for(key, reserva_id)}
        at = datetime.now(UTC)
        try:
            taken = mongo.apply(db, design.book(req, reserva_id, at))
            record = design.booking_record(req, reserva_id, at) if taken else None
            if record is not None:  # the fixed design: no 200 without its durable record
                mongo.apply(db, record)
        except PyMongoError:
            # The write may have happened before the connection broke: say so, and give the
            # id the booking would have, so the customer (and the checker) can look it up.
            raise http.ApiError(
                503, f"the database did not confirm the booking; it may or may not have been "
                     f"made: check GET /reservas/{reserva_id} in a few seconds",
                Id=str(reserva_id), **secret) from None
        if not taken:
            raise http.ApiError(404, _why_not(db, req, design))
        return jsonify({**model.reserva_json({"_id": reserva_id, "evento": req.evento,
                                              "estado": model.ACTIVE, "email": req.email,
                                              "cantidad": req.cantidad}), **secret})

    @app.delete("/reservas/<not_literal:reserva_id>")
    @api.validate(resp=http.answers("reserva Id: <id> Cliente: <email> Evento: <evento> cancelada",
                                    400, *owner, 404, text=True), skip_validation=True)
    def cancel(reserva_id: str):
        """Cancel a reservation (state X; never deleted: GET still reads it, with state X);
        the tickets come back through boletia.reservas."""
        oid = ObjectId(model.check_object_id(reserva_id))
        check_owner(reserva_id)
        done = mongo.apply(db, decisions.cancel_booking(oid))
        if done is None:
            raise http.ApiError(404, f"reserva {reserva_id} no existe o ya estaba cancelada")
        return Response(f"reserva Id: {reserva_id} Cliente: {done['email']} "
                        f"Evento: {done['evento']} cancelada", mimetype="text/plain")

    return app


def _key(design: Design, booking_key: str) -> bytes | None:
    """The booking key, for a design whose bookings need their secret; refused at start-up
    when missing (a service that answered without it would be the seed's open API)."""
    if not design.owns_bookings:
        return None
    try:
        return ownership.key_bytes(booking_key)
    except ownership.MissingKey as exc:
        raise SystemExit(f"reservas, design {design.name}: {exc}") from None


def _why_not(db, req: model.NewBooking, design: Design) -> str:
    """Only for the message: the booking already failed atomically, nothing is changed."""
    doc = db.inventario.find_one({"nombre": req.evento})
    if doc is None:
        return f"evento {req.evento!r} no existe"
    if doc.get("estado") != model.ACTIVE:
        return f"evento {req.evento!r} no está activo (estado {doc.get('estado')})"
    return (f"no hay {req.cantidad} boletos para {req.evento!r}: "
            f"quedan {design.available(doc)}")


def main(port: int | None = None, host: str = "127.0.0.1") -> None:
    http.serve(create_app(), port or config.settings().ports.reservas, host)
