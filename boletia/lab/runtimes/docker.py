"""The docker runtime: the same lab on Docker Compose (lab-infra/compose.yaml), with a real
3-member MongoDB replica set, so member failover can be shown.

Every verb is one `docker compose` (or `docker network`) command; `run` is injectable so the
command lines are testable on machines without a Docker engine. The runtime keeps its state
in `<lab dir>/docker/`: the design it runs and the secrets it generated (admin token, Jupyter
token, MongoDB's root password, the replica set's keyfile), each file mode 0600. A consumer
fault is armed inside the consumer's container (`boletia lab arm`), where its hooks read it.
"""

from __future__ import annotations

import json
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path

from boletia import config, resources
from boletia.lab.components import APPS, COMPONENTS, CONSUMERS
from boletia.lab.errors import LabError
from boletia.lab.runtimes import private
from boletia.lab.runtimes.port import ComponentStatus
from boletia.lab.runtimes.shell import Runner, run_command

PROJECT = "boletia"
EXTRAS = {"jupyter": ("notebooks", [8888])}  # containers of the lab that are not components
SECRETS = ("BOLETIA_ADMIN_TOKEN", "BOLETIA_JUPYTER_TOKEN", "BOLETIA_MONGO_PASSWORD")


def compose_file() -> Path:
    return resources.infra_dir() / "compose.yaml"


class DockerRuntime:
    name = "docker"

    def __init__(self, run: Runner | None = None, settings: config.Settings | None = None):
        self.run = run or run_command
        base = settings or config.settings()
        self.dir = base.lab_dir.resolve() / "docker"
        self._base = base

    # ------------------------------------------------------------------ state and secrets
    def _secrets(self) -> dict[str, str]:
        """Generated on first use, each a random value, kept 0600 in the lab directory."""
        path = self.dir / "secrets.env"
        if not path.exists():
            self.dir.mkdir(parents=True, exist_ok=True)
            values = {k: secrets.token_urlsafe(24) for k in SECRETS}
            private.write(path, "".join(f"{k}={v}\n" for k, v in values.items()))
            private.write(self.dir / "mongo-keyfile", secrets.token_urlsafe(96))
        return dict(line.split("=", 1) for line in path.read_text().split() if "=" in line)

    @property
    def settings(self) -> config.Settings:
        """How the host reaches the published ports: MongoDB's member mongo-1 with the
        generated root password, the rest as in the local runtime."""
        pw = self._secrets()["BOLETIA_MONGO_PASSWORD"]
        return self._base.model_copy(update={
            "mongo_uri": f"mongodb://root:{pw}@{self._base.host}:{self._base.ports.mongo}/"
                         "?directConnection=true&authSource=admin",
            "design": self.design()})

    def design(self) -> str:
        path = self.dir / "design"
        return path.read_text().strip() if path.exists() else self._base.design

    def _set_design(self, design: str) -> None:
        if design not in config.DESIGNS:
            raise LabError(f"unknown design {design!r}; choose one of: {', '.join(config.DESIGNS)}")
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "design").write_text(design)

    def admin_token(self) -> str:
        return self._secrets()["BOLETIA_ADMIN_TOKEN"]

    # ------------------------------------------------------------------ plumbing
    def _compose(self, *args: str) -> str:
        self._secrets()
        env = {"BOLETIA_DESIGN": self.design(), "BOLETIA_SECRETS_DIR": str(self.dir)}
        cmd = ["env", *(f"{k}={v}" for k, v in env.items()),
               "docker", "compose", "-p", PROJECT, "-f", str(compose_file()),
               "--env-file", str(self.dir / "secrets.env"), *args]
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
            shown = [c for c in cmd if not c.startswith("BOLETIA_")]
            raise LabError(f"`{' '.join(shown[-4:])}` failed:\n{detail}")
        return out.stdout

    def components(self) -> list[str]:
        return [n for c in COMPONENTS for n in c.instances()] + list(EXTRAS)

    def _component(self, name: str) -> str:
        if name not in self.components():
            raise LabError(f"unknown component {name!r}; components: {', '.join(self.components())}")
        return name

    def _consumer(self, name: str) -> str:
        if name not in CONSUMERS:
            raise LabError(f"{name} is not a consumer; consumers: {', '.join(CONSUMERS)}")
        return name

    # ------------------------------------------------------------------ lifecycle
    def up(self, report=lambda m: None, design: str | None = None) -> list[ComponentStatus]:
        if design is not None:
            self._set_design(design)
        report("docker compose up --build --wait (the first run builds the images)")
        self._compose("up", "-d", "--build", "--wait")
        return self.status()

    def down(self, purge: bool = False, report=lambda m: None) -> None:
        self._compose("down", *(["--volumes"] if purge else []))
        if purge and self.dir.exists():
            shutil.rmtree(self.dir)

    def set_design(self, design: str, report=lambda m: None) -> None:
        self._set_design(design)
        self._compose("run", "--rm", "setup")             # the design's connectors
        self._compose("up", "-d", "--wait", *APPS)        # the design's services and consumers

    def status(self) -> list[ComponentStatus]:
        out = self._compose("ps", "--all", "--format", "json")
        rows = [json.loads(line) for line in out.splitlines() if line.strip().startswith("{")]
        by_service = {r.get("Service"): r for r in rows}
        kinds = {n: c.kind for c in COMPONENTS for n in c.instances()}
        kinds.update({n: kind for n, (kind, _) in EXTRAS.items()})
        result = []
        for name in self.components():
            row = by_service.get(name, {})
            state = {"running": "running", "paused": "paused"}.get(row.get("State", ""), "stopped")
            result.append(ComponentStatus(name=name, kind=kinds[name], state=state, pid=None,
                                          ports=self._published(name),
                                          connection=f"container {PROJECT}-{name}-1",
                                          log=f"docker compose logs {name}"))
        return result

    def _published(self, name: str) -> list[int]:
        """The host ports a container publishes on 127.0.0.1 (compose.yaml)."""
        if name in EXTRAS:
            return EXTRAS[name][1]
        if name == "mongo-1":
            return [self._base.ports.mongo]
        comp = next((c for c in COMPONENTS if c.name == name), None)
        return comp.ports(self._base.ports)[:1] if comp else []

    def state(self, component: str) -> str:
        name = self._component(component)
        return next(s.state for s in self.status() if s.name == name)

    def logs(self, component: str, lines: int = 50, since: str | None = None) -> str:
        args = ["logs", "--no-color", "--no-log-prefix"]
        args += ["--since", since] if since else ["--tail", str(lines)]
        text = self._compose(*args, self._component(component))
        return "\n".join(text.splitlines()[-lines:]) if since and lines else text

    def log_mark(self, component: str) -> str:
        """Now, as docker's --since understands it."""
        self._component(component)
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    # ------------------------------------------------------------------ failure verbs
    def kill(self, component: str) -> None:
        self._compose("kill", self._component(component))

    def pause(self, component: str) -> None:
        self._compose("pause", self._component(component))

    def resume(self, component: str) -> None:
        self._compose("unpause", self._component(component))

    def restart(self, component: str, report=lambda m: None) -> None:
        self._compose("restart", self._component(component))

    def start(self, component: str, report=lambda m: None) -> None:
        self._compose("start", self._component(component))

    def crash_consumer(self, consumer: str, times: int = 1, topic: str | None = None) -> None:
        self._compose("exec", "-T", self._consumer(consumer), "boletia", "lab", "arm", consumer,
                      "crash", str(times), *(["--topic", topic] if topic else []))

    def slow_consumer(self, consumer: str, seconds: float) -> None:
        self._compose("exec", "-T", self._consumer(consumer), "boletia", "lab", "arm", consumer,
                      "delay", str(seconds))

    def fail_writes(self, times: int, service: str | None = None) -> None:
        from boletia.adapters import mongo

        if service is not None:
            self._component(service)
        with mongo.client(self.settings.mongo_uri) as c:
            mongo.fail_next_writes(c, times, app_name=service)

    def clear_faults(self) -> None:
        from boletia.adapters import mongo

        for consumer in CONSUMERS:
            if self.state(consumer) == "running":
                self._compose("exec", "-T", consumer, "boletia", "lab", "arm", consumer, "clear")
        with mongo.client(self.settings.mongo_uri) as c:
            mongo.clear_fail_points(c)

    def disconnect(self, component: str) -> None:
        """Cut a container off the compose network (a partition, not a crash)."""
        self._check(["docker", "network", "disconnect", f"{PROJECT}_default",
                     f"{PROJECT}-{self._component(component)}-1"])

    def reconnect(self, component: str) -> None:
        self._check(["docker", "network", "connect", f"{PROJECT}_default",
                     f"{PROJECT}-{self._component(component)}-1"])

