"""Fuzzing from the contract: Schemathesis generates requests from each service's OpenAPI
document (itself generated from the pydantic models and the routes) and runs every check on
every answer (but one, EXCLUDED, and why): never a 5xx, the status,
headers and body documented for that operation, valid input accepted, invalid input refused
with a 4xx. Every phase runs, and each must say it ran (a phase with nothing to do is
"skipped", and fails the test): the documents' examples, coverage (each rule's boundaries),
fuzzing, and stateful (the links: book, read, list, cancel, cancel again; create, read, cancel
an event), which must follow every link of the document. A run of only invalid requests
(coverage and fuzzing in negative mode; the examples phase sends the documents' examples, which
are valid by definition, whatever the mode) must leave every collection unchanged.

The cost is bounded (2 cores): MAX_EXAMPLES cases per operation and phase; each run prints
how many cases it generated, and must generate at least MIN_CASES."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bson import json_util

from boletia.lab.notebook import observe
from boletia.lab.notebook.client import Boletia

pytestmark = pytest.mark.integration
ST = str(Path(sys.executable).parent / "schemathesis")
HERE = Path(__file__).resolve().parent
# The one check left out: "use after free" (ST301) expects a resource to answer 404 once a
# DELETE succeeded. These DELETEs cancel (SPEC: an event becomes C, a reservation X, never
# removed) and the cancelled thing stays readable with its state, as each DELETE's document
# says; lesson 03 reads a cancelled reservation's state (X) that way. Schemathesis' own advice
# (`st explain ST301`: a soft delete should answer 404 or 410) would change the seed's contract
# (SPEC section 3: GET answers 200). An outside run with every check (no hooks) finds this one
# only: ST301 on DELETE then GET /eventos/{nombre}. In its place the contract's own version of
# it runs (fuzz_hooks.CancelledReadsCancelled): after a DELETE succeeded, a read answers the
# cancelled state (C or X), never the active one; the stateful run must have judged some.
EXCLUDED = "use_after_free"
MAX_EXAMPLES = {"negative": 40, "positive": 30}  # per operation and phase
MIN_CASES = {("negative", "reservas"): 150, ("negative", "eventos"): 100,
             ("positive", "reservas"): 150, ("positive", "eventos"): 100}
PHASES = {"negative": "coverage,fuzzing", "positive": "examples,coverage,fuzzing,stateful"}
PHASE_NAMES = {"examples": "Examples", "coverage": "Coverage", "fuzzing": "Fuzzing",
               "stateful": "Stateful"}
COLLECTIONS = ("eventos", "inventario", "reservas", "notificaciones", "reembolsos")


def digest(db) -> str:
    h = hashlib.sha256()
    for name in COLLECTIONS:
        for doc in sorted(json_util.dumps(d, sort_keys=True) for d in db[name].find()):
            h.update(doc.encode())
    return h.hexdigest()


def fuzz(url: str, mode: str, headers: dict[str, str], evento: str = "") -> tuple[int, str]:
    """Run schemathesis; returns how many cases it generated and its output (checked here)."""
    cmd = [ST, "--config-file", str(HERE / "schemathesis.toml"), "run", f"{url}/openapi.json",
           "--checks", "all", "--exclude-checks", EXCLUDED, "--mode", mode,
           "--suppress-health-check", "filter_too_much",
           "--max-examples", str(MAX_EXAMPLES[mode]), "--seed", "20261128", "--workers", "1",
           "--request-timeout", "10", "--phases", PHASES[mode],
           *(a for k, v in headers.items() for a in ("-H", f"{k}: {v}"))]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.integration.fuzz_hooks",
           "BOLETIA_FUZZ_EVENTO": evento, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    report = out.stdout[-6000:] + out.stderr[-2000:]
    assert out.returncode == 0, report
    found = re.search(r"(\d+) generated", out.stdout)
    assert found, report
    summary = out.stdout.rsplit("Test Phases:", 1)[-1]
    for phase in PHASES[mode].split(","):  # ran, and passed: not skipped for want of input
        assert re.search(rf"✅ +{PHASE_NAMES[phase]}\b", summary), f"{phase} did not run\n{report}"
    if "stateful" in PHASES[mode]:
        links = re.search(r"API Links: +(\d+) covered / (\d+) selected", out.stdout)
        assert links and links.group(1) == links.group(2), f"links not all followed\n{report}"
        judged = re.search(r"cancelled-reads-cancelled: (\d+) reads", out.stdout)
        assert judged and int(judged.group(1)) > 0, f"no read after a cancel was judged\n{report}"
    print(f"schemathesis {mode} {url}: {found.group(1)} cases ({PHASES[mode]})")
    return int(found.group(1)), report


@pytest.fixture
def targets(lab, settings):
    return {"reservas": (settings.reservas_url, {}),
            "eventos": (settings.eventos_url, {"Authorization": f"Bearer {lab.admin_token()}"})}


@pytest.fixture(scope="module")
def fuzz_event(lab, settings):
    """An event with a million tickets, for the stateful phase's bookings (fuzz_hooks.py)."""
    api = Boletia(token=lab.admin_token(), settings=settings)
    nombre = f"Fuzz {os.getpid()}"
    created = api.create_event(nombre, 1_000_000, "Fuzz")
    assert created.ok, created.body
    api.wait_available(nombre, 1_000_000, timeout=60)
    return nombre


@pytest.mark.parametrize("service", ["reservas", "eventos"])
def test_invalid_requests_get_4xx_and_change_nothing(targets, db, service):
    url, headers = targets[service]
    observe.wait_drained()
    before = digest(db)
    cases, _ = fuzz(url, "negative", headers)
    assert cases >= MIN_CASES[("negative", service)]
    observe.wait_drained()
    assert digest(db) == before, "a request refused with 4xx changed the database"


@pytest.mark.parametrize("service", ["reservas", "eventos"])
def test_every_answer_conforms_to_the_contract(targets, fuzz_event, db, service):
    url, headers = targets[service]
    cases, report = fuzz(url, "positive", headers, fuzz_event)
    assert cases >= MIN_CASES[("positive", service)]
    assert "Missing test data" not in report, report
    if service == "reservas":  # the links were followed: bookings made, and cancelled through them
        observe.wait_drained()
        booked = db.reservas.count_documents({"evento": fuzz_event})
        cancelled = db.reservas.count_documents({"evento": fuzz_event, "estado": "X"})
        print(f"stateful: {booked} bookings of {fuzz_event!r}, {cancelled} cancelled")
        assert booked > 0 and cancelled > 0, report
