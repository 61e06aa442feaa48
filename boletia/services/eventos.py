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


def create_app(db=None, token: str | None = None) -> Flask:
    settings = config.settings()
    db = db if db is not None else mongo.database(
        mongo.connect(settings, app_name="eventos",
                     operation_timeout_ms=http.API_TIMEOUT_MS))
    api = http.spec("Boletia eventos (admin)", __doc__, secured=True)
    app = http.create_app("eventos", api)
    guard = http.require_token(token if token is not None else settings.admin_token)

    @app.get("/eventos")
    @api.validate(resp=http.answers(model.EventoList, 401), skip_validation=True)
    @guard
    def list_events():
        """Every event but the lab's own (its checker's canary, `__sonda__`): the catalogue lists
        what a client may act on, and DELETE refuses those names (the contract fuzz followed the
        listing into that 400 once the canary existed)."""
        return jsonify([model.evento_json(d) for d in db.eventos.find().sort("nombre")
                        if not str(d.get("nombre", "")).startswith(model.RESERVED_PREFIX)])

    @app.get("/eventos/<path:nombre>")
    @api.validate(resp=http.answers(model.EventoOut, 400, 401, 404), skip_validation=True)
    @guard
    def get_event(nombre: str):
        """One event by name."""
        nombre = model.check_name(nombre)
        found = db.eventos.find_one({"nombre": nombre})
        if found is None:
            raise http.ApiError(404, f"evento {nombre!r} no existe")
        return jsonify(model.evento_json(found))

    @app.post("/eventos")
    @api.validate(json=model.NewEvent, resp=http.answers(model.EventoOut, 400, 401, 409, 413, 415),
                  skip_validation=True)
    @guard
    def create_event():
        """Create an event (state A); the source and the sink copy it into inventario (its
        inventory, GET /reservas/eventos/{nombre} on the public API, appears a moment later).
        409: an event of that name exists."""
        write = decisions.create_event(model.parse_event(http.json_body()))
        try:
            document = dict(write.document)
            db.eventos.insert_one(document)
        except DuplicateKeyError:
            raise http.ApiError(409, f"ya existe un evento llamado {write.document['nombre']!r}; "
                                     "choose another name") from None
        except PyMongoError:
            raise http.ApiError(503, "the database did not confirm the event; it may or may not "
                                     f"exist: check GET /eventos/{write.document['nombre']}") from None
        return jsonify(model.evento_json(document))

    @app.delete("/eventos/<path:nombre>")
    @api.validate(resp=http.answers("Evento: <nombre> cancelado", 400, 401, 404, text=True),
                  skip_validation=True)
    @guard
    def cancel_event(nombre: str):
        """Cancel an event (state C; never deleted: GET still reads it, with state C): its
        active reservations become C. Names starting with '__' are the lab's own: 400."""
        nombre = model.check_own_name(model.check_name(nombre))
        done = mongo.apply(db, decisions.cancel_event(nombre))
        if done is None:
            known = db.eventos.find_one({"nombre": nombre}) is not None
            raise http.ApiError(404, f"evento {nombre!r} " + ("ya estaba cancelado" if known
                                                              else "no existe"))
        return Response(f"Evento: {nombre} cancelado", mimetype="text/plain")

    return app


def main(port: int | None = None, host: str = "127.0.0.1") -> None:
    http.serve(create_app(), port or config.settings().ports.eventos, host)
