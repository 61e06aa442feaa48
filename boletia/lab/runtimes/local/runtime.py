"""The local runtime: every component as a real process on this machine, no containers.

MongoDB is SecantusDB (a single-node replica set on WiredTiger), SES is a moto server,
Kafka is three KRaft brokers from the official jars, Connect runs in distributed mode with
the official MongoDB connector; the Boletia services and consumers are Python processes.
Data, logs and pid files live under one lab directory (`BOLETIA_LAB_DIR`, default `.lab/`).

This file holds the verbs; the rest is by job, next to it: `commands.py` (each component's
command line and environment), `storage.py` (the lab directory: config files, Kafka's
storage, the design, the token), `health.py`, `faults.py`, `processes.py` (pid files).
"""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

from boletia import config
from boletia.lab import hooks
from boletia.lab.components import (
    APPS,
    BROKERS,
    BY_NAME,
    COMPONENTS,
    CONSUMERS,
    TOOLS,
    WATCHERS,
    Component,
)
from boletia.lab.errors import LabError
from boletia.lab.i18n.messages import cli as _t
from boletia.lab.runtimes import private
from boletia.lab.runtimes.local import commands, faults
from boletia.lab.runtimes.local.health import healthy
from boletia.lab.runtimes.local.processes import ProcessHandle, port_open, port_owner, stop_all, tail
from boletia.lab.runtimes.local.storage import LabFiles
from boletia.lab.runtimes.port import ComponentStatus
from boletia.lab.setup import bootstrap, jars
from boletia.lab.setup.watchdog import read_stalled

Report = Callable[[str], None]


def _silent(_: str) -> None:
    pass


class LocalRuntime:
    name = "local"

    def __init__(self, settings: config.Settings | None = None):
        self.settings = settings or config.settings()
        self.files = LabFiles(self.settings.lab_dir.resolve())

    # ------------------------------------------------------------------ layout
    def components(self) -> list[str]:
        return [c.name for c in COMPONENTS]

    def _component(self, name: str) -> Component:
        if name not in BY_NAME:
            raise LabError(f"unknown component {name!r}; components: {', '.join(BY_NAME)}")
        return BY_NAME[name]

    def _handle(self, name: str) -> ProcessHandle:
        return ProcessHandle(self.files.pid_file(name))

    def design(self) -> str:
        """The design this lab runs: kept in the lab directory, so every restart agrees."""
        return self.files.design() or self.settings.design

    def admin_token(self) -> str:
        return self.files.admin_token()

    # ------------------------------------------------------------------ starting
    def _wait_healthy(self, comp: Component, started: float) -> None:
        handle = self._handle(comp.name)
        deadline = started + comp.start_timeout
        log = self.files.log_file(comp.name)
        while time.monotonic() < deadline:
            if handle.process() is None:
                raise LabError(f"{comp.name} died during start-up. Its log ({log}) ends with:\n"
                               f"{tail(log, 25)}")
            if healthy(comp, self.settings, self.files, handle):
                return
            time.sleep(0.5)
        raise LabError(f"{comp.name} did not become healthy in {comp.start_timeout:.0f}s. Its log "
                       f"({log}) ends with:\n{tail(log, 25)}")

    def _check_ports_free(self, comp: Component) -> None:
        for port in comp.ports(self.settings.ports):
            owner = port_owner(port)
            if owner:
                raise LabError(
                    f"port {port} needed by {comp.name} is taken by {owner}. Stop that "
                    f"program (or a lab started from another checkout: `boletia lab down`) "
                    "and run `boletia lab up` again.")

    def _start(self, comp: Component) -> None:
        self._check_ports_free(comp)
        if comp.kind == "consumer":
            hooks.clear_ready(self.files.root, comp.name)
        self._handle(comp.name).start(
            commands.command(comp, self.settings, self.files), self.files.log_file(comp.name),
            env=commands.environment(comp, self.settings, self.files, self.design()),
            cwd=self.files.root)

    def _start_group(self, names: list[str] | tuple[str, ...], report: Report,
                     started: list[str]) -> None:
        begun = time.monotonic()
        fresh = []
        for name in names:
            comp, handle = BY_NAME[name], self._handle(name)
            if handle.state() == "running" and healthy(comp, self.settings, self.files, handle):
                report(_t("{name}: already running", name=name))
                continue
            if handle.state() != "stopped":
                handle.stop()
            self._start(comp)
            started.append(name)
            fresh.append(comp)
        for comp in fresh:
            self._wait_healthy(comp, begun)
            report(_t("{name}: up in {secs:.1f}s (pid {pid})", name=comp.name,
                      secs=time.monotonic() - begun, pid=self._handle(comp.name).pid))

    def up(self, report: Report = _silent, design: str | None = None) -> list[ComponentStatus]:
        jars.java()
        jars.ensure_jars(report)
        private.directory(self.files.root)
        previous = self.design()
        if design is not None or self.files.design() is None:
            self.files.set_design(design or previous)
        if self.design() != previous:  # running services and consumers read it at start
            stop_all([self._handle(name) for name in APPS])
        self.files.admin_token()
        started: list[str] = []
        try:
            self._start_group(["mongo", "ses"], report, started)
            bootstrap.prepare_mongo(self.settings)
            self._start_group(BROKERS, report, started)
            bootstrap.prepare_kafka(self.settings)
            report(_t("topics boletia.* ready (RF 3, min.insync.replicas 2)"))
            self._start_group(["connect"], report, started)
            bootstrap.register_connectors(self.settings, self.design(), report)
            self._start_group(APPS, report, started)
            self._start_group(WATCHERS, report, started)
            self._start_group(TOOLS, report, started)
            report(_t("control room: {url}/control  box office: {url}/", url=self.settings.ui_url))
        except BaseException:
            for name in reversed(started):
                self._handle(name).stop()
            raise
        return self.status()

    def set_design(self, design: str, report: Report = _silent,
                   student_module: Path | None = None) -> None:
        """Switch a running lab: connectors reconfigured, services and consumers restarted.
        `student_module`: the file the student design takes its decisions from."""
        if student_module is not None:
            self.files.set_student_module(student_module)
        self.files.set_design(design)
        bootstrap.register_connectors(self.settings, design, report)
        stop_all([self._handle(name) for name in APPS])
        self._start_group(APPS, report, [])

    def down(self, purge: bool = False, report: Report = _silent) -> None:
        for name in reversed(self.components()):
            handle = self._handle(name)
            if handle.state() != "stopped":
                handle.stop()
                report(_t("{name}: stopped", name=name))
        busy = [p for c in COMPONENTS for p in c.ports(self.settings.ports)
                if port_open(p, self.settings.host)]
        if busy:
            raise LabError(f"ports still in use after stopping the lab: {busy}; see `boletia lab "
                           f"status` and the logs under {self.files.root / 'logs'}")
        if purge and self.files.root.exists():
            shutil.rmtree(self.files.root)
            report(_t("deleted {path}", path=self.files.root))

    # ------------------------------------------------------------------ looking
    def status(self) -> list[ComponentStatus]:
        out = []
        for comp in COMPONENTS:
            handle = self._handle(comp.name)
            out.append(ComponentStatus(
                name=comp.name, kind=comp.kind, state=handle.state(), pid=handle.pid,
                ports=comp.ports(self.settings.ports), connection=self._connection(comp),
                log=str(self.files.log_file(comp.name)),
                health=read_stalled(self.files.root, comp.group) if comp.group else ""))
        return out

    def _connection(self, comp: Component) -> str:
        s = self.settings
        if comp.kind == "kafka":
            return f"{s.host}:{comp.ports(s.ports)[0]}"
        if comp.kind == "consumer":
            return f"group {comp.group}"
        if comp.kind == "watchdog":
            return f"watches {s.connect_url}"
        return {"mongo": s.mongo_uri, "ses": s.ses_url, "connect": s.connect_url,
                "eventos": s.eventos_url, "reservas": s.reservas_url,
                "ui": f"{s.ui_url}/control"}[comp.name]

    def state(self, component: str) -> str:
        """running | paused | stopped."""
        self._component(component)
        return self._handle(component).state()

    def logs(self, component: str, lines: int = 50, since: int | None = None) -> str:
        """The last `lines` lines of a component's log; with `since` (a `log_mark`), only
        what it wrote after that mark (all of it when `lines` is 0)."""
        self._component(component)
        path = self.files.log_file(component)
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
        path = self.files.log_file(component)
        return path.stat().st_size if path.exists() else 0

    # ------------------------------------------------------------------ failure verbs
    def _running(self, component: str) -> ProcessHandle:
        self._component(component)
        handle = self._handle(component)
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
        self._component(component)
        self._handle(component).stop()
        self._start_group([component], report, [])

    def start(self, component: str, report: Report = _silent) -> None:
        """Start one stopped component (after a kill), leaving the others alone."""
        self._component(component)
        self._start_group([component], report, [])

    def _consumer(self, name: str) -> str:
        if self._component(name).kind != "consumer":
            raise LabError(f"{name} is not a consumer; consumers: {', '.join(CONSUMERS)}")
        self._running(name)
        return name

    def crash_consumer(self, consumer: str, times: int = 1, topic: str | None = None) -> None:
        """Make a consumer exit after its next `times` writes, before committing them."""
        faults.crash_consumer(self.files, self._consumer(consumer), times, topic)

    def slow_consumer(self, consumer: str, seconds: float) -> None:
        """Sleep `seconds` before each commit (0 = full speed again)."""
        faults.slow_consumer(self.files, self._consumer(consumer), seconds)

    def fail_writes(self, times: int, service: str | None = None) -> None:
        """The next `times` write commands (insert, update, findAndModify) fail in MongoDB,
        only for `service`'s connections when given (a SecantusDB `failCommand` fail point)."""
        if service is not None:
            self._component(service)
        self._running("mongo")
        faults.fail_writes(self.settings, times, service)

    def clear_faults(self) -> None:
        faults.clear(self.files, self.settings, self.state("mongo") == "running")
