"""Faults a student can cause when starting the lab: each gets a clear message, a non-zero
exit, and nothing half-started left behind. These use their own ports and lab directory, so
they run beside the session's lab."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from boletia import config
from boletia.lab.errors import LabError
from boletia.lab.runtimes.local import LocalRuntime
from boletia.lab.runtimes.local.processes import port_open

pytestmark = pytest.mark.integration
BOLETIA = str(Path(sys.executable).parent / "boletia")


def _spare_runtime(tmp_path: Path) -> LocalRuntime:
    ports = config.Ports(mongo=27217, ses=5205, kafka=(9292, 9293, 9294),
                         controllers=(19292, 19293, 19294), connect=8283)
    # without credentials: these tests are about starting, and stale broker data (below) would
    # be refused before any start for having been formatted without them
    return LocalRuntime(config.Settings(ports=ports, lab_dir=tmp_path / "lab", auth=False))


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([BOLETIA, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_port_taken_names_the_port_and_leaves_nothing_running(tmp_path):
    rt = _spare_runtime(tmp_path)
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", 5205))
        squatter.listen()
        with pytest.raises(LabError, match="port 5205 needed by ses is taken"):
            rt.up()
    assert all(s.state == "stopped" for s in rt.status())
    assert not port_open(27217), "mongo was left running after the failed start"


def test_component_dying_at_start_is_named_with_its_log(tmp_path):
    """Stale broker data (another node's id) makes kafka-1 exit at start: the lab names it,
    shows its log, and stops what it had started (mongo, ses, the other brokers)."""
    rt = _spare_runtime(tmp_path)
    data = rt.files.home("kafka-1") / "data"
    data.mkdir(parents=True)
    (data / "meta.properties").write_text(
        "version=1\nnode.id=7\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\n"
        "directory.id=BBBBBBBBBBBBBBBBBBBBBB\n")
    with pytest.raises(LabError) as err:
        rt.up()
    assert "kafka-1 died during start-up" in str(err.value)
    assert "kafka-1.log" in str(err.value)
    assert all(s.state == "stopped" for s in rt.status())
    assert not any(port_open(p) for p in (27217, 5205, 9292, 9293, 9294, 8283))


def test_java_missing_is_reported_before_anything_starts(tmp_path):
    venv_bin = str(Path(sys.executable).parent)
    out = _run("lab", "up", env={"PATH": f"{venv_bin}:/usr/bin/nonexistent",
                                 "BOLETIA_LAB_DIR": str(tmp_path / "lab")})
    assert out.returncode != 0
    assert "Java is missing" in out.stderr
    assert not (tmp_path / "lab" / "run").exists()


@pytest.mark.parametrize("verb", ["logs", "kill", "pause", "resume", "restart"])
def test_unknown_component_is_refused(lab, verb):
    out = _run("lab", verb, "zookeeper")
    said = " ".join(out.stderr.replace("│", " ").split())
    assert out.returncode == 2  # a usage error, refused before the runtime is asked
    assert "'zookeeper' is not one of" in said
    assert "kafka-1" in said  # the message lists what exists


def test_unknown_runtime_is_refused():
    out = _run("lab", "status", "--runtime", "podman")
    said = " ".join(out.stderr.replace("│", " ").split())
    assert out.returncode == 2 and "'podman' is not one of 'local', 'docker', 'kind'" in said


def test_status_json_names_state_pid_ports_and_connection(lab):
    import json

    out = _run("lab", "status", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["runtime"] == "local" and doc["design"] in ("fixed", "seed")
    assert "admin_token" not in doc and lab.admin_token() not in out.stdout  # no secret printed
    assert all(r["health"] == "" for r in doc["components"])  # none stalled
    rows = {r["name"]: r for r in doc["components"]}
    assert rows["mongo"]["connection"].startswith("mongodb://")
    s = lab.settings  # this worker's lab: the default ports, or its own (tests/conftest.py)
    assert rows["kafka-1"]["connection"] == f"127.0.0.1:{s.ports.kafka[0]}"
    assert rows["connect"]["connection"] == f"http://127.0.0.1:{s.ports.connect}"
    assert rows["reservas"]["connection"] == f"http://127.0.0.1:{s.ports.reservas}"
    assert all(r["state"] == "running" and r["pid"] for r in rows.values())
