"""What the local runtime keeps on disk, under one lab directory: config files rendered from
the templates, Kafka's formatted storage, and the lab's own state (the design it runs, the
admin token). Nothing here starts a process."""

from __future__ import annotations

import base64
import secrets
import subprocess
import uuid
from pathlib import Path
from string import Template

from boletia import config, resources
from boletia.lab.errors import LabError
from boletia.lab.runtimes import private
from boletia.lab.setup import jars

LOG4J = "log4j2.properties"


class LabFiles:
    """The lab directory's layout: data/<component>, logs/<component>.log, run/<component>.pid."""

    def __init__(self, root: Path):
        self.root = root

    def pid_file(self, name: str) -> Path:
        return self.root / "run" / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"

    def home(self, name: str) -> Path:
        return self.root / name

    # ------------------------------------------------------------ the lab's state
    def design(self) -> str | None:
        path = self.root / "design"
        return path.read_text().strip() if path.exists() else None

    def set_design(self, design: str) -> None:
        if design not in config.DESIGNS:
            raise LabError(f"unknown design {design!r}; choose one of: {', '.join(config.DESIGNS)}")
        private.directory(self.root)
        private.write(self.root / "design", design, 0o644)

    def admin_token(self) -> str:
        """The admin API's bearer token: generated once, created 0600 in one step (never
        readable by others, not even for a moment), refused if empty."""
        path = self.root / "admin-token"
        if not path.exists():
            private.directory(self.root)
            private.write(path, secrets.token_urlsafe(24), 0o600)
        token = path.read_text().strip()
        if not token:
            raise LabError(f"the admin token file {path} is empty: delete it and run "
                           "`boletia lab up` again (a new one is generated)")
        return token

    def student_module(self) -> Path | None:
        """The student design's file, when one was chosen for this lab."""
        path = self.root / "student-module"
        return Path(path.read_text().strip()) if path.exists() else None

    def set_student_module(self, module: Path) -> None:
        if not Path(module).is_file():
            raise LabError(f"the student design's file {module} does not exist")
        private.directory(self.root)
        private.write(self.root / "student-module", str(Path(module).resolve()), 0o644)

    # ------------------------------------------------------------ config files
    def render(self, template: str, target: Path, **values: object) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        text = Template((resources.templates_dir() / template).read_text()).substitute(
            {k: str(v) for k, v in values.items()})
        target.write_text(text)
        return target

    def cluster_id(self) -> str:
        """Kafka's own `Uuid.randomUuid()` never starts with "-": `kafka-storage format -t`
        would read such an id as an option and refuse it (one fresh lab in 64 did not come
        up). An id like that cannot have formatted any broker, so a stored one is replaced."""
        path = self.root / "kafka-cluster-id"
        found = path.read_text().strip() if path.exists() else ""
        if not found or found.startswith("-"):
            found = "-"
            while found.startswith("-"):
                found = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            private.directory(self.root)
            path.write_text(found)
        return found

    def broker_config(self, name: str, settings: config.Settings) -> Path:
        """server.properties for broker `kafka-N`, its storage formatted on first use."""
        node = int(name.split("-")[1])
        home = self.home(name)
        voters = ",".join(f"{i + 1}@{settings.host}:{port}"
                          for i, port in enumerate(settings.ports.controllers))
        props = self.render(
            "broker.properties", home / "server.properties", node_id=node, voters=voters,
            host=settings.host, port=settings.ports.kafka[node - 1],
            controller_port=settings.ports.controllers[node - 1], data_dir=home / "data")
        if not (home / "data" / "meta.properties").exists():
            run_java_tool(["kafka.tools.StorageTool", "format", "-t", self.cluster_id(),
                           "-c", str(props), "--ignore-formatted"], name)
        return props

    def connect_config(self, settings: config.Settings) -> Path:
        return self.render(
            "connect-distributed.properties", self.home("connect") / "connect.properties",
            bootstrap=settings.kafka_bootstrap, host=settings.host, port=settings.ports.connect,
            plugin_path=jars.plugin_path())


def log4j() -> Path:
    return resources.templates_dir() / LOG4J


def run_java_tool(args: list[str], name: str) -> None:
    cmd = [jars.java(), f"-Dlog4j2.configurationFile={log4j()}",
           "-cp", f"{jars.kafka_libs()}/*", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise LabError(f"{name}: formatting Kafka storage failed:\n{out.stdout}{out.stderr}")
