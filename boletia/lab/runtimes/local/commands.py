"""The local runtime's process table: each component's command line and environment."""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

from boletia import config, resources
from boletia.lab import groups, hooks
from boletia.lab.components import Component
from boletia.lab.errors import LabError
from boletia.lab.hooks import SPEC as HOOKS_SPEC
from boletia.lab.runtimes.local.storage import LabFiles, log4j
from boletia.lab.setup import credentials, jars

# The components that derive bookings' secrets (boletia.domain.ownership): nobody else gets the key.
BOOKING_KEY_HOLDERS = ("reservas", "notificaciones")


def command(comp: Component, s: config.Settings, files: LabFiles, member: int = 1) -> list[str]:
    """`member`: Connect's worker k (`connect-k`); a consumer's members share one command."""
    if comp.kind == "mongo":
        # as the docker lab's image starts it: its users provisioned first when the lab has
        # credentials, then --auth (its environment: `environment` below); it becomes the server
        return [sys.executable, str(resources.infra_dir() / "images" / "secantusdb" / "entrypoint.py")]
    if comp.kind == "ses":
        # moto plus an indexed read-back (boletia/lab/ses_endpoint.py): a check costs what its run does
        return [sys.executable, "-m", "boletia.lab.ses_endpoint", "-H", s.host, "-p", str(s.ports.ses)]
    if comp.kind == "kafka":
        return java("kafka.Kafka", files.broker_config(comp.name, s), heap="512m")
    if comp.kind == "connect":
        props = files.connect_config(s, worker=member)
        jaas = files.connect_jaas()  # a path, not a secret: the REST users' file is 0600
        return java("org.apache.kafka.connect.cli.ConnectDistributed", props, heap="768m",
                    extra=[f"-Djava.security.auth.login.config={jaas}"] if jaas else [])
    if comp.kind in ("service", "consumer"):  # the product's own entry point: no lab module
        return [sys.executable, "-m", "boletia.product", comp.name]
    if comp.kind == "watchdog":
        return [sys.executable, "-m", "boletia.cli", "watch-connectors"]
    if comp.kind == "ui":
        return [sys.executable, "-m", "boletia.cli", "lab", "ui", "--runtime", "local",
                "--host", s.host, "--port", str(s.ports.ui)]
    raise LabError(f"no command for component kind {comp.kind!r}")


def free_port(host: str) -> int:
    """A port nobody listens on now: SecantusDB's provisioning start (no authentication, a few
    seconds, on a port no client of any lab knows)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def java(main: str, props: Path, heap: str, extra: list[str] | None = None) -> list[str]:
    return [jars.java(), "-Xms128m", f"-Xmx{heap}", "-XX:+UseG1GC", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={log4j()}", *(extra or []),
            "-cp", f"{jars.kafka_libs()}/*", main, str(props)]


def environment(comp: Component, s: config.Settings, files: LabFiles, design: str,
                member: int = 1) -> dict[str, str]:
    """What the process is told: where everything is, the design, and (only for `eventos`,
    the admin API) the admin token; a consumer also gets its stable instance id (one per
    member of its group, `member`), its member name for its readiness mark, and the lab's
    hooks."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BOLETIA_") or k == "BOLETIA_JARS_DIR"}
    env.update({
        "BOLETIA_LAB_DIR": str(files.root),
        "BOLETIA_PORTS": s.ports.model_dump_json(),  # a lab on other ports: its services listen there
        "BOLETIA_MONGO_URI": s.mongo_uri,
        "BOLETIA_KAFKA_BOOTSTRAP": s.kafka_bootstrap,
        "BOLETIA_CONNECT_URL": s.connect_url,
        "BOLETIA_SES_URL": s.ses_url,
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "boletia-lab"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "boletia-lab"),
        "AWS_DEFAULT_REGION": s.aws_region,
        "BOLETIA_DESIGN": design,
        "BOLETIA_STUDENT_MODULE": str(files.student_module() or s.student_module),
        "BOLETIA_EMAIL_YIELD_ABOVE": f"{s.email_yield_above:g}",
        "BOLETIA_EMAIL_MAX_HOLD": f"{s.email_max_hold:g}",
        "BOLETIA_EMAIL_CALM": f"{s.email_calm:g}",
        "PYTHONUNBUFFERED": "1",
    })
    creds = files.credentials()
    mongo_users = creds.get("mongo", {})
    if comp.kind == "mongo":
        data = files.home("mongo") / "data"
        data.mkdir(parents=True, exist_ok=True)
        env.update(SECANTUS_HOST=s.host, SECANTUS_PORT=str(s.ports.mongo), SECANTUS_DATA=str(data),
                   SECANTUS_PROVISION_PORT=str(free_port(s.host)))
        if mongo_users:
            env["SECANTUS_USERS"] = json.dumps(credentials.mongo_users(creds))
    if comp.kind in ("service", "consumer", "connect") and mongo_users:
        user = "connect" if comp.kind == "connect" else comp.name
        if user not in mongo_users:  # never the admin's login instead
            raise LabError(f"{comp.name} has no MongoDB user in this lab's credentials: "
                           "`boletia lab up` adds it (a lab made before MongoDB had users)")
        if comp.kind == "connect":  # for the connectors' ${env:...} (credentials.MONGO_PASSWORD_REF)
            env[credentials.MONGO_PASSWORD_ENV] = mongo_users[user]
        else:
            env["BOLETIA_MONGO_USER"], env["BOLETIA_MONGO_PASSWORD"] = user, mongo_users[user]
    if comp.name == "eventos":
        env["BOLETIA_ADMIN_TOKEN"] = files.admin_token()
    if comp.name in BOOKING_KEY_HOLDERS:
        env["BOLETIA_BOOKING_KEY"] = files.booking_key()
    if comp.kind == "service":
        from boletia.services.http import REPLICA_ENV

        env[REPLICA_ENV] = groups.member_name(comp.name, member)  # says which replica answered
    if comp.kind == "consumer":
        # stable across restarts, unique per member of the group (lab/groups.py)
        env["BOLETIA_INSTANCE"] = groups.instance(member)
        env[hooks.MEMBER_ENV] = groups.member_name(comp.name, member)
        env["BOLETIA_CONSUMER_HOOKS"] = HOOKS_SPEC  # readiness mark and armed faults (lab/hooks.py)
        kafka_users = files.credentials().get("kafka", {})
        if kafka_users and comp.group not in kafka_users:  # never the admin's login instead
            raise LabError(f"{comp.name} has no Kafka user in this lab's credentials: "
                           "`boletia lab up` adds it (a consumer added since the lab was made)")
        if comp.group in kafka_users:  # its own principal only (lab/setup/credentials.py)
            env["BOLETIA_KAFKA_USER"] = comp.group
            env["BOLETIA_KAFKA_PASSWORD"] = kafka_users[comp.group]
    return env
