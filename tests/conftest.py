"""`make test` runs the suite on two workers (pytest-xdist, `-n 2 --dist loadfile
--no-loadscope-reorder`): a file's tests stay together, in order, on one worker. Each worker
past the first gets a lab of its own: its ports and lab directory are set here, in the
environment, before any settings are read, so every process it starts (the CLI, the lessons'
kernels, the services) finds that lab and no other. The lessons, the longest file, are
scheduled first, so one worker runs them while the other takes the rest (a worker is given a
further file only once at most two of its tests are left).
"""

from __future__ import annotations

import os

# the ports a worker's lab shifts by; clear of test_lab_errors' spare lab (27217, 5205, 9292-9294,
# 19292-19294, 8283) and of the docker stage's
SHIFT = 1000
FIRST = "tests/integration/test_notebooks.py"


def worker_lane(worker: str) -> dict[str, str]:
    """The environment of worker `gwN`'s lab: nothing for gw0 (the default lab); for the others
    every port shifted by N * SHIFT, and with it the lab directory (`.lab-1000/`)."""
    if not worker.startswith("gw") or worker == "gw0":
        return {}
    return {"BOLETIA_PORT_OFFSET": str(SHIFT * int(worker[2:]))}


os.environ.update(worker_lane(os.environ.get("PYTEST_XDIST_WORKER", "")))


def pytest_collection_modifyitems(config, items):
    """The lessons first (stable otherwise): with loadfile, the worker that takes them starts
    at once, and the other worker runs every other file meanwhile."""
    items.sort(key=lambda item: item.nodeid.split("::")[0] != FIRST)
