"""What the local runtime keeps on disk, under one lab directory: config files rendered from
the templates, Kafka's formatted storage, and the lab's own state (the design it runs, the
admin token). Nothing here starts a process."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import uuid
import zipfile
from pathlib import Path
from string import Template

from boletia import config, designs, resources
from boletia.lab.errors import LabError
from boletia.lab.runtimes import private
from boletia.lab.setup import credentials, jars

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
        try:
            design = designs.check(design)
        except designs.UnknownDesign as exc:
            raise LabError(str(exc)) from None
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

    def booking_key(self) -> str:
        """What each booking's secret is derived from (boletia.domain.ownership): generated
        once per lab, created 0600 in one step, given to `reservas` and `notificaciones` only."""
        path = self.root / "booking-key"
        if not path.exists():
            private.directory(self.root)
            private.write(path, secrets.token_urlsafe(32), 0o600)
        key = path.read_text().strip()
        if not key:
            raise LabError(f"the booking key file {path} is empty: delete it and run "
                           "`boletia lab up` again (a new one is generated; the secrets of "
                           "bookings made before stop working)")
        return key

    def student_module(self) -> Path | None:
        """The student design's file, when one was chosen for this lab."""
        path = self.root / "student-module"
        return Path(path.read_text().strip()) if path.exists() else None

    def set_student_module(self, module: Path) -> None:
        if not Path(module).is_file():
            raise LabError(f"the student design's file {module} does not exist")
        private.directory(self.root)
        private.write(self.root / "student-module", str(Path(module).resolve()), 0o644)

    # ------------------------------------------------------------ credentials (issue 28)
    def credentials(self) -> dict:
        """This lab's credentials ({} when it runs without them): read, never regenerated."""
        path = self.root / config.CREDENTIALS_FILE
        return json.loads(path.read_text()) if path.exists() else {}

    def create_credentials(self) -> dict:
        """Generate the lab's credentials once, in a file created 0600 in one step: a password
        per Kafka principal (credentials.KAFKA_PRINCIPALS), the controllers' own, and Connect's
        REST users. Kept across `lab down`; `lab down --purge` forgets them with the data."""
        found = self.credentials()
        if found:
            if credentials.complete(found):  # a consumer added since: its user is made on a
                private.write(self.root / config.CREDENTIALS_FILE, json.dumps(found, indent=1), 0o600)
            return found  # running cluster by `credentials.ensure_users`
        if (self.home("kafka-1") / "data" / "meta.properties").exists():
            raise LabError(
                "this lab's Kafka storage was formatted without credentials, and Kafka takes its "
                "SCRAM users only when its storage is formatted: run `boletia lab down --purge`, "
                "then `boletia lab up` again (or BOLETIA_AUTH=0 to run it without credentials)")
        made = credentials.generate()
        path = self.root / config.CREDENTIALS_FILE
        private.directory(path.parent)
        private.write(path, json.dumps(made, indent=1), 0o600)
        return made

    # ------------------------------------------------------------ config files
    def render(self, template: str, target: Path, **values: object) -> Path:
        """A config file from its template, owner-only (0600 in one step): with credentials on,
        it holds passwords."""
        private.directory(target.parent)
        text = Template((resources.templates_dir() / template).read_text()).substitute(
            {k: str(v) for k, v in values.items()})
        private.write(target, text, 0o600)
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
        creds = self.credentials()
        props = self.render(
            "broker.properties", home / "server.properties", node_id=node, voters=voters,
            host=settings.host, port=settings.ports.kafka[node - 1],
            controller_port=settings.ports.controllers[node - 1], data_dir=home / "data",
            **credentials.broker_values(creds))
        if not (home / "data" / "meta.properties").exists():
            args = ["kafka.tools.StorageTool", "format", "-t", self.cluster_id(),
                    "-c", str(props), "--ignore-formatted"]
            for user, password in creds.get("kafka", {}).items():
                args += ["--add-scram", f"{credentials.MECHANISM}=[name={user},password={password}]"]
            run_java_tool(args, name, self.home(name))
        return props

    def connect_config(self, settings: config.Settings, worker: int = 1) -> Path:
        """Worker 1's config (and the REST users' files); worker k > 1 (`boletia lab scale
        connect=N`) differs only in its REST port, and shares worker 1's plugin folder as it
        is (rewriting it would unlink jars a running worker reads)."""
        if worker > 1:
            home = self.home(f"connect-{worker}")
            return self.render(
                "connect-distributed.properties", home / "connect.properties",
                bootstrap=settings.kafka_bootstrap, host=settings.host,
                port=settings.ports.connect_worker(worker),
                plugin_path=self.home("connect") / "plugins",
                auth=credentials.connect_values(self.credentials()))
        creds = self.credentials()
        home = self.home("connect")
        if creds:  # the REST API's users, for BasicAuthSecurityRestExtension's login module
            private.directory(home)
            private.write(home / "rest-users.properties",
                          "".join(f"{u}: {p}\n" for u, p in creds["connect"].items()), 0o600)
            private.write(home / "rest-jaas.conf", credentials.connect_rest_jaas(
                home / "rest-users.properties"), 0o600)
        return self.render(
            "connect-distributed.properties", home / "connect.properties",
            bootstrap=settings.kafka_bootstrap, host=settings.host, port=settings.ports.connect,
            plugin_path=self.connect_plugins(), auth=credentials.connect_values(creds))

    def connect_plugins(self) -> Path:
        """The lab's own plugin folder: links to the cached MongoDB connector jars plus one small
        jar of ServiceLoader manifests naming its two connectors. The connector ships none, so
        Connect had to find it by scanning every class of the plugin and of Kafka's classpath
        (60 s of each Connect start on a loaded 2-core machine; 2 s with the manifests and
        `plugin.discovery=service_load`)."""
        folder = self.home("connect") / "plugins" / "mongo-kafka-connect"
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():        # links into an older cache, an older manifest jar
            old.unlink()
        for jar in sorted((jars.plugin_path() / "mongo-kafka-connect").glob("*.jar")):
            (folder / jar.name).symlink_to(jar)
        with zipfile.ZipFile(folder / "boletia-service-manifests.jar", "w") as manifests:
            for service, plugin in CONNECTOR_MANIFESTS.items():
                manifests.writestr(f"META-INF/services/{service}", plugin + "\n")
        return folder.parent

    def connect_jaas(self) -> Path | None:
        """The JAAS file Connect's REST authentication reads (a -D path, no secret), if any."""
        path = self.home("connect") / "rest-jaas.conf"
        return path if self.credentials() and path.exists() else None


# service -> the MongoDB connector's class implementing it (Connect's ServiceLoader discovery)
CONNECTOR_MANIFESTS = {
    "org.apache.kafka.connect.source.SourceConnector": "com.mongodb.kafka.connect.MongoSourceConnector",
    "org.apache.kafka.connect.sink.SinkConnector": "com.mongodb.kafka.connect.MongoSinkConnector",
}


def log4j() -> Path:
    return resources.templates_dir() / LOG4J


def run_java_tool(args: list[str], name: str, home: Path) -> None:
    """Run a Kafka tool with its arguments in a Java argument file (`java @file`, owner-only,
    deleted after): the SCRAM passwords given to `format` never appear on a command line."""
    argfile = home / ".tool-args"
    private.directory(home)
    private.write(argfile, "\n".join(f'"{a}"' for a in args) + "\n", 0o600)
    cmd = [jars.java(), f"-Dlog4j2.configurationFile={log4j()}",
           "-cp", f"{jars.kafka_libs()}/*", f"@{argfile}"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    finally:
        argfile.unlink(missing_ok=True)
    if out.returncode != 0:
        raise LabError(f"{name}: formatting Kafka storage failed:\n{out.stdout}{out.stderr}")
