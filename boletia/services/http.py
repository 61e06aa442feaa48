"""What both Flask services share: JSON errors, body limits, the admin token, OpenAPI + docs.

Every error a client can cause becomes a 4xx with a message that says what to send instead;
nothing a client sends produces a 500.
"""

from __future__ import annotations

import hmac
import json
import secrets
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request
from flask_swagger_ui import get_swaggerui_blueprint
from werkzeug.exceptions import HTTPException

from boletia import config
from boletia.domain.model import MAX_BODY_BYTES, InvalidRequest


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def error(status: int, message: str, **extra: Any) -> Response:
    resp = jsonify({"error": message, "status": status, **extra})
    resp.status_code = status
    return resp


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def json_body() -> Any:
    """The request body as JSON, or a 400 that says what was wrong with it."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ApiError(400, "empty body: send a JSON object")
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"malformed JSON: {exc}") from None


def admin_token(lab_dir: Path | None = None) -> str:
    """The admin API's bearer token: BOLETIA_ADMIN_TOKEN, else the lab's token file
    (created on first use, so `boletia lab status` and the notebooks can read it)."""
    import os

    token = os.environ.get("BOLETIA_ADMIN_TOKEN", "").strip()
    if token:
        return token
    path = (lab_dir or config.lab_dir()) / "admin-token"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def require_token(token: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, given = header.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), token):
                resp = error(401, "the admin API needs 'Authorization: Bearer <token>'; "
                                  "`boletia lab token` prints it")
                resp.headers["WWW-Authenticate"] = 'Bearer realm="boletia-admin"'
                return resp
            return view(*args, **kwargs)
        return wrapped
    return decorator


def create_app(name: str, openapi: dict) -> Flask:
    app = Flask(name)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error(exc.status, exc.message, **exc.extra)

    @app.errorhandler(InvalidRequest)
    def _invalid(exc: InvalidRequest):
        return error(400, str(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        messages = {
            404: "no such resource; see /docs for this API's paths",
            405: f"method {request.method} not allowed here; see /docs",
            413: f"body too large: at most {MAX_BODY_BYTES} bytes",
        }
        return error(exc.code or 500, messages.get(exc.code or 0, exc.description or exc.name))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # A fault of ours or of a dependency (database down), never of the client's input.
        print(f"{name}: {exc!r}", file=sys.stderr, flush=True)
        from pymongo.errors import PyMongoError

        if isinstance(exc, PyMongoError):
            return error(503, "the database is unavailable; retry in a moment")
        return error(500, "internal error; see the service's log")

    @app.get("/openapi.json")
    def _openapi():
        return jsonify(openapi)

    @app.get("/health")
    def _health():
        return jsonify({"service": name, "status": "ok"})

    app.register_blueprint(get_swaggerui_blueprint(
        "/docs", "/openapi.json", config={"app_name": f"Boletia {name}"}), url_prefix="/docs")
    return app


def openapi_doc(title: str, description: str, paths: dict, schemas: dict,
                secured: bool = False) -> dict:
    doc: dict = {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "1.0", "description": description},
        "paths": paths,
        "components": {"schemas": schemas},
    }
    if secured:
        doc["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        doc["security"] = [{"bearer": []}]
    return doc


def answer(description: str, schema: str | None = None, text: bool = False) -> dict:
    if text:
        return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}
    if schema:
        return {"description": description,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


ERROR_SCHEMA = {"type": "object", "properties": {"error": {"type": "string"},
                                                 "status": {"type": "integer"}}}


def serve(app: Flask, port: int, host: str = "127.0.0.1") -> None:
    from waitress import serve as waitress_serve

    print(f"{app.name}: listening on http://{host}:{port} (docs at /docs)", file=sys.stderr,
          flush=True)
    waitress_serve(app, host=host, port=port, threads=16, ident=app.name,
                   max_request_body_size=MAX_BODY_BYTES * 4)
