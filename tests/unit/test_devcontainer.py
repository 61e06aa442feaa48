"""The dev container runs `make lab` on a 2-core, 8 GB machine and forwards the lab's own ports
(read from the settings, so a port moved there fails here)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from boletia import config
from boletia.lab.runtimes.local import doctor

ROOT = Path(__file__).resolve().parents[2]


def _devcontainer() -> dict:
    """devcontainer.json is JSON with comments: whole-line `//` comments are dropped."""
    text = (ROOT / ".devcontainer" / "devcontainer.json").read_text()
    return json.loads("\n".join(line for line in text.splitlines() if not line.strip().startswith("//")))


def test_it_runs_the_lab_on_a_two_core_eight_gigabyte_machine():
    doc = _devcontainer()
    need = doc["hostRequirements"]
    assert need["cpus"] == 2 and need["cpus"] >= doctor.MIN_CORES
    assert re.fullmatch(r"\d+gb", need["memory"]) and int(need["memory"][:-2]) == 8
    assert int(need["memory"][:-2]) >= doctor.MIN_MEMORY_GIB
    assert int(need["storage"][:-2]) >= doctor.MIN_DISK_GIB
    assert doc["postCreateCommand"] == "make setup" and doc["postStartCommand"] == "make lab"


def test_it_brings_what_the_bootstrap_needs():
    doc = _devcontainer()
    python = re.search(r"python:\d+-(\d+)\.(\d+)-", doc["image"])
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert python and (int(python[1]), int(python[2])) >= tuple(map(int, wanted.lstrip(">=").split(".")))
    java = doc["features"]["ghcr.io/devcontainers/features/java:1"]
    assert int(java["version"]) >= 17 and java["installMaven"] == "true"


def test_it_forwards_the_labs_own_ports():
    doc = _devcontainer()
    p = config.Ports()
    jupyter = 8888  # `boletia notebooks --port` default
    assert sorted(doc["forwardPorts"]) == sorted([p.eventos, p.reservas, p.connect, p.ui, jupyter])
    assert set(doc["portsAttributes"]) == {str(n) for n in doc["forwardPorts"]}
