"""`make test` runs the suite on two workers (pytest-xdist, `-n 2 --dist loadfile
--no-loadscope-reorder`): a file's tests stay together, in order, on one worker. Each worker
past the first gets a lab of its own: its ports and lab directory are set here, in the
environment, before any settings are read, so every process it starts (the CLI, the lessons'
kernels, the services) finds that lab and no other. The lessons, the longest file, are
scheduled first, so one worker runs them while the other takes the rest (a worker is given a
further file only once at most two of its tests are left).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the ports a worker's lab shifts by; clear of test_lab_errors' spare lab (27217, 5205, 9292-9294,
# 19292-19294, 8283) and of the docker stage's
SHIFT = 1000
FIRST = "tests/integration/test_notebooks.py"


def worker_lane(worker: str) -> dict[str, str]:
    """The environment of worker `gwN`'s lab: nothing for gw0 (the default lab), shifted ports
    and `.lab-gwN/` for the others."""
    if not worker.startswith("gw") or worker == "gw0":
        return {}
    shift = SHIFT * int(worker[2:])
    ports = {"mongo": 27017 + shift, "ses": 5005 + shift, "connect": 8083 + shift,
             "kafka": [9092 + shift, 9093 + shift, 9094 + shift],
             "controllers": [19092 + shift, 19093 + shift, 19094 + shift],
             "eventos": 8070 + shift, "reservas": 8071 + shift, "ui": 8090 + shift}
    return {"BOLETIA_PORTS": json.dumps(ports), "BOLETIA_LAB_DIR": str(ROOT / f".lab-{worker}")}


os.environ.update(worker_lane(os.environ.get("PYTEST_XDIST_WORKER", "")))


def pytest_collection_modifyitems(config, items):
    """The lessons first (stable otherwise): with loadfile, the worker that takes them starts
    at once, and the other worker runs every other file meanwhile."""
    items.sort(key=lambda item: item.nodeid.split("::")[0] != FIRST)
