"""`boletia doctor` on real processes and sockets: a port held by this lab's own process (or
its child) is the lab running; one held by another lab says which; any other is taken."""

from __future__ import annotations

import socket
import sys
import time

import pytest

from boletia import config
from boletia.lab.runtimes.local import doctor
from boletia.lab.runtimes.local.processes import ProcessHandle
from boletia.lab.runtimes.local.storage import LabFiles

LISTEN = ("import socket, sys, time; s = socket.socket(); "
          "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
          "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(); time.sleep(120)")
# a parent whose child holds the port, as a JVM's launcher or a service's worker would
LISTEN_IN_CHILD = ("import subprocess, sys; subprocess.run([sys.executable, '-c', sys.argv[1], "
                   "sys.argv[2]])")


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture
def lab(tmp_path):
    p = _free_ports(12)
    ports = config.Ports(mongo=p[0], ses=p[1], kafka=tuple(p[2:5]), controllers=tuple(p[5:8]),
                         connect=p[8], eventos=p[9], reservas=p[10], ui=p[11])
    settings = config.Settings(lab_dir=tmp_path / "lab", ports=ports)
    files = LabFiles(settings.lab_dir)
    (files.root / "logs").mkdir(parents=True)
    handles = []

    def start(name: str, port: int, in_child: bool = False, cwd=None, pid_dir=None):
        code = [sys.executable, "-c", LISTEN_IN_CHILD, LISTEN, str(port)] if in_child else \
            [sys.executable, "-c", LISTEN, str(port)]
        handle = ProcessHandle((pid_dir or files.root / "run") / f"{name}.pid")
        handle.start(code, files.root / "logs" / f"{name}.log", cwd=cwd or files.root)
        handles.append(handle)
        _wait_listening(port)

    yield settings, start
    for h in handles:
        h.kill()


def _port_rows(findings, comp):
    return [f for f in findings if f.check.startswith("port ") and f.check.endswith(f"({comp})")]


def test_the_labs_own_ports_are_the_lab_running(lab):
    settings, start = lab
    start("mongo", settings.ports.mongo)
    start("connect", settings.ports.connect, in_child=True)  # the child holds the port
    findings = doctor.examine(settings)
    (mongo,) = _port_rows(findings, "mongo")
    assert mongo.ok and mongo.found == "this lab's mongo, running"
    (connect,) = _port_rows(findings, "connect")
    assert connect.ok and connect.found == "this lab's connect, running"
    assert all(f.ok and f.found == "free" for f in _port_rows(findings, "eventos"))


def test_a_port_someone_else_holds_is_taken(lab, tmp_path):
    settings, start = lab
    # the same program, not started by this lab (its pid file is elsewhere)
    start("stranger", settings.ports.ses, cwd=tmp_path, pid_dir=tmp_path / "elsewhere")
    (ses,) = _port_rows(doctor.examine(settings), "ses")
    assert not ses.ok and ses.found.startswith("pid ") and "stop that program" in ses.fix


def test_a_port_another_lab_holds_names_that_lab(lab, tmp_path):
    settings, start = lab
    other = tmp_path / "other-checkout" / ".lab"
    (other / "run").mkdir(parents=True)
    (other / "logs").mkdir()
    start("eventos", settings.ports.eventos, cwd=other, pid_dir=other / "run")
    (eventos,) = _port_rows(doctor.examine(settings), "eventos")
    assert not eventos.ok and eventos.found == f"the lab in {other}"
    assert f"BOLETIA_LAB_DIR={other}" in eventos.fix


def test_a_reused_pid_is_not_the_lab(lab, tmp_path):
    """A pid file whose pid now belongs to someone else's program is not the lab's."""
    import json

    settings, start = lab
    start("stranger", settings.ports.reservas, cwd=tmp_path, pid_dir=tmp_path / "elsewhere")
    stranger = json.loads((tmp_path / "elsewhere" / "stranger.pid").read_text())
    run = settings.lab_dir / "run"
    run.mkdir(exist_ok=True)
    (run / "reservas.pid").write_text(json.dumps({"pid": stranger["pid"], "create_time": 1.0}))
    (reservas,) = _port_rows(doctor.examine(settings), "reservas")
    assert not reservas.ok
