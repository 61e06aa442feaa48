"""`eventos`, the admin area (port 8070): create, list and cancel events.

Thin on purpose: parse -> decide (boletia.domain) -> write (boletia.adapters.mongo).
Every path needs the admin bearer token, except /health, /openapi.json and /docs.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify
from pymongo.errors import DuplicateKeyError, PyMongoError

from boletia import config
from boletia.adapters import mongo
from boletia.domain import decisions, model
from boletia.services import http

SCHEMAS = {
    "NuevoEvento": model.NewEvent.model_json_schema(),
    "Evento": {"type": "object", "properties": {
        "Id": {"type": "string"}, "Nombre": {"type": "string"}, "Capacidad": {"type": "integer"},
        "Categoria": {"type": "string"}, "Estado": {"type": "string", "enum": ["A", "C"]}}},
    "Error": http.ERROR_SCHEMA,
}
NOMBRE = [{"name": "nombre", "in": "path", "required": True, "schema": {"type": "string"}}]
PATHS = {
    "/eventos": {
        "get": {"summary": "List every event",
                "responses": {"200": {"description": "events", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Evento"}}}}},
                    "401": http.answer("missing or wrong token")}},
        "post": {"summary": "Create an event (state A); the source and sink copy it into inventario",
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": {"$ref": "#/components/schemas/NuevoEvento"}}}},
                 "responses": {"200": http.answer("the event", "Evento"),
                               "400": http.answer("bad JSON, bad field, or duplicate name"),
                               "401": http.answer("missing or wrong token"),
                               "413": http.answer("body too large")}},
    },
    "/eventos/{nombre}": {
        "get": {"summary": "One event", "parameters": NOMBRE,
                "responses": {"200": http.answer("the event", "Evento"),
                              "400": http.answer("not a valid name"),
                              "404": http.answer("unknown event")}},
        "delete": {"summary": "Cancel an event (state C; never deleted): its active reservations "
                              "become C through inventario", "parameters": NOMBRE,
                   "responses": {"200": http.answer("Evento: <nombre> cancelado", text=True),
                                 "404": http.answer("unknown or already cancelled")}},
    },
}


def create_app(db=None, token: str | None = None) -> Flask:
    db = db if db is not None else mongo.database(
        mongo.client(config.settings().mongo_uri, app_name="eventos", retry_writes=False))
    doc = http.openapi_doc("Boletia eventos (admin)", __doc__, PATHS, SCHEMAS, secured=True)
    app = http.create_app("eventos", doc)
    guard = http.require_token(token or http.admin_token())

    @app.get("/eventos")
    @guard
    def list_events():
        return jsonify([model.evento_json(d) for d in db.eventos.find().sort("nombre")])

    @app.get("/eventos/<path:nombre>")
    @guard
    def get_event(nombre: str):
        found = db.eventos.find_one({"nombre": model.check_name(nombre)})
        if found is None:
            raise http.ApiError(404, f"evento {nombre!r} no existe")
        return jsonify(model.evento_json(found))

    @app.post("/eventos")
    @guard
    def create_event():
        write = decisions.create_event(model.parse_event(http.json_body()))
        try:
            document = dict(write.document)
            db.eventos.insert_one(document)
        except DuplicateKeyError:
            raise http.ApiError(400, f"ya existe un evento llamado {write.document['nombre']!r}; "
                                     "choose another name") from None
        except PyMongoError:
            raise http.ApiError(503, "the database did not confirm the event; it may or may not "
                                     f"exist: check GET /eventos/{write.document['nombre']}") from None
        return jsonify(model.evento_json(document))

    @app.delete("/eventos/<path:nombre>")
    @guard
    def cancel_event(nombre: str):
        done = mongo.apply(db, decisions.cancel_event(model.check_name(nombre)))
        if done is None:
            known = db.eventos.find_one({"nombre": nombre}) is not None
            raise http.ApiError(404, f"evento {nombre!r} " + ("ya estaba cancelado" if known
                                                              else "no existe"))
        return Response(f"Evento: {nombre} cancelado", mimetype="text/plain")

    return app


def main(port: int | None = None, host: str = "127.0.0.1") -> None:
    http.serve(create_app(), port or config.settings().ports.eventos, host)
