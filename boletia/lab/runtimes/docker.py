"""The docker runtime: the same lab on Docker Compose (lab-infra/compose.yaml), from one of two
image sets (boletia/lab/runtimes/images.py): the official images, with a real 3-member MongoDB
replica set (so member failover can be shown), or the offline images built without Docker Hub,
with ONE SecantusDB member (service `mongo`) in its place.

Two ways to the engine, each injectable so the runtime is testable without a Docker engine:
the lab's lifecycle (build, `up --wait`, `down`, the design's `setup` run) is `docker compose`
on the command line (`run`: the compose file is the one description of the lab); a container's
operations (kill, pause, resume, restart, start, exec, logs, its state and health, the network
cut) go through the Docker SDK (`engine`: a factory of `docker.DockerClient`, by default
`docker.from_env()`, which finds the engine as the `docker` command does: DOCKER_HOST, else
/var/run/docker.sock, where scripts/docker-engine.sh starts dockerd). A container is found by
compose's labels (project `boletia`, its service), not by a guessed name. The runtime keeps its state
in `<lab dir>/docker/`: the design it runs, the secrets it generated (admin token, Jupyter
token, MongoDB's root password, the replica set's keyfile; Kafka's and Connect's passwords in
`kafka.env`, from the lab's credentials file), each file mode 0600, the image set
it runs (`image-set`) and the host ports it published (`ports.json`). A consumer fault is armed
inside the consumer's container (`boletia lab arm`), where its hooks read it.

Host ports: the settings' ports (the local runtime's by default), shifted by `port_offset`,
so a docker lab can run beside a local one (`DockerRuntime(port_offset=20000)`); each one is a
compose variable (BOLETIA_PORT_*), and each broker advertises its own host port.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from boletia import config, designs, resources
from boletia.lab import groups
from boletia.lab.components import APPS, BY_NAME, COMPONENTS, CONSUMERS
from boletia.lab.errors import LabError
from boletia.lab.groups import CONNECT
from boletia.lab.hooks import CRASH_FIRED
from boletia.lab.runtimes import host_tools, images, private, replicas
from boletia.lab.runtimes.port import ComponentStatus
from boletia.lab.runtimes.shell import Runner, armed, run_command, succeeded
from boletia.lab.setup import credentials

PROJECT = "boletia"
EXTRAS = {"jupyter": ("notebooks", [8888])}  # containers of the lab that are not components
SECRETS = ("BOLETIA_ADMIN_TOKEN", "BOLETIA_JUPYTER_TOKEN", "BOLETIA_MONGO_PASSWORD",
           "BOLETIA_BOOKING_KEY")
ONE_MEMBER = "mongo"  # the offline set's single SecantusDB member (compose profile `offline`)
WAIT_SECONDS = 600    # `compose up --wait`: the first start of Kafka and Connect takes minutes


def compose_file() -> Path:
    return resources.infra_dir() / "compose.yaml"


def shifted(ports: config.Ports, offset: int) -> config.Ports:
    return ports.shifted(offset)


class DockerRuntime:
    name = "docker"

    def __init__(self, run: Runner | None = None, settings: config.Settings | None = None,
                 image_set: str | None = None, port_offset: int = 0,
                 engine: Callable[[], Any] | None = None):
        """`image_set`: auto | official | offline for `up` (default: the set built last, else
        auto); `port_offset`: added to every host port of the settings; `run` runs a command
        line (compose), `engine` makes the Docker SDK's client (containers)."""
        self.run = run or run_command
        self._engine_factory = engine or _from_env
        self._client: Any = None
        base = settings or config.settings()
        self.dir = base.lab_dir.resolve() / "docker"
        self._base = base
        if image_set is not None and image_set not in images.CHOICES:
            raise LabError(f"unknown image set {image_set!r}; choose one of: {', '.join(images.CHOICES)}")
        self._choice = image_set
        self._offset = port_offset

    # ------------------------------------------------------------------ state and secrets
    def _secrets(self) -> dict[str, str]:
        """Generated on first use, each a random value, kept 0600 in the lab directory."""
        path = self.dir / "secrets.env"
        if not path.exists():
            self.dir.mkdir(parents=True, exist_ok=True)
            values = {k: secrets.token_urlsafe(24) for k in SECRETS}
            private.write(path, "".join(f"{k}={v}\n" for k, v in values.items()))
            private.write(self.dir / "mongo-keyfile", secrets.token_urlsafe(96))
        values = dict(line.split("=", 1) for line in path.read_text().split() if "=" in line)
        missing = [k for k in SECRETS if not values.get(k)]
        if missing:  # a lab made before a secret was added: add it, the others stay
            values.update({k: secrets.token_urlsafe(24) for k in missing})
            path.unlink()
            private.write(path, "".join(f"{k}={v}\n" for k, v in values.items()))
        return values

    def _credentials(self) -> dict:
        """The lab's Kafka and Connect credentials, in the lab directory's credentials file (the
        local runtime's, so a local and a docker lab on one directory share them, and the host's
        tools find them there as for a local lab); made, or completed, on first use. Their compose
        variables go to an env file of their own (0600), never on a command line."""
        path = self._base.lab_dir.resolve() / config.CREDENTIALS_FILE
        found = json.loads(path.read_text()) if path.exists() else {}
        changed = not found
        if not found:
            found = credentials.generate()
        changed = bool(credentials.complete(found)) or changed
        if changed:
            private.directory(path.parent)
            private.write(path, json.dumps(found, indent=1))  # replaced in one step, 0600
        self.dir.mkdir(parents=True, exist_ok=True)
        # single-quoted: compose reads the value as it is (the JAAS lines hold double quotes)
        private.write(self.dir / "kafka.env", "".join(
            f"{k}='{v}'\n" for k, v in credentials.compose_env(found).items()))
        return found

    @property
    def settings(self) -> config.Settings:
        """How the host reaches the published ports: MongoDB's member mongo-1 (the offline
        set: its one SecantusDB member) as the lab's admin (config.mongo_login: from the lab's
        credentials file, as every other part's login), and every other part at the host port
        this lab published."""
        ports, host = self.ports(), self._base.host
        mongo = f"mongodb://{host}:{ports.mongo}/?directConnection=true"
        return self._base.model_copy(update={
            "ports": ports,
            "mongo_uri": mongo,
            "kafka_bootstrap": ",".join(f"{host}:{p}" for p in ports.kafka),
            "connect_url": f"http://{host}:{ports.connect}",
            "ses_url": f"http://{host}:{ports.ses}",
            "eventos_url": f"http://{host}:{ports.eventos}",
            "reservas_url": f"http://{host}:{ports.reservas}",
            "design": self.design()})

    # ------------------------------------------------------------------ ports and image set
    def _requested_ports(self) -> tuple[config.Ports, int]:
        return (shifted(self._base.ports, self._offset),
                EXTRAS["jupyter"][1][0] + self._offset)

    def _saved_ports(self) -> tuple[config.Ports, int] | None:
        path = self.dir / "ports.json"
        if not path.exists():
            return None
        doc = json.loads(path.read_text())
        jupyter = doc.pop("jupyter", EXTRAS["jupyter"][1][0])
        return config.Ports(**doc), jupyter

    def _published_ports(self) -> tuple[config.Ports, int]:
        """The ports of the lab `up` started (saved), else the ones this runtime was asked for."""
        return self._saved_ports() or self._requested_ports()

    def ports(self) -> config.Ports:
        return self._published_ports()[0]

    def _ports_for_up(self) -> tuple[config.Ports, int]:
        """Ports asked for explicitly (an offset, or settings that are not the defaults) win;
        otherwise a lab keeps the ports it was first brought up on."""
        explicit = self._offset != 0 or self._base.ports != config.Ports()
        return self._requested_ports() if explicit else self._published_ports()

    def _save_ports(self, ports: config.Ports, jupyter: int) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        doc = {**ports.model_dump(mode="json"), "jupyter": jupyter}
        (self.dir / "ports.json").write_text(json.dumps(doc) + "\n")

    @staticmethod
    def _port_variables(ports: config.Ports, jupyter: int) -> dict[str, str]:
        named = {"MONGO": ports.mongo, "SES": ports.ses, "CONNECT": ports.connect,
                 "EVENTOS": ports.eventos, "RESERVAS": ports.reservas, "JUPYTER": jupyter,
                 **{f"KAFKA_{i + 1}": p for i, p in enumerate(ports.kafka)}}
        return {f"BOLETIA_PORT_{k}": str(v) for k, v in named.items()}

    def image_set(self) -> images.ImageSet:
        """The set this lab runs: the one built last (recorded), else the one asked for, else
        the official one (compose.yaml's defaults)."""
        built = images.recorded(self._base.lab_dir)
        if built is not None:
            return built
        return images.SETS.get(self._choice or "", images.OFFICIAL)

    def design(self) -> str:
        path = self.dir / "design"
        return path.read_text().strip() if path.exists() else self._base.design

    def _set_design(self, design: str) -> None:
        try:
            design = designs.check(design)
        except designs.UnknownDesign as exc:
            raise LabError(str(exc)) from None
        if not designs.get(design).available_on_containers:
            raise LabError("design student on docker: the student's file is on this machine, not in "
                           "the containers' image; use --runtime local")
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "design").write_text(design)

    def admin_token(self) -> str:
        return self._secrets()["BOLETIA_ADMIN_TOKEN"]

    # ------------------------------------------------------------------ plumbing
    def _compose(self, *args: str, succeeded=succeeded) -> str:
        self._secrets()
        self._credentials()
        env = {"BOLETIA_DESIGN": self.design(), "BOLETIA_SECRETS_DIR": str(self.dir),
               **self.image_set().variables(self._jupyter()),
               **self._port_variables(*self._published_ports())}
        cmd = ["env", *(f"{k}={v}" for k, v in env.items()),
               "docker", "compose", "-p", PROJECT, "-f", str(compose_file()),
               "--env-file", str(self.dir / "secrets.env"), "--env-file", str(self.dir / "kafka.env"),
               *args]
        return self._check(cmd, succeeded)

    def _check(self, cmd: list[str], succeeded=succeeded) -> str:
        if self.run is run_command and shutil.which("docker") is None:
            raise LabError("the docker runtime needs Docker (the `docker` command was not found); "
                           "use --runtime local on this machine")
        out = self.run(cmd)
        if not succeeded(out):
            detail = (out.stderr or out.stdout or "").strip()[-1500:]
            if "Cannot connect to the Docker daemon" in detail or "unknown command" in detail:
                raise LabError(f"no usable Docker engine with the compose plugin ({detail}); "
                               "start Docker, or use --runtime local")
            shown = [c for c in cmd if not c.startswith("BOLETIA_")]
            raise LabError(f"`{' '.join(shown[-4:])}` failed:\n{detail}{self._why_unhealthy(detail)}")
        return out.stdout

    def _why_unhealthy(self, detail: str) -> str:
        """For each container compose found unhealthy: its readiness and stalled marks, the end
        of its log and of the watchdog's (a consumer is healthy once it has its partitions
        and while the watchdog does not find it stalled)."""
        found = []
        for container in dict.fromkeys(re.findall(r"container (\S+) is unhealthy", detail)):
            marks = self.run(["docker", "exec", container, "sh", "-c",
                              "ls /lab/run; for f in /lab/run/*.stalled; do "
                              "[ -f \"$f\" ] && echo \"$f: $(cat \"$f\")\"; done"])
            log = self.run(["docker", "logs", "--tail", "20", container])
            found.append(f"\n--- {container}: /lab/run holds {' '.join(marks.stdout.split()) or '-'}"
                         f"\n--- the end of its log:\n{(log.stdout + log.stderr).strip()[-2500:]}")
        if not found:
            return ""
        watchdog = self.run(["docker", "logs", "--tail", "15", f"{PROJECT}-watchdog-1"])
        return ("".join(found) + f"\n--- the end of the watchdog's log:\n"
                f"{(watchdog.stdout + watchdog.stderr).strip()[-2000:]}\n(a consumer is healthy "
                "once it has its partitions and while the watchdog does not find it stalled; "
                "`boletia lab logs <name> --runtime docker` shows more)")

    def _jupyter(self) -> bool:
        """JupyterLab in the network runs when its image was built (`boletia lab images --jupyter`)."""
        return images.recorded_jupyter(self._base.lab_dir)

    def components(self) -> list[str]:
        """Its containers: a lab tool that runs on this machine (the UI) is not one."""
        one = self.image_set().mongo_members == 1
        return [n for c in COMPONENTS if not c.host_side
                for n in ([ONE_MEMBER] if c.kind == "mongo" and one else c.instances())] + (
            list(EXTRAS) if self._jupyter() else [])

    def _component(self, name: str) -> str:
        if name not in self.components() and not self._is_member(name):
            raise LabError(f"unknown component {name!r}; components: {', '.join(self.components())}"
                           " (and the members of a scaled consumer, Connect or API, e.g. inventario-2)")
        return name

    def _is_member(self, name: str) -> bool:
        """A member k > 1 of a scaled consumer, Connect or API that has a container now
        (`inventario-2`, `reservas-2`)."""
        base, _, k = name.rpartition("-")
        return base in SCALABLE and k.isdigit() and int(k) in self._members(base)

    def _consumer(self, name: str) -> str:
        if name not in CONSUMERS:
            raise LabError(f"{name} is not a consumer; consumers: {', '.join(CONSUMERS)}")
        return name

    # ------------------------------------------------------------------ lifecycle
    def up(self, report=lambda m: None, design: str | None = None) -> list[ComponentStatus]:
        """Build (or pull) the image set, the layer cache answering for what did not change
        (the first build takes many minutes), then `compose up --wait` on the chosen ports."""
        if design is not None:
            self._set_design(design)
        recorded = images.recorded(self._base.lab_dir)
        choice = self._choice or (recorded.name if recorded else "auto")
        image_set, _ = images.Images(self.run, report, self._base.lab_dir).build(choice, self._jupyter())
        ports, jupyter = self._ports_for_up()
        self._save_ports(ports, jupyter)
        report(f"docker compose up --wait: the {image_set.name} images, MongoDB as "
               + ("ONE SecantusDB member" if image_set.mongo_members == 1 else "a 3-member replica set")
               + f", Kafka on 127.0.0.1:{','.join(map(str, ports.kafka))}, "
               f"eventos {ports.eventos}, reservas {ports.reservas}")
        report("credentials: Kafka SASL (SCRAM for every client) with per-component ACLs, Basic "
               "authentication on Connect's REST API (README, 'Credentials'); always on with docker")
        up = ("up", "-d", "--wait", "--wait-timeout", str(WAIT_SECONDS), "--no-build", "--pull", "never",
              "--remove-orphans")
        try:
            self._compose(*up)
        except LabError as exc:
            stuck = [c for c in CONSUMERS if self._health(c) == "unhealthy"]
            if not stuck:
                raise
            # seen on fresh clusters (twice in CI, 1 start in about 8): a consumer without its
            # partitions 4 minutes after it started; a new process joins at once. What compose
            # said holds the consumer's log, the evidence for whoever finds out why.
            report(f"{', '.join(stuck)} never got its partitions: restarting it once. "
                   f"What compose said:\n{exc}")
            self._compose("restart", *stuck)
            self._compose(*up)
        # on the lab's own (saved) port: a later runtime without the offset finds this UI
        # running instead of starting a second one, and its `down` stops the right one
        host_tools.start_ui(self.dir, "docker", ports.ui,
                            self._base.lab_dir, report)
        return self.status()

    def _health(self, service: str) -> str:
        """A container's health check state (healthy | unhealthy | starting | "" without one)."""
        found = self._containers(service)
        state = found[service].attrs.get("State") or {} if service in found else {}
        return (state.get("Health") or {}).get("Status", "")

    def down(self, purge: bool = False, report=lambda m: None) -> None:
        host_tools.stop_ui(self.dir)
        self._compose("down", "--remove-orphans", *(["--volumes"] if purge else []))
        if purge and self.dir.exists():
            shutil.rmtree(self.dir)

    def set_design(self, design: str, report=lambda m: None) -> None:
        self._set_design(design)
        self._compose("run", "--rm", "setup")             # the design's connectors
        # the members of a scaled consumer or API run the new design too: out, then made again
        counts = {c: len(self._members(c)) + 1 for c in (*CONSUMERS, *groups.API_SERVICES)}
        for c, n in counts.items():
            if n > 1:
                self.scale(c, 1, report)
        self._compose("stop", *APPS)
        self._leave_groups()
        self._compose("up", "-d", "--wait", *APPS)        # the design's services and consumers
        for c, n in counts.items():
            if n > 1:
                self.scale(c, n, report)

    def _leave_groups(self) -> None:
        """The stopped consumers' static members out of their groups at once. A static member
        sends no LeaveGroup (KIP-345), and a recreated container is a new member (its host name,
        so its instance id, is new): twice in CI, notificaciones joined a group that still listed
        the old one, was given no partition ("rebalance generation 3 assigned none") and saw no
        later rebalance within its health check's minutes. Best effort: sessions end in 10 s."""
        from boletia.adapters import kafka

        bootstrap = self.settings.kafka_bootstrap
        try:
            found = kafka.group_members(bootstrap, [BY_NAME[c].group for c in CONSUMERS])
            for group, rows in found.items():
                old = [r["instance"] for r in rows if r["instance"]]
                if old:
                    kafka.remove_static_members(bootstrap, group, old)
        except Exception:  # noqa: BLE001 - a member already gone, or Kafka busy: sessions expire
            pass

    def status(self) -> list[ComponentStatus]:
        by_service = self._containers()
        kinds = {n: c.kind for c in COMPONENTS for n in (*c.instances(), c.name)}
        kinds.update({n: kind for n, (kind, _) in EXTRAS.items()})
        result = []
        for name in self.components():
            found = by_service.get(name)
            state = {"running": "running", "paused": "paused"}.get(found.status if found else "", "stopped")
            health = ((found.attrs.get("State") or {}).get("Health") or {}).get("Status") if found else ""
            result.append(ComponentStatus(name=name, kind=kinds[name], state=state, pid=None,
                                          ports=self._published(name),
                                          connection=self.settings.connect_url if name == CONNECT
                                          else f"container {PROJECT}-{name}-1",
                                          member_id=worker_id(1) if name == CONNECT else "",
                                          log=f"docker compose logs {name}",
                                          health="its health check fails (a consumer: stalled, "
                                                 "see `boletia lab logs watchdog --runtime docker`)"
                                          if health == "unhealthy" else ""))
        ports = self._published_ports()[0]
        for c in (c for c in COMPONENTS if c.name in SCALABLE):  # from the one listing above
            for k, found in sorted(members_of(by_service.values(), c.name).items()):
                state = {"running": "running", "paused": "paused"}.get(found.status, "stopped")
                worker, api = c.name == CONNECT, c.name in groups.API_SERVICES
                # a replica left in the network of a replica 1 that restarted since answers nobody
                orphan = api and state == "running" and c.name in by_service and not joined(
                    found.attrs, by_service[c.name].attrs)
                port = ports.connect_worker(k)
                result.append(ComponentStatus(
                    name=f"{c.name}-{k}", kind=c.kind, state=state, pid=None,
                    ports=[port] if worker else c.ports(ports)[:1] if api else [],
                    connection=f"http://127.0.0.1:{port}" if worker
                    else f"container {found.name}, on {c.name}'s address (its network)" if api
                    else f"container {found.name}, group {c.group}",
                    member_id=worker_id(k) if worker else "" if api
                    else groups.group_instance_id(c.group, k),
                    log=f"docker logs {found.name}",
                    health=f"in the network of {c.name} before it restarted, so no connection reaches "
                           f"it: `boletia lab scale {c.name}=N --runtime docker` makes it again"
                    if orphan else ""))
        return result

    def _published(self, name: str) -> list[int]:
        """The host ports a container publishes on 127.0.0.1 (compose.yaml)."""
        ports, jupyter = self._published_ports()
        if name == "jupyter":
            return [jupyter]
        if name in ("mongo-1", ONE_MEMBER):
            return [ports.mongo]
        comp = next((c for c in COMPONENTS if c.name == name and c.members == 1), None)
        return comp.ports(ports)[:1] if comp else []

    def state(self, component: str) -> str:
        name = self._component(component)
        return next(s.state for s in self.status() if s.name == name)

    def logs(self, component: str, lines: int = 50, since: str | None = None) -> str:
        """Its output, stdout and stderr as they came; `since`: a `log_mark()`."""
        container = self._container(component)
        when = datetime.strptime(since, MARK).replace(tzinfo=UTC).timestamp() if since else None
        raw = self._engine_call(lambda: container.logs(
            stdout=True, stderr=True, timestamps=False,
            **({"since": when} if when else {"tail": lines or "all"})), component)  # 0: all of it
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        return "\n".join(text.splitlines()[-lines:]) if since and lines else text

    def log_mark(self, component: str) -> str:
        """Now, as `logs(since=...)` reads it back."""
        self._component(component)
        return datetime.now(UTC).strftime(MARK)

    # ------------------------------------------------------------------ failure verbs
    def kill(self, component: str) -> None:
        container = self._container(component)
        self._engine_call(container.kill, component)

    def pause(self, component: str) -> None:
        container = self._container(component)
        self._engine_call(container.pause, component)

    def resume(self, component: str) -> None:
        container = self._container(component)
        self._engine_call(container.unpause, component)

    def restart(self, component: str, report=lambda m: None) -> None:
        container = self._container(component)
        self._engine_call(container.restart, component)

    def start(self, component: str, report=lambda m: None) -> None:
        container = self._container(component)
        self._engine_call(container.start, component)

    def _arm(self, consumer: str, fault: str, *args: str) -> None:
        cmd = ["boletia", "lab", "arm", consumer, fault, *args]
        component = self._consumer(consumer)
        container, mark = self._container(component), self.log_mark(component)
        result = self._engine_call(lambda: container.exec_run(cmd, stdout=True, stderr=True,
                                                              demux=True), consumer)
        out, err = result.output if isinstance(result.output, tuple) else (result.output, b"")
        done = subprocess.CompletedProcess(
            cmd, -1 if result.exit_code is None else result.exit_code,
            (out or b"").decode("utf-8", "replace"), (err or b"").decode("utf-8", "replace"))
        if not armed(done, consumer, fault) and not self._fired(component, fault, done, mark):
            detail = (done.stderr or done.stdout).strip()[-1500:]
            raise LabError(f"`{' '.join(cmd)}` in {consumer}'s container failed "
                           f"(exit {done.returncode}):\n{detail}")

    def _fired(self, component: str, fault: str, done: subprocess.CompletedProcess, mark: str) -> bool:
        """Seen in CI: the crash fired on the consumer's next message and the container's death
        ended the exec before the engine passed on a single line of its output (exit 137,
        nothing said). The consumer's own log since the exec began says whether it fired."""
        if fault != "crash" or done.returncode not in (137, -1) or done.stdout or done.stderr:
            return False
        for _ in range(10):  # its last line reaches the engine's log a moment after its death
            if CRASH_FIRED in self.logs(component, 0, since=mark):
                return True
            time.sleep(0.5)
        return False

    def crash_consumer(self, consumer: str, times: int = 1, topic: str | None = None) -> None:
        groups.check_crash_topic(consumer, topic)
        self._arm(consumer, "crash", str(times), *(["--topic", topic] if topic else []))

    def slow_consumer(self, consumer: str, seconds: float) -> None:
        self._arm(consumer, "delay", str(seconds))

    def fail_writes(self, times: int, service: str | None = None) -> None:
        from boletia.adapters import mongo

        if service is not None:
            self._component(service)
        with mongo.connect(self.settings) as c:
            mongo.fail_next_writes(c, times, app_name=service)

    # ------------------------------------------------------------------ scaling
    def _members(self, consumer: str) -> dict[int, Any]:
        """The containers of a consumer's members beyond the first, by member number."""
        return members_of(self._engine_call(lambda: self._engine().containers.list(
            all=True, filters={"label": [f"{COMPOSE_LABEL}.project={PROJECT}",
                                         f"{MEMBER_LABEL}={consumer}"]}), consumer), consumer)

    def members(self, component: str) -> int:
        if component != CONNECT and component not in groups.API_SERVICES:
            self._consumer(component)
        base = self._container(component).attrs if component in groups.API_SERVICES else None
        return 1 + sum(1 for c in self._members(component).values() if c.status == "running"
                       and (base is None or joined(c.attrs, base)))   # an orphaned replica serves none

    def scale(self, component: str, members: int, report=lambda m: None) -> None:
        """A consumer as N containers in its one group: member k > 1 is a container like the
        compose service's (its image, environment, network and lab volume), with its own
        instance id and readiness mark; fewer: the highest-numbered leave first (SIGTERM,
        then out of the group). Connect as N workers of one cluster: worker k > 1 is a
        container like `connect`, named connect-k on the lab's network, its REST published on
        the connect port + 100(k-1)."""
        from boletia.adapters import kafka

        if component == CONNECT:
            self._scale_workers(members, report)
            return
        if component in groups.API_SERVICES:
            self._scale_replicas(component, members, report)
            return
        comp = next((c for c in COMPONENTS if c.name == self._consumer(component)), None)
        if not 1 <= members <= groups.MAX_MEMBERS:
            raise LabError(f"{component}: between 1 and {groups.MAX_MEMBERS} members, not {members}")
        base = self._container(component)
        if base.status != "running":
            raise LabError(f"{component} is not running; `boletia lab restart {component} "
                           "--runtime docker` first")
        existing = self._members(component)
        leaving = sorted((k for k in existing if k > members), reverse=True)
        for k in leaving:
            self._engine_call(lambda c=existing[k]: c.stop(timeout=20), component)
            self._engine_call(existing[k].remove, component)
        if leaving:
            try:
                kafka.remove_static_members(self.settings.kafka_bootstrap, comp.group,
                                            [groups.group_instance_id(comp.group, k) for k in leaving])
            except Exception as exc:  # noqa: BLE001 - already gone (session expired): fine
                report(f"{component}: members {leaving} had left already ({type(exc).__name__})")
            for k in leaving:
                report(f"{groups.member_name(component, k)}: stopped, out of group {comp.group}")
        for k in range(2, members + 1):
            if k in existing and k not in leaving:
                if existing[k].status != "running":
                    self._engine_call(existing[k].start, component)
                continue
            args = member_container(base.attrs, component, k)
            self._engine_call(lambda a=args: self._engine().containers.run(**a), component)
        wanted = {groups.group_instance_id(comp.group, k) for k in range(2, members + 1)}
        rows = self._wait_group(comp.group, members, wanted)
        for r in rows:
            held = ", ".join(f"{t}[{p}]" for t, p in r["partitions"]) or "none: idle"
            report(f"{r['instance']}: {held}")
        report(f"{component}: {members} member(s) in group {comp.group}")

    def _scale_replicas(self, name: str, n: int, report=lambda m: None) -> None:
        """An API as N containers on its one address: replica k > 1 runs the API's image and
        command in replica 1's network namespace (as the containers of a Kubernetes pod share
        theirs), so it binds the same port (SO_REUSEPORT) and the port replica 1 publishes
        reaches every replica; the kernel spreads new connections between them. Replica 1
        holds the address: killing it takes the address until it is back, and its replicas
        are made again by the next `scale`."""
        if not 1 <= n <= groups.MAX_REPLICAS:
            raise LabError(f"{name}: between 1 and {groups.MAX_REPLICAS} replicas, not {n}")
        base = self._container(name)
        if base.status != "running":
            raise LabError(f"{name} is not running; `boletia lab restart {name} --runtime docker` first")
        existing = self._members(name)
        for k in sorted(existing, reverse=True):
            # fewer, or one left stopped (the network it joined may be gone with a restarted
            # replica 1): out, and made again below when still wanted
            if k > n or existing[k].status != "running" or not joined(existing[k].attrs, base.attrs):
                self._engine_call(lambda c=existing[k]: c.stop(timeout=10), name)
                self._engine_call(existing[k].remove, name)
                if k > n:
                    report(f"{groups.member_name(name, k)}: stopped; the others keep the address")
                del existing[k]
        for k in range(2, n + 1):
            if k not in existing:
                args = replica_container(base.attrs, base.id, name, k)
                self._engine_call(lambda a=args: self._engine().containers.run(**a), name)

        def alive() -> None:
            dead = [k for k, c in self._members(name).items() if k <= n and c.status != "running"]
            if dead:
                tail = self.logs(groups.member_name(name, dead[0]), 20)
                raise LabError(f"{groups.member_name(name, dead[0])} stopped while starting:\n{tail}")
        url = getattr(self.settings, f"{name}_url")
        rows = replicas.settle(name, url, n, 120, alive,
                               f"`boletia lab logs {groups.member_name(name, n)} --runtime docker`")
        for r in rows:
            report(f"{r['instance']}: {', '.join(r['partitions'])}")
        report(f"{name}: {n} replica(s) answer {url} (containers on {base.name}'s network)")

    def _scale_workers(self, n: int, report=lambda m: None) -> None:
        if not 1 <= n <= groups.MAX_WORKERS:
            raise LabError(f"Connect runs between 1 and {groups.MAX_WORKERS} workers, not {n}")
        base = self._container(CONNECT)
        if base.status != "running":
            raise LabError("connect is not running; `boletia lab restart connect --runtime docker` first")
        existing = self._members(CONNECT)
        for k in sorted((k for k in existing if k > n), reverse=True):  # SIGTERM: it leaves the group
            self._engine_call(lambda c=existing[k]: c.stop(timeout=30), CONNECT)
            self._engine_call(existing[k].remove, CONNECT)
            report(f"{groups.member_name(CONNECT, k)}: stopped, out of Connect's group")
        ports = self._published_ports()[0]
        for k in range(2, n + 1):
            if k in existing:
                if existing[k].status != "running":
                    self._engine_call(existing[k].start, CONNECT)
                continue
            name = groups.member_name(CONNECT, k)
            args = member_container(base.attrs, CONNECT, k)
            args["ports"] = {"8083/tcp": ("127.0.0.1", ports.connect_worker(k))}
            args["networking_config"] = {NETWORK: self._engine().api.create_endpoint_config(
                aliases=[name])}  # the other workers forward requests to it by this name
            self._engine_call(lambda a=args: self._engine().containers.run(**a), CONNECT)
        held = self._wait_workers(n)
        for worker, units in sorted(held.items()):
            report(f"{worker}: {', '.join(units)}")
        rest = ", ".join(str(ports.connect_worker(k)) for k in range(1, n + 1))
        report(f"connect: {n} worker(s), REST on {rest}")

    def _wait_workers(self, n: int, timeout: float = 240) -> dict[str, list[str]]:
        """Until exactly workers 1..n run Connect's connectors and tasks between them, every
        one RUNNING (asked of worker 1, which answers for the cluster)."""
        import time

        from boletia.lab.setup import connectors

        wanted = {worker_id(k) for k in range(1, n + 1)}
        deadline, held = time.monotonic() + timeout, {}
        while time.monotonic() < deadline:
            held, running = connectors.holdings(self.settings.connect_url)
            if running and set(held) == wanted:
                return held
            time.sleep(1.0)
        raise LabError(f"Connect did not settle on {n} workers in {timeout:.0f}s (its connectors "
                       f"and tasks run on {sorted(held) or 'none'}); see `boletia lab status "
                       f"--runtime docker` and `docker logs {PROJECT}-connect-2-1`")

    def _wait_group(self, group: str, n: int, wanted: set[str], timeout: float = 180) -> list[dict]:
        """Until the group is Stable with n members, those of `wanted` among them (member 1's
        instance id is its container's: compose sets none)."""
        import time

        from boletia.adapters import kafka

        deadline, seen = time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            try:
                rows = kafka.group_members(self.settings.kafka_bootstrap, [group]).get(group, [])
            except Exception:  # noqa: BLE001 - coordinator moving: ask again
                rows = []
            seen = sorted(r["instance"] or "" for r in rows)
            if len(rows) == n and wanted <= set(seen) and all(r["group_state"] == "Stable" for r in rows):
                return sorted(rows, key=lambda r: r["instance"] or "")
            time.sleep(1.0)
        raise LabError(f"group {group} did not settle on {n} members in {timeout:.0f}s (it has "
                       f"{seen or 'none'}); see `boletia lab status --runtime docker` and "
                       f"`docker logs {PROJECT}-{group}-2-1`")

    def clear_faults(self) -> None:
        from boletia.adapters import mongo

        for consumer in CONSUMERS:
            if self.state(consumer) == "running":
                self._arm(consumer, "clear")
        with mongo.connect(self.settings) as c:
            mongo.clear_fail_points(c)

    def disconnect(self, component: str) -> None:
        """Cut a container off the compose network (a partition, not a crash)."""
        container = self._container(component)
        self._engine_call(lambda: self._engine().networks.get(NETWORK).disconnect(container), component)

    def reconnect(self, component: str) -> None:
        container = self._container(component)
        self._engine_call(lambda: self._engine().networks.get(NETWORK).connect(container), component)

    # ------------------------------------------------------------------ the engine (Docker SDK)
    def _engine(self):
        """The SDK's client, made on first use (a runtime that only reads its files needs none)."""
        if self._client is None:
            try:
                self._client = self._engine_factory()
            except Exception as exc:  # noqa: BLE001 - docker.errors.DockerException and its causes
                raise LabError(f"no usable Docker engine for the docker runtime ({exc}); start "
                               "Docker, or use --runtime local") from None
        return self._client

    def _engine_call(self, call: Callable[[], Any], component: str) -> Any:
        """One SDK call; the engine's refusal said as a LabError naming the component."""
        import docker.errors

        try:
            return call()
        except docker.errors.NotFound as exc:
            raise LabError(f"{component}: no such container or network ({_explained(exc)}); "
                           "is the docker lab up? (`boletia lab up --runtime docker`)") from None
        except docker.errors.APIError as exc:
            raise LabError(f"{component}: the Docker engine refused: {_explained(exc)}") from None
        except docker.errors.DockerException as exc:
            raise LabError(f"no usable Docker engine for the docker runtime ({exc}); start "
                           "Docker, or use --runtime local") from None

    def _containers(self, service: str | None = None) -> dict[str, Any]:
        """The lab's containers by compose service (one service's, when named)."""
        labels = [f"{COMPOSE_LABEL}.project={PROJECT}"]
        if service is not None:
            labels.append(f"{COMPOSE_LABEL}.service={service}")
        found = self._engine_call(lambda: self._engine().containers.list(
            all=True, filters={"label": labels}), service or "the lab")
        return {c.labels.get(f"{COMPOSE_LABEL}.service"): c for c in found}

    def _container(self, component: str) -> Any:
        name = self._component(component)
        found = self._containers(name).get(name)  # a member's service label is its name too
        if found is None:
            raise LabError(f"{name} has no container: is the docker lab up? "
                           "(`boletia lab up --runtime docker`, or `boletia lab status --runtime docker`)")
        return found


MARK = "%Y-%m-%dT%H:%M:%S.%fZ"          # log_mark()'s format
MEMBER_LABEL = "boletia.member-of"      # a scaled consumer's extra container: its consumer
MEMBER_NUMBER = "boletia.member"        # and its member number (2, 3, ...)
SCALABLE = (*CONSUMERS, CONNECT, *groups.API_SERVICES)  # what `scale` makes members of
COMPOSE_LABEL = "com.docker.compose"    # compose labels each container with its project and service
NETWORK = f"{PROJECT}_default"


def _from_env():
    import docker

    client = docker.from_env()
    client.ping()  # fails here, said once, rather than at the first verb
    return client


def _explained(exc: Exception) -> str:
    return str(getattr(exc, "explanation", None) or exc)


def _member_of(attrs: dict, component: str, k: int, *unset: str) -> dict[str, Any]:
    """What every member k > 1 takes from the compose container's `attrs` (`docker inspect`):
    its image, environment (without the `unset` variables, which the member sets itself),
    restart policy and lab volume, under its own name; labelled with compose's project (so
    `compose down --remove-orphans` removes it) under a service of its own, and as member k of
    `component`, so status, logs and the verbs find it."""
    name = groups.member_name(component, k)
    cfg, host = attrs["Config"], attrs.get("HostConfig") or {}
    return {"image": cfg["Image"], "name": f"{PROJECT}-{name}-1", "detach": True,
            "environment": [e for e in cfg.get("Env") or [] if not e.startswith(unset)],
            "restart_policy": {"Name": (host.get("RestartPolicy") or {}).get("Name") or "unless-stopped"},
            "volumes": {m["Name"]: {"bind": m["Destination"], "mode": "rw"}
                        for m in attrs.get("Mounts") or [] if m.get("Type") == "volume"},
            "labels": {f"{COMPOSE_LABEL}.project": PROJECT, f"{COMPOSE_LABEL}.service": name,
                       MEMBER_LABEL: component, MEMBER_NUMBER: str(k)}}


def member_container(attrs: dict, consumer: str, k: int) -> dict[str, Any]:
    """`containers.run` arguments for member k of `consumer` (or Connect's worker k), from the
    compose container's `attrs`: with member k's instance id, readiness mark and health check
    (a worker: its own advertised name, on the lab's network)."""
    from boletia.lab import hooks

    name = groups.member_name(consumer, k)
    cfg = attrs["Config"]
    compose = cfg.get("Healthcheck") or {}  # the service's timings (nanoseconds)
    timings = {mine: compose[theirs] for theirs, mine in (
        ("Interval", "interval"), ("Timeout", "timeout"), ("Retries", "retries"),
        ("StartPeriod", "start_period")) if theirs in compose}
    if consumer == CONNECT:  # the image's own command; the worker advertises its own name
        args = _member_of(attrs, consumer, k, "CONNECT_ADVERTISED_HOST=")
        args.pop("volumes")
        args["environment"].append(f"CONNECT_ADVERTISED_HOST={name}")
        return {**args, "hostname": name, "network": NETWORK,
                "healthcheck": {"test": compose.get("Test"), **timings}}
    args = _member_of(attrs, consumer, k, "BOLETIA_INSTANCE=", f"{hooks.MEMBER_ENV}=")
    args["environment"] += [f"BOLETIA_INSTANCE={groups.instance(k)}", f"{hooks.MEMBER_ENV}={name}"]
    group = next(c.group for c in COMPONENTS if c.name == consumer)
    # ready: this member's own mark; stalled: the watchdog's, per group (member 1 clears it)
    health = {"test": ["CMD", "sh", "-c", f"test -f /lab/run/{name}.ready && ! test -f "
                                          f"/lab/run/{group}.stalled"], **timings}
    return {**args, "network": NETWORK, "healthcheck": health,
            "command": ["sh", "-c", f"rm -f /lab/run/{name}.ready && exec boletia-service {consumer}"]}


def replica_container(attrs: dict, base_id: str, api: str, k: int) -> dict[str, Any]:
    """`containers.run` arguments for replica k of `api`, from replica 1's `attrs`: its image,
    command, environment (the replica's name added) and lab volume, in replica 1's network
    namespace."""
    from boletia.services.http import REPLICA_ENV

    args = _member_of(attrs, api, k, f"{REPLICA_ENV}=")
    args["environment"].append(f"{REPLICA_ENV}={groups.member_name(api, k)}")
    return {**args, "command": attrs["Config"].get("Cmd"), "network_mode": f"container:{base_id}"}


def joined(attrs: dict, base: dict) -> bool:
    """Whether a replica's container runs in the network namespace replica 1 has now: made
    for this container (one made again by compose has another id), and started after it (a
    restarted replica 1 gets a new namespace; a replica started before holds the old one,
    which no published port reaches)."""
    return ((attrs.get("HostConfig") or {}).get("NetworkMode") == f"container:{base['Id']}"
            and _started(attrs) >= _started(base))


def _started(attrs: dict) -> str:
    """When a container last started, comparable as text: the engine's RFC 3339 time drops a
    fraction's trailing zeros, so ".50001Z" sorts before ".5Z"; without the "Z" it does not."""
    return ((attrs.get("State") or {}).get("StartedAt") or "").rstrip("Z")


def members_of(containers, component: str) -> dict[int, Any]:
    """The containers among `containers` that are members k > 1 of `component`, by k."""
    return {int(c.labels[MEMBER_NUMBER]): c for c in containers
            if c.labels.get(MEMBER_LABEL) == component and c.labels.get(MEMBER_NUMBER, "").isdigit()}


def worker_id(k: int) -> str:
    """How Connect names worker k (its advertised host, connect/Dockerfile, and REST port)."""
    return f"{groups.member_name(CONNECT, k)}:8083"
