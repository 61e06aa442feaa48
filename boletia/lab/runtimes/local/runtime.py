"""The local runtime: every component as a real process on this machine, no containers.

MongoDB is SecantusDB (a single-node replica set on WiredTiger), SES is a moto server,
Kafka is three KRaft brokers from the official jars, Connect runs in distributed mode with
the official MongoDB connector; the Boletia services and consumers are Python processes.
Data, logs and pid files live under one lab directory (`BOLETIA_LAB_DIR`, default `.lab/`).
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from string import Template

import requests

from boletia import config
from boletia.adapters import mongo
from boletia.lab import hooks
from boletia.lab.components import APPS
from boletia.lab.errors import LabError
from boletia.lab.runtimes.local.processes import ProcessHandle, port_open, port_owner, tail
from boletia.lab.runtimes.port import ComponentStatus
from boletia.lab.setup import bootstrap, jars

TEMPLATES = config.REPO_ROOT / "lab-infra" / "templates"
Report = Callable[[str], None]


@dataclass
class Component:
    name: str
    kind: str
    ports: list[int]
    connection: str | None = None
    start_timeout: float = 90.0


def _silent(_: str) -> None:
    pass


class LocalRuntime:
    name = "local"

    def __init__(self, lab_dir: Path | None = None, settings: config.Settings | None = None):
        self.dir = lab_dir or config.lab_dir()
        self.settings = settings or config.settings()
        s, p = self.settings, self.settings.ports
        brokers = [
            Component(f"kafka-{i + 1}", "kafka", [p.kafka[i], p.controllers[i]],
                      f"{s.host}:{p.kafka[i]}", start_timeout=120)
            for i in range(3)
        ]
        self._components: dict[str, Component] = {
            c.name: c
            for c in [
                Component("mongo", "mongo", [p.mongo], s.mongo_uri),
                Component("ses", "ses", [p.ses], s.ses_url),
                *brokers,
                Component("connect", "connect", [p.connect], s.connect_url, start_timeout=180),
                Component("eventos", "service", [p.eventos], s.eventos_url, start_timeout=30),
                Component("reservas", "service", [p.reservas], s.reservas_url, start_timeout=30),
                Component("inventario", "consumer", [], "group inventario", start_timeout=60),
                Component("notificaciones", "consumer", [], "group notificaciones",
                          start_timeout=60),
            ]
        }

    # ------------------------------------------------------------------ layout
    def components(self) -> list[str]:
        return list(self._components)

    def _component(self, name: str) -> Component:
        if name not in self._components:
            raise LabError(f"unknown component {name!r}; components: {', '.join(self._components)}")
        return self._components[name]

    def handle(self, name: str) -> ProcessHandle:
        return ProcessHandle(self.dir / "run" / f"{name}.pid")

    def log_file(self, name: str) -> Path:
        return self.dir / "logs" / f"{name}.log"

    def _env(self) -> dict[str, str]:
        s = self.settings
        env = dict(os.environ)
        env.update({
            "BOLETIA_LAB_DIR": str(self.dir),
            "BOLETIA_MONGO_URI": s.mongo_uri,
            "BOLETIA_KAFKA_BOOTSTRAP": s.kafka_bootstrap,
            "BOLETIA_CONNECT_URL": s.connect_url,
            "BOLETIA_SES_URL": s.ses_url,
            "AWS_ACCESS_KEY_ID": env.get("AWS_ACCESS_KEY_ID", "boletia-lab"),
            "AWS_SECRET_ACCESS_KEY": env.get("AWS_SECRET_ACCESS_KEY", "boletia-lab"),
            "AWS_DEFAULT_REGION": s.aws_region,
            "BOLETIA_DESIGN": self.design(),
            "BOLETIA_ADMIN_TOKEN": self.admin_token(),
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def design(self) -> str:
        """The design this lab runs: kept in the lab directory so every restart agrees."""
        path = self.dir / "design"
        return path.read_text().strip() if path.exists() else config.design()

    def admin_token(self) -> str:
        from boletia.services.http import admin_token
        return admin_token(self.dir)

    # ------------------------------------------------------------------ commands
    def _command(self, comp: Component) -> list[str]:
        s = self.settings
        if comp.kind == "mongo":
            data = self.dir / "mongo" / "data"
            data.mkdir(parents=True, exist_ok=True)
            return [str(Path(sys.executable).parent / "secantusd-py"), "--host", s.host,
                    "--port", str(s.ports.mongo), "--storage-path", str(data),
                    "--enable-test-commands", "--noop-heartbeat-seconds", "10",
                    # fsync the log on every commit: without it a killed server loses writes
                    # it had acknowledged (measured: the mongo-restart scenario lost bookings)
                    "--sync-on-commit",
                    "--cache-size", "256M", "--log-level", "WARNING"]
        if comp.kind == "ses":
            return [sys.executable, "-m", "moto.server", "-H", s.host, "-p", str(s.ports.ses)]
        if comp.kind == "kafka":
            props = self._write_broker_config(comp)
            return self._java("kafka.Kafka", props, heap="512m")
        if comp.kind == "connect":
            props = self._write_connect_config()
            return self._java("org.apache.kafka.connect.cli.ConnectDistributed", props, heap="768m")
        if comp.kind == "service":
            return [sys.executable, "-m", "boletia.cli", "serve", comp.name]
        if comp.kind == "consumer":
            (self.dir / "run" / f"{comp.name}.ready").unlink(missing_ok=True)
            return [sys.executable, "-m", "boletia.cli", "consume", comp.name]
        raise LabError(f"no command for component kind {comp.kind!r}")

    def _java(self, main: str, props: Path, heap: str) -> list[str]:
        return [jars.java(), "-Xms128m", f"-Xmx{heap}", "-XX:+UseG1GC",
                "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={TEMPLATES / 'log4j2.properties'}",
                "-cp", f"{jars.KAFKA_LIBS}/*", main, str(props)]

    def _render(self, template: str, target: Path, **values: object) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        text = Template((TEMPLATES / template).read_text()).substitute(
            {k: str(v) for k, v in values.items()})
        target.write_text(text)
        return target

    def _cluster_id(self) -> str:
        path = self.dir / "kafka-cluster-id"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))
        return path.read_text().strip()

    def _write_broker_config(self, comp: Component) -> Path:
        s = self.settings
        node = int(comp.name.split("-")[1])
        home = self.dir / comp.name
        voters = ",".join(f"{i + 1}@{s.host}:{port}" for i, port in enumerate(s.ports.controllers))
        props = self._render(
            "broker.properties", home / "server.properties", node_id=node, voters=voters,
            host=s.host, port=comp.ports[0], controller_port=comp.ports[1],
            data_dir=home / "data")
        if not (home / "data" / "meta.properties").exists():
            self._run_java_tool(
                ["kafka.tools.StorageTool", "format", "-t", self._cluster_id(), "-c", str(props),
                 "--ignore-formatted"], comp.name)
        return props

    def _run_java_tool(self, args: list[str], name: str) -> None:
        cmd = [jars.java(), f"-Dlog4j2.configurationFile={TEMPLATES / 'log4j2.properties'}",
               "-cp", f"{jars.KAFKA_LIBS}/*", *args]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            raise LabError(f"{name}: formatting Kafka storage failed:\n{out.stdout}{out.stderr}")

    def _write_connect_config(self) -> Path:
        s = self.settings
        return self._render(
            "connect-distributed.properties", self.dir / "connect" / "connect.properties",
            bootstrap=s.kafka_bootstrap, host=s.host, port=s.ports.connect,
            plugin_path=jars.PLUGIN_PATH)

    # ------------------------------------------------------------------ health
    def _healthy(self, comp: Component) -> bool:
        if not all(port_open(p) for p in comp.ports):
            return False
        try:
            if comp.kind == "mongo":
                return mongo.ping(self.settings.mongo_uri)
            if comp.kind == "ses":
                return requests.get(f"{self.settings.ses_url}/moto-api/", timeout=2).ok
            if comp.kind == "service":
                return requests.get(f"{comp.connection}/health", timeout=2).ok
            if comp.kind == "consumer":
                ready = self.dir / "run" / f"{comp.name}.ready"
                return ready.exists() and ready.read_text().strip() == str(
                    self.handle(comp.name).pid)
            if comp.kind == "connect":
                r = requests.get(f"{self.settings.connect_url}/connector-plugins", timeout=3)
                return r.ok and any("MongoSourceConnector" in p["class"] for p in r.json())
            return True
        except Exception:  # noqa: BLE001 - not healthy yet, whatever the reason
            return False

    def _wait_healthy(self, comp: Component, started: float) -> None:
        handle = self.handle(comp.name)
        deadline = started + comp.start_timeout
        while time.monotonic() < deadline:
            if handle.process() is None:
                raise LabError(
                    f"{comp.name} died during start-up. Its log ({self.log_file(comp.name)}) "
                    f"ends with:\n{tail(self.log_file(comp.name), 25)}")
            if self._healthy(comp):
                return
            time.sleep(0.5)
        raise LabError(
            f"{comp.name} did not become healthy in {comp.start_timeout:.0f}s. Its log "
            f"({self.log_file(comp.name)}) ends with:\n{tail(self.log_file(comp.name), 25)}")

    # ------------------------------------------------------------------ verbs
    def _check_ports_free(self, comp: Component) -> None:
        for port in comp.ports:
            owner = port_owner(port)
            if owner:
                raise LabError(
                    f"port {port} needed by {comp.name} is taken by {owner}. Stop that "
                    f"program (or a lab started from another checkout: `boletia lab down`) "
                    "and run `boletia lab up` again.")

    def _start(self, comp: Component) -> None:
        self._check_ports_free(comp)
        self.handle(comp.name).start(self._command(comp), self.log_file(comp.name),
                                     env=self._env(), cwd=self.dir)

    def _start_group(self, names: list[str], report: Report, started: list[str]) -> None:
        begun = time.monotonic()
        fresh = []
        for name in names:
            comp = self._components[name]
            if self.handle(name).state() == "running" and self._healthy(comp):
                report(f"{name}: already running")
                continue
            if self.handle(name).state() != "stopped":
                self.handle(name).stop()
            self._start(comp)
            started.append(name)
            fresh.append(comp)
        for comp in fresh:
            self._wait_healthy(comp, begun)
            report(f"{comp.name}: up in {time.monotonic() - begun:.1f}s (pid {self.handle(comp.name).pid})")

    def up(self, report: Report = _silent, design: str | None = None) -> list[ComponentStatus]:
        jars.java()
        jars.ensure_jars(report)
        self.dir.mkdir(parents=True, exist_ok=True)
        previous = self.design()
        if design is not None or not (self.dir / "design").exists():
            self._write_design(design or previous)
        if self.design() != previous:  # running services and consumers read it at start
            for name in APPS:
                self.handle(name).stop()
        started: list[str] = []
        try:
            self._start_group(["mongo", "ses"], report, started)
            bootstrap.prepare_mongo(self.settings)
            self._start_group(["kafka-1", "kafka-2", "kafka-3"], report, started)
            bootstrap.prepare_kafka(self.settings)
            report("topics boletia.* ready (RF 3, min.insync.replicas 2)")
            self._start_group(["connect"], report, started)
            bootstrap.register_connectors(self.settings, self.design(), report)
            self._start_group(APPS, report, started)
        except BaseException:
            for name in reversed(started):
                self.handle(name).stop()
            raise
        return self.status()

    def _write_design(self, design: str) -> None:
        if design not in config.DESIGNS:
            raise LabError(f"unknown design {design!r}; choose one of: {', '.join(config.DESIGNS)}")
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "design").write_text(design)

    def set_design(self, design: str, report: Report = _silent) -> None:
        """Switch a running lab: connectors reconfigured, services and consumers restarted."""
        self._write_design(design)
        bootstrap.register_connectors(self.settings, design, report)
        for name in APPS:
            self.handle(name).stop()
        self._start_group(APPS, report, [])

    def down(self, purge: bool = False, report: Report = _silent) -> None:
        for name in reversed(self.components()):
            handle = self.handle(name)
            if handle.state() != "stopped":
                handle.stop()
                report(f"{name}: stopped")
        busy = [p for c in self._components.values() for p in c.ports if port_open(p)]
        if busy:
            raise LabError(f"ports still in use after stopping the lab: {busy}; "
                           "see `boletia lab status` and the logs under " + str(self.dir / "logs"))
        if purge and self.dir.exists():
            shutil.rmtree(self.dir)
            report(f"deleted {self.dir}")

    def status(self) -> list[ComponentStatus]:
        out = []
        for comp in self._components.values():
            handle = self.handle(comp.name)
            out.append(ComponentStatus(
                name=comp.name, kind=comp.kind, state=handle.state(), pid=handle.pid,
                ports=comp.ports, connection=comp.connection, log=str(self.log_file(comp.name))))
        return out

    def logs(self, component: str, lines: int = 50, since: int | None = None) -> str:
        """The last `lines` lines of a component's log; with `since` (a `log_mark`), only
        what it wrote after that mark (all of it when `lines` is 0)."""
        self._component(component)
        path = self.log_file(component)
        if not path.exists():
            raise LabError(f"{component} has no log yet ({path}); has the lab been started?")
        if since is None:
            return tail(path, lines)
        with open(path, "rb") as f:
            f.seek(since)
            text = f.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:] if lines else text.splitlines())

    def log_mark(self, component: str) -> int:
        """Where a component's log ends now: `logs(component, since=mark)` reads what follows."""
        self._component(component)
        path = self.log_file(component)
        return path.stat().st_size if path.exists() else 0

    def state(self, component: str) -> str:
        """running | paused | stopped."""
        self._component(component)
        return self.handle(component).state()

    def _running(self, component: str) -> ProcessHandle:
        self._component(component)
        handle = self.handle(component)
        if handle.state() == "stopped":
            raise LabError(f"{component} is not running; start the lab with `boletia lab up` "
                           f"or the component with `boletia lab restart {component}`")
        return handle

    def kill(self, component: str) -> None:
        self._running(component).kill()

    def pause(self, component: str) -> None:
        self._running(component).signal(signal.SIGSTOP)

    def resume(self, component: str) -> None:
        self._running(component).signal(signal.SIGCONT)

    def restart(self, component: str, report: Report = _silent) -> None:
        comp = self._component(component)
        self.handle(component).stop()
        self._start_group([comp.name], report, [])

    # ------------------------------------------------------------------ faults
    def _consumer(self, name: str) -> str:
        if self._component(name).kind != "consumer":
            consumers = [c.name for c in self._components.values() if c.kind == "consumer"]
            raise LabError(f"{name} is not a consumer; consumers: {', '.join(consumers)}")
        return name

    def crash_consumer(self, consumer: str, times: int = 1, topic: str | None = None) -> None:
        """Make a consumer exit after its next `times` writes, before committing them."""
        self._running(self._consumer(consumer))
        hooks.arm(consumer, hooks.CRASH, times, self.dir, topic)

    def slow_consumer(self, consumer: str, seconds: float) -> None:
        """Sleep `seconds` before each commit (0 = full speed again)."""
        self._running(self._consumer(consumer))
        if seconds > 0:
            hooks.arm(consumer, hooks.DELAY, seconds, self.dir)
        else:
            hooks.disarm(consumer, hooks.DELAY, self.dir)

    def fail_writes(self, times: int, service: str | None = None) -> None:
        """The next `times` write commands (insert, update, findAndModify) fail in MongoDB,
        only for `service`'s connections when given (a SecantusDB `failCommand` fail point)."""
        if service is not None:
            self._component(service)
        self._running("mongo")
        with mongo.client(self.settings.mongo_uri) as c:
            mongo.fail_next_writes(c, times, app_name=service)

    def clear_faults(self) -> None:
        for name, comp in self._components.items():
            if comp.kind == "consumer":
                hooks.disarm(name, lab_dir=self.dir)
        if self.handle("mongo").state() == "running":
            with mongo.client(self.settings.mongo_uri) as c:
                mongo.clear_fail_points(c)

    def start(self, component: str, report: Report = _silent) -> None:
        """Start one stopped component (after a kill), leaving the others alone."""
        comp = self._component(component)
        self._start_group([comp.name], report, [])
