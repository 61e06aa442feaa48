"""The docker runtime: the same lab on Docker Compose (lab-infra/compose.yaml), with a real
3-member MongoDB replica set, so member failover can be shown.

Every verb is one `docker compose` (or `docker network`) command; `run` is injectable so the
command lines are testable on machines without a Docker engine.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from boletia import config
from boletia.lab.components import APPS
from boletia.lab.errors import LabError
from boletia.lab.runtimes.port import ComponentStatus
from boletia.lab.runtimes.shell import Runner, run_command

COMPOSE_FILE = config.REPO_ROOT / "lab-infra" / "compose.yaml"
PROJECT = "boletia"
COMPONENTS = {  # component: (kind, host ports, connection)
    "mongo-1": ("mongo", [27017], "mongodb://127.0.0.1:27017/?directConnection=true"),
    "mongo-2": ("mongo", [], "mongo-2:27017 (inside the network)"),
    "mongo-3": ("mongo", [], "mongo-3:27017 (inside the network)"),
    "ses": ("ses", [5005], "http://127.0.0.1:5005"),
    "kafka-1": ("kafka", [9092], "127.0.0.1:9092"),
    "kafka-2": ("kafka", [9093], "127.0.0.1:9093"),
    "kafka-3": ("kafka", [9094], "127.0.0.1:9094"),
    "connect": ("connect", [8083], "http://127.0.0.1:8083"),
    "eventos": ("service", [8070], "http://127.0.0.1:8070"),
    "reservas": ("service", [8071], "http://127.0.0.1:8071"),
    "inventario": ("consumer", [], "group inventario"),
    "notificaciones": ("consumer", [], "group notificaciones"),
    "jupyter": ("notebooks", [8888], "http://127.0.0.1:8888"),
}


class DockerRuntime:
    name = "docker"

    def __init__(self, run: Runner | None = None, env_file: Path | None = None):
        self.run = run or run_command
        self.env_file = env_file

    # ------------------------------------------------------------------ plumbing
    def _compose(self, *args: str, env: dict[str, str] | None = None) -> str:
        cmd = ["docker", "compose", "-p", PROJECT, "-f", str(COMPOSE_FILE), *args]
        if env:
            cmd = ["env", *(f"{k}={v}" for k, v in env.items()), *cmd]
        return self._check(cmd)

    def _check(self, cmd: list[str]) -> str:
        if self.run is run_command and shutil.which("docker") is None:
            raise LabError("the docker runtime needs Docker (the `docker` command was not found); "
                           "use --runtime local on this machine")
        out = self.run(cmd)
        if out.returncode != 0:
            detail = (out.stderr or out.stdout or "").strip()[-1500:]
            if "Cannot connect to the Docker daemon" in detail or "unknown command" in detail:
                raise LabError(f"no usable Docker engine with the compose plugin ({detail}); "
                               "start Docker, or use --runtime local")
            raise LabError(f"`{' '.join(cmd[-4:])}` failed:\n{detail}")
        return out.stdout

    def _component(self, name: str) -> str:
        if name not in COMPONENTS:
            raise LabError(f"unknown component {name!r}; components: {', '.join(COMPONENTS)}")
        return name

    # ------------------------------------------------------------------ interface
    def components(self) -> list[str]:
        return list(COMPONENTS)

    def design(self) -> str:
        return config.design()

    def admin_token(self) -> str:
        import os
        return os.environ.get("BOLETIA_ADMIN_TOKEN", "change-me-boletia-admin")

    def up(self, report=lambda m: None, design: str | None = None) -> list[ComponentStatus]:
        env = {"BOLETIA_DESIGN": design} if design else None
        report("docker compose up --build --wait (first run builds two images)")
        self._compose("up", "-d", "--build", "--wait", env=env)
        return self.status()

    def down(self, purge: bool = False, report=lambda m: None) -> None:
        self._compose("down", *(["--volumes"] if purge else []))

    def status(self) -> list[ComponentStatus]:
        out = self._compose("ps", "--all", "--format", "json")
        rows = [json.loads(line) for line in out.splitlines() if line.strip().startswith("{")]
        by_service = {r.get("Service"): r for r in rows}
        states = {"running": "running", "paused": "paused"}
        result = []
        for name, (kind, ports, conn) in COMPONENTS.items():
            row = by_service.get(name, {})
            result.append(ComponentStatus(
                name=name, kind=kind, state=states.get(row.get("State", ""), "stopped"),
                pid=None, ports=ports, connection=conn, log=f"docker compose logs {name}"))
        return result

    def logs(self, component: str, lines: int = 50) -> str:
        return self._compose("logs", "--no-color", "--tail", str(lines), self._component(component))

    def kill(self, component: str) -> None:
        self._compose("kill", self._component(component))

    def pause(self, component: str) -> None:
        self._compose("pause", self._component(component))

    def resume(self, component: str) -> None:
        self._compose("unpause", self._component(component))

    def restart(self, component: str) -> None:
        self._compose("restart", self._component(component))

    def start(self, component: str) -> None:
        self._compose("start", self._component(component))

    def set_design(self, design: str, report=lambda m: None) -> None:
        if design not in config.DESIGNS:
            raise LabError(f"unknown design {design!r}; choose one of: {', '.join(config.DESIGNS)}")
        env = {"BOLETIA_DESIGN": design}
        self._compose("run", "--rm", "setup", env=env)
        self._compose("up", "-d", "--wait", *APPS, env=env)

    def disconnect(self, component: str) -> None:
        """Cut a container off the compose network (a partition, not a crash)."""
        self._check(["docker", "network", "disconnect", f"{PROJECT}_default",
                     f"{PROJECT}-{self._component(component)}-1"])

    def reconnect(self, component: str) -> None:
        self._check(["docker", "network", "connect", f"{PROJECT}_default",
                     f"{PROJECT}-{self._component(component)}-1"])
