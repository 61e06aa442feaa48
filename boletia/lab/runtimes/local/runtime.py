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
from urllib.parse import urlsplit

from boletia import config
from boletia.adapters import kafka
from boletia.lab import groups, hooks
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
from boletia.lab.groups import API_SERVICES
from boletia.lab.i18n.messages import cli as _t
from boletia.lab.runtimes import private, replicas
from boletia.lab.runtimes.local import commands, faults
from boletia.lab.runtimes.local.health import healthy
from boletia.lab.runtimes.local.processes import ProcessHandle, port_open, port_owner, stop_all, tail
from boletia.lab.runtimes.local.storage import LabFiles
from boletia.lab.runtimes.port import ComponentStatus
from boletia.lab.setup import bootstrap, credentials, jars
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

    def _member(self, name: str) -> tuple[Component, int] | None:
        """(component, k) when `name` is member k > 1 of a scaled consumer (`inventario-2`),
        Connect's worker k (`connect-2`) or an API's replica k (`reservas-2`)."""
        base, _, k = name.rpartition("-")
        if (base in (*CONSUMERS, *API_SERVICES) or base == groups.CONNECT) and k.isdigit() \
                and 2 <= int(k) <= groups.max_members(base):
            return BY_NAME[base], int(k)
        return None

    def _extra_handles(self) -> list[ProcessHandle]:
        """Every member beyond the first, of every consumer, API and of Connect."""
        return [self._handle(groups.member_name(c, k))
                for c in (*CONSUMERS, *API_SERVICES, groups.CONNECT)
                for k in self._extra_members(c)]

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
        if not (comp.name in API_SERVICES and self.members(comp.name) > 1):  # else: its replicas'
            self._check_ports_free(comp)
        if comp.kind == "consumer":
            hooks.clear_ready(self.files.root, comp.name)
        self._handle(comp.name).start(
            commands.command(comp, self.settings, self.files), self.files.log_file(comp.name),
            env=commands.environment(comp, self.settings, self.files, self.design()),
            cwd=self.files.root)

    def _credentials(self, report: Report) -> None:
        """Credentials are on by default, but Kafka takes its users only when its storage is
        formatted: a lab formatted without them keeps running without them, saying how to turn
        them on, unless BOLETIA_AUTH=1 asked for them explicitly (then it is an error)."""
        had_mongo_users = "mongo" in self.files.credentials()
        try:
            made = self.files.create_credentials()
        except LabError:
            if "auth" in self.settings.model_fields_set:
                raise
            report(_t("credentials: off, this lab's storage was formatted without them "
                      "(`boletia lab down --purge`, then `boletia lab up`, turns them on)"))
            return
        if "mongo" in made and not had_mongo_users:
            # a lab made before MongoDB had users: whatever runs logs in without one (and Connect
            # lacks the password its connectors name), so MongoDB and every client of it restart
            running = [h for h in [self._handle(n) for n in ("mongo", "connect", *APPS, *WATCHERS)]
                       + self._extra_handles()
                       if h.state() != "stopped"]
            if running:
                report(_t("MongoDB users added to this lab: restarting MongoDB and what uses it, "
                          "so that each logs in as its own user"))
                stop_all(running)

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
            stop_all([self._handle(name) for name in APPS]
                     + [self._handle(groups.member_name(c, k)) for c in (*CONSUMERS, *API_SERVICES)
                        for k in self._extra_members(c)])
        self.files.admin_token()
        if self.settings.auth:  # generated once, before Kafka's storage is formatted
            self._credentials(report)
        started: list[str] = []
        try:
            self._start_group(["mongo", "ses"], report, started)
            bootstrap.prepare_mongo(self.settings)
            if self.files.credentials():
                report(_t("MongoDB: {n} users: admin for the lab's tools, and one per service, consumer "
                          "and Connect, readWrite on boletia (Connect's also on the scratch databases) "
                          "(lab/setup/credentials.py)",
                          n=len(self.files.credentials()["mongo"])))
            self._start_group(BROKERS, report, started)
            bootstrap.prepare_kafka(self.settings)
            report(_t("topics boletia.* ready (RF 3, min.insync.replicas 2)"))
            if self.files.credentials():
                added, n = credentials.grant(self.settings.kafka_bootstrap,
                                             self.files.credentials()["kafka"])
                if added:
                    report(_t("Kafka: SCRAM user(s) added for {who} (a lab formatted before they "
                              "existed)", who=", ".join(added)))
                report(_t("Kafka: SASL/SCRAM on, {n} ACLs (lab/setup/credentials.py)", n=n))
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
        # every member of a scaled consumer or API runs the new design too: stopped, then started
        counts = {c: self.members(c) for c in (*CONSUMERS, *API_SERVICES) if self.state(c) != "stopped"}
        for c in counts:
            self._stop_members(BY_NAME[c], sorted(self._extra_members(c), reverse=True), report)
        stop_all([self._handle(name) for name in APPS])
        self._start_group(APPS, report, [])
        for c, n in counts.items():
            if n > 1:
                self.scale(c, n, report)

    def down(self, purge: bool = False, report: Report = _silent) -> None:
        extras = self._extra_handles()
        if extras:
            stop_all(extras)
            report(f"{len(extras)} extra member(s) of consumers, APIs or Connect: stopped")
        running = [n for n in reversed(self.components()) if self._handle(n).state() != "stopped"]
        if purge:
            # the data goes with the lab, so nothing need leave in order: all are asked at
            # once (one after the other, each broker's shutdown waited up to 20 s in turn)
            stop_all([self._handle(n) for n in running])
        for name in running:
            if not purge:
                self._handle(name).stop()
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
                member_id=(urlsplit(self.worker_url(1)).netloc if comp.kind == "connect"
                           else groups.group_instance_id(comp.group, 1) if comp.kind == "consumer"
                           else comp.name if comp.name in API_SERVICES else ""),
                health=read_stalled(self.files.root, comp.group) if comp.group else ""))
            if comp.name in API_SERVICES:
                for k in self._extra_members(comp.name):
                    name = groups.member_name(comp.name, k)
                    handle = self._handle(name)
                    out.append(ComponentStatus(
                        name=name, kind=comp.kind, state=handle.state(), pid=handle.pid,
                        ports=comp.ports(self.settings.ports),
                        connection=f"{self._connection(comp)} (shared by its replicas)",
                        member_id=name, log=str(self.files.log_file(name))))
            if comp.kind in ("consumer", "connect"):
                for k in self._extra_members(comp.name):
                    name = groups.member_name(comp.name, k)
                    handle = self._handle(name)
                    worker = comp.kind == "connect"
                    out.append(ComponentStatus(
                        name=name, kind=comp.kind, state=handle.state(), pid=handle.pid,
                        ports=[self.settings.ports.connect_worker(k)] if worker else [],
                        connection=self.worker_url(k) if worker
                        else f"group {comp.group}, instance {groups.instance(k)}",
                        member_id=urlsplit(self.worker_url(k)).netloc if worker
                        else groups.group_instance_id(comp.group, k),
                        log=str(self.files.log_file(name))))
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
        if self._member(component) is None:
            self._component(component)
        return self._handle(component).state()

    def logs(self, component: str, lines: int = 50, since: int | None = None) -> str:
        """The last `lines` lines of a component's log; with `since` (a `log_mark`), only
        what it wrote after that mark (all of it when `lines` is 0)."""
        if self._member(component) is None:
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
        if self._member(component) is None:
            self._component(component)
        path = self.files.log_file(component)
        return path.stat().st_size if path.exists() else 0

    # ------------------------------------------------------------------ failure verbs
    def _running(self, component: str) -> ProcessHandle:
        if self._member(component) is None:
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
        member = self._member(component)
        if member is not None:  # a member of a scaled consumer, or a Connect worker: the same again
            self._handle(component).stop()
            self._start_member(*member)
            comp, k = member
            self._wait_members(comp, max(k, self.members(comp.name)), comp.start_timeout)
            report(f"{component}: back" + ("" if comp.kind == "service"
                                           else f" in group {comp.group or 'boletia-connect'}"))
            return
        self._component(component)
        self._handle(component).stop()
        self._start_group([component], report, [])

    def start(self, component: str, report: Report = _silent) -> None:
        """Start one stopped component (after a kill), leaving the others alone; a member of a
        scaled consumer (`inventario-2`) starts as that member again."""
        member = self._member(component)
        if member is not None:
            if self._handle(component).state() == "stopped":
                self._start_member(*member)
            return
        self._component(component)
        self._start_group([component], report, [])

    def _consumer(self, name: str) -> str:
        if self._component(name).kind != "consumer":
            raise LabError(f"{name} is not a consumer; consumers: {', '.join(CONSUMERS)}")
        self._running(name)
        return name

    def crash_consumer(self, consumer: str, times: int = 1, topic: str | None = None) -> None:
        """Make a consumer exit after its next `times` writes, before committing them."""
        groups.check_crash_topic(consumer, topic)
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

    # ------------------------------------------------------------------ scaling
    def _extra_members(self, consumer: str) -> list[int]:
        """The numbers (2, 3, ...) of a consumer's members beyond the first that have a
        process or a pid file."""
        found = []
        for pid_file in self.files.root.glob(f"run/{consumer}-*.pid"):
            suffix = pid_file.stem[len(consumer) + 1:]
            if suffix.isdigit() and int(suffix) >= 2:
                found.append(int(suffix))
        return sorted(found)

    def members(self, consumer: str) -> int:
        """How many members of `consumer` (or workers of Connect) run now, the first included."""
        if consumer not in (groups.CONNECT, *API_SERVICES):
            self._consumer(consumer)
        extra = [k for k in self._extra_members(consumer)
                 if self._handle(groups.member_name(consumer, k)).state() != "stopped"]
        return 1 + len(extra)

    def _start_member(self, comp: Component, k: int) -> None:
        name = groups.member_name(comp.name, k)
        if comp.kind == "connect":
            port = self.settings.ports.connect_worker(k)
            if port_owner(port):
                raise LabError(f"port {port} for {name} is taken by {port_owner(port)}; stop "
                               "that program and scale again")
        hooks.clear_ready(self.files.root, name)
        self._handle(name).start(
            commands.command(comp, self.settings, self.files, member=k), self.files.log_file(name),
            env=commands.environment(comp, self.settings, self.files, self.design(), member=k),
            cwd=self.files.root)

    def _stop_members(self, comp: Component, numbers: list[int], report: Report) -> None:
        """Stop members cleanly (SIGTERM: the loop finishes its poll and commits), then take
        them out of the group: a static member sends no LeaveGroup, and its partitions would
        otherwise wait a session timeout to move."""
        if not numbers:
            return
        names = [groups.member_name(comp.name, k) for k in numbers]
        stop_all([self._handle(n) for n in names])
        if comp.kind in ("connect", "service"):  # a worker leaves Connect's group as it stops
            for n in names:
                report(f"{n}: stopped" + (", out of Connect's group" if comp.kind == "connect"
                                          else ", its share of the port closed"))
            return
        for n in names:
            hooks.clear_ready(self.files.root, n)
        try:
            kafka.remove_static_members(self.settings.kafka_bootstrap, comp.group or comp.name,
                                        [groups.group_instance_id(comp.group or comp.name, k)
                                         for k in numbers])
        except Exception as exc:  # noqa: BLE001 - already gone (session expired): fine
            report(f"{comp.name}: members {numbers} had left the group already ({type(exc).__name__})")
        for n in names:
            report(f"{n}: stopped, out of group {comp.group}")

    def worker_url(self, k: int) -> str:
        return f"http://{self.settings.host}:{self.settings.ports.connect_worker(k)}"

    def connect_urls(self) -> list[str]:
        """The REST address of every running Connect worker, worker 1's first: any of them
        answers for the whole cluster (a request is forwarded to the leader)."""
        return [self.worker_url(k) for k in range(1, groups.MAX_WORKERS + 1)
                if self._handle(groups.member_name(groups.CONNECT, k)).state() == "running"]

    def _alive(self, comp: Component, n: int, doing: str) -> None:
        """Members 2..n of `comp` still running, or a LabError with the end of the dead one's log."""
        for k in range(2, n + 1):
            name = groups.member_name(comp.name, k)
            if self._handle(name).process() is None:
                log = self.files.log_file(name)
                raise LabError(f"{name} died {doing}. Its log ({log}) ends with:\n{tail(log, 25)}")

    def _wait_workers(self, n: int, timeout: float) -> dict[str, list[str]]:
        """Until exactly workers 1..n run Connect's connectors and tasks between them, every
        one RUNNING (Connect's incremental cooperative rebalance takes two rounds: the leader
        first revokes, then assigns)."""
        from boletia.lab.setup import connectors

        wanted = {f"{self.settings.host}:{self.settings.ports.connect_worker(k)}"
                  for k in range(1, n + 1)}
        deadline = time.monotonic() + timeout
        held: dict[str, list[str]] = {}
        while time.monotonic() < deadline:
            self._alive(BY_NAME[groups.CONNECT], n, "while joining Connect's group")
            urls = self.connect_urls()  # none while worker 1 restarts
            held, running = connectors.holdings(urls[0]) if urls else ({}, False)
            if running and set(held) == wanted:
                return held
            time.sleep(1.0)
        raise LabError(f"Connect did not settle on {n} workers in {timeout:.0f}s (its "
                       f"connectors and tasks run on {sorted(held) or 'none'}); see `boletia lab "
                       f"status` and the workers' logs under {self.files.root / 'logs'}")

    def _wait_replicas(self, comp: Component, n: int, timeout: float) -> list[dict]:
        return replicas.settle(comp.name, getattr(self.settings, f"{comp.name}_url"), n, timeout,
                               lambda: self._alive(comp, n, "during start-up"),
                               f"the replicas' logs under {self.files.root / 'logs'}")

    def _wait_members(self, comp: Component, n: int, timeout: float) -> list[dict]:
        """Until the group's coordinator lists exactly members 1..n (by instance id), its
        rebalance over (Stable); for Connect, until workers 1..n share its work."""
        if comp.kind == "connect":
            held = self._wait_workers(n, timeout)
            return [{"instance": w, "partitions": units} for w, units in held.items()]
        if comp.kind == "service":
            return self._wait_replicas(comp, n, timeout)
        group = comp.group or comp.name
        wanted = {groups.group_instance_id(group, k) for k in range(1, n + 1)}
        deadline = time.monotonic() + timeout
        seen: set = set()
        while time.monotonic() < deadline:
            self._alive(comp, n, f"while joining group {group}")
            try:
                rows = kafka.group_members(self.settings.kafka_bootstrap, [group]).get(group, [])
            except Exception:  # noqa: BLE001 - coordinator moving: ask again
                rows = []
            seen = {r["instance"] for r in rows}
            if seen == wanted and all(r["group_state"] == "Stable" for r in rows):
                return rows
            time.sleep(1.0)
        raise LabError(f"group {group} did not settle on {n} members in {timeout:.0f}s (it has "
                       f"{sorted(seen) or 'none'}); see `boletia lab status` and the members' "
                       f"logs under {self.files.root / 'logs'}")

    def scale(self, component: str, members: int, report: Report = _silent) -> None:
        """Run `members` processes of a consumer as members of its one group, each with its
        own instance id and log, of Connect as workers of one cluster, each with its own REST
        port, or of an API as replicas sharing its one port; fewer: the highest-numbered stop
        first."""
        comp = self._component(component)
        if comp.kind not in ("consumer", "connect") and component not in API_SERVICES:
            raise LabError(f"{component} does not scale here; what scales: "
                           f"{', '.join(CONSUMERS)}, {groups.CONNECT}, {', '.join(API_SERVICES)}")
        most = groups.max_members(component)
        if not 1 <= members <= most:
            raise LabError(f"{component}: between 1 and {most} members, not {members}")
        self._running(component)
        extra = self._extra_members(component)
        self._stop_members(comp, sorted((k for k in extra if k > members), reverse=True), report)
        fresh = [k for k in range(2, members + 1)
                 if self._handle(groups.member_name(component, k)).state() == "stopped"]
        for k in fresh:
            self._start_member(comp, k)
        begun = time.monotonic()
        rows = self._wait_members(comp, members, comp.start_timeout)
        for r in sorted(rows, key=lambda r: r["instance"] or ""):
            held = ", ".join(p if isinstance(p, str) else f"{p[0]}[{p[1]}]"
                             for p in r["partitions"]) or "none: idle"
            report(f"{r['instance']}: {held}")
        if comp.kind == "service":
            report(f"{component}: {members} replica(s) answer {self._connection(comp)} "
                   f"(settled in {time.monotonic() - begun:.1f}s)")
            return
        report(f"{component}: {members} member(s) in group {comp.group or 'boletia-connect'} "
               f"(settled in {time.monotonic() - begun:.1f}s)")
