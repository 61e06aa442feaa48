"""`reservas`, the public area (port 8071): inventory, bookings and customer cancels.

A booking is ONE atomic findAndModify on `inventario`; the reservation document itself is
written by the `inventario` consumer from the change it publishes (SPEC §4 step 2).
"""

from __future__ import annotations

from bson import ObjectId
from flask import Flask, Response, jsonify
from pymongo.errors import PyMongoError

from boletia import config
from boletia.adapters import mongo
from boletia.domain import decisions, model
from boletia.services import http

RESERVA = {"type": "object", "properties": {
    "Id": {"type": "string"}, "Evento": {"type": "string"},
    "Estado": {"type": "string", "enum": ["A", "X", "C"]}, "Email": {"type": "string"},
    "Cantidad": {"type": "integer"}}}
SCHEMAS = {
    "NuevaReserva": model.NewBooking.model_json_schema(),
    "Reserva": RESERVA,
    "Inventario": {"type": "object", "properties": {
        "Id": {"type": "string"}, "Nombre": {"type": "string"}, "Disponible": {"type": "integer"},
        "Categoria": {"type": "string"}, "Estado": {"type": "string", "enum": ["A", "C"]}}},
    "Error": http.ERROR_SCHEMA,
}


def _param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


PATHS = {
    "/reservas/eventos": {"get": {"summary": "Inventory of every event", "responses": {
        "200": {"description": "inventory", "content": {"application/json": {"schema": {
            "type": "array", "items": {"$ref": "#/components/schemas/Inventario"}}}}}}}},
    "/reservas/eventos/{nombre}": {"get": {
        "summary": "Inventory of one event", "parameters": [_param("nombre")],
        "responses": {"200": http.answer("inventory", "Inventario"),
                      "400": http.answer("not a valid name"), "404": http.answer("unknown")}}},
    "/reservas/{evento}/{email}": {"get": {
        "summary": "A customer's reservations for an event",
        "parameters": [_param("evento"), _param("email")],
        "responses": {"200": {"description": "reservations", "content": {"application/json": {
            "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Reserva"}}}}},
            "400": http.answer("not a valid name or email")}}},
    "/reservas/{id}": {
        "get": {"summary": "One reservation", "parameters": [_param("id")],
                "responses": {"200": http.answer("the reservation", "Reserva"),
                              "400": http.answer("id is not 24 hex digits"),
                              "404": http.answer("unknown")}},
        "delete": {"summary": "Cancel a reservation (state X); the tickets go back through "
                              "boletia.reservas and the inventario consumer",
                   "parameters": [_param("id")],
                   "responses": {"200": http.answer(
                       "reserva Id: <id> Cliente: <email> Evento: <evento> cancelada", text=True),
                       "400": http.answer("id is not 24 hex digits"),
                       "404": http.answer("unknown or already cancelled")}}},
    "/reservas": {"post": {
        "summary": "Book tickets", "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/NuevaReserva"}}}},
        "responses": {"200": http.answer("the reservation, state A", "Reserva"),
                      "400": http.answer("bad JSON or bad field"),
                      "404": http.answer("event unknown, not active, or not enough tickets"),
                      "413": http.answer("body too large")}}},
}


def create_app(db=None, design: str | None = None) -> Flask:
    db = db if db is not None else mongo.database(
        mongo.client(config.settings().mongo_uri, app_name="reservas", retry_writes=False))
    design = design or config.design()
    app = http.create_app("reservas", http.openapi_doc(
        "Boletia reservas (public)", "Inventory, bookings and cancellations.", PATHS, SCHEMAS))

    @app.get("/reservas/eventos")
    def list_inventory():
        return jsonify([model.inventario_json(d, design)
                        for d in db.inventario.find().sort("nombre")])

    @app.get("/reservas/eventos/<path:nombre>")
    def get_inventory(nombre: str):
        found = db.inventario.find_one({"nombre": model.check_name(nombre)})
        if found is None:
            raise http.ApiError(404, f"evento {nombre!r} no está en el inventario")
        return jsonify(model.inventario_json(found, design))

    @app.get("/reservas/<evento>/<email>")
    def customer_reservations(evento: str, email: str):
        evento = model.check_name(evento, "evento")
        if not model.EMAIL.match(email):
            raise http.ApiError(400, f"{email[:60]!r} is not an email address")
        found = db.reservas.find({"evento": evento, "email": email.lower()}).sort("_id")
        return jsonify([model.reserva_json(d) for d in found])

    @app.get("/reservas/<reserva_id>")
    def get_reservation(reserva_id: str):
        found = db.reservas.find_one({"_id": ObjectId(model.check_object_id(reserva_id))})
        if found is None:
            raise http.ApiError(404, f"reserva {reserva_id} no existe (todavía)")
        return jsonify(model.reserva_json(found))

    @app.post("/reservas")
    def book():
        req = model.parse_booking(http.json_body())
        reserva_id = ObjectId()
        try:
            taken = mongo.apply(db, decisions.book(req, reserva_id, design))
        except PyMongoError:
            # The write may have happened before the connection broke: say so, and give the
            # id the booking would have, so the customer (and the checker) can look it up.
            raise http.ApiError(
                503, f"the database did not confirm the booking; it may or may not have been "
                     f"made: check GET /reservas/{reserva_id} in a few seconds",
                Id=str(reserva_id)) from None
        if taken is None:
            raise http.ApiError(404, _why_not(db, req, design))
        return jsonify(model.reserva_json({"_id": reserva_id, "evento": req.evento,
                                           "estado": model.ACTIVE, "email": req.email,
                                           "cantidad": req.cantidad}))

    @app.delete("/reservas/<reserva_id>")
    def cancel(reserva_id: str):
        oid = ObjectId(model.check_object_id(reserva_id))
        done = mongo.apply(db, decisions.cancel_booking(oid))
        if done is None:
            raise http.ApiError(404, f"reserva {reserva_id} no existe o ya estaba cancelada")
        return Response(f"reserva Id: {reserva_id} Cliente: {done['email']} "
                        f"Evento: {done['evento']} cancelada", mimetype="text/plain")

    return app


def _why_not(db, req: model.NewBooking, design: str) -> str:
    """Only for the message: the booking already failed atomically, nothing is changed."""
    doc = db.inventario.find_one({"nombre": req.evento})
    if doc is None:
        return f"evento {req.evento!r} no existe"
    if doc.get("estado") != model.ACTIVE:
        return f"evento {req.evento!r} no está activo (estado {doc.get('estado')})"
    return (f"no hay {req.cantidad} boletos para {req.evento!r}: "
            f"quedan {model.available(doc, design)}")


def main(port: int | None = None, host: str = "127.0.0.1") -> None:
    http.serve(create_app(), port or config.settings().ports.reservas, host)
