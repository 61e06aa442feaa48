"""Fuzzing from the contract: Schemathesis generates requests from each service's OpenAPI
document (itself generated from the pydantic models and the routes) and checks every answer:
never a 5xx, the status and the body documented for that operation, and invalid input
refused with a 4xx. A run of only invalid requests must leave every collection unchanged."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bson import json_util

from boletia.lab.notebook import observe

pytestmark = pytest.mark.integration
ST = str(Path(sys.executable).parent / "schemathesis")
HERE = Path(__file__).resolve().parent
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,negative_data_rejection")
COLLECTIONS = ("eventos", "inventario", "reservas", "notificaciones", "reembolsos")


def digest(db) -> str:
    h = hashlib.sha256()
    for name in COLLECTIONS:
        for doc in sorted(json_util.dumps(d, sort_keys=True) for d in db[name].find()):
            h.update(doc.encode())
    return h.hexdigest()


def fuzz(url: str, mode: str, headers: dict[str, str], examples: int) -> subprocess.CompletedProcess:
    cmd = [ST, "--config-file", str(HERE / "schemathesis.toml"), "run", f"{url}/openapi.json",
           "--checks", CHECKS, "--mode", mode, "--suppress-health-check", "filter_too_much",
           "--max-examples", str(examples), "--seed", "20261128", "--workers", "1",
           "--request-timeout", "10", "--phases", "examples,coverage,fuzzing",
           *(a for k, v in headers.items() for a in ("-H", f"{k}: {v}"))]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.integration.fuzz_hooks",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture
def targets(lab, settings):
    return {"reservas": (settings.reservas_url, {}),
            "eventos": (settings.eventos_url, {"Authorization": f"Bearer {lab.admin_token()}"})}


@pytest.mark.parametrize("service", ["reservas", "eventos"])
def test_invalid_requests_get_4xx_and_change_nothing(targets, db, service):
    url, headers = targets[service]
    observe.wait_drained()
    before = digest(db)
    out = fuzz(url, "negative", headers, 100)
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    observe.wait_drained()
    assert digest(db) == before, "a request refused with 4xx changed the database"


@pytest.mark.parametrize("service", ["reservas", "eventos"])
def test_every_answer_conforms_to_the_contract(targets, service):
    url, headers = targets[service]
    out = fuzz(url, "positive", headers, 100)
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
