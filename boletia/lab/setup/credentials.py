"""Who may do what on Kafka, Connect and MongoDB, when a lab runs with credentials
(`BOLETIA_AUTH=1`, issue 28): the principals, their ACLs, and the lines of the brokers' and
Connect's config.

Kafka: SASL/SCRAM-SHA-512 on the client listener (the SCRAM users are added when the storage
is formatted, KRaft's way), the StandardAuthorizer with no access where no ACL says so; the
controller listener takes only the controllers' own PLAIN login, so no client uses it. Each
consumer group reads its topics and writes the dead letters; Connect uses its own topics and
group and writes the topics its source connectors feed; the lab's admin (checker, control
room, chaos, tests, notebooks) is a super user. Connect's REST API asks for HTTP Basic
authentication (BasicAuthSecurityRestExtension).

MongoDB: each service, consumer and Connect logs in as its own user, readWrite on `boletia`
and nothing else; the lab's admin is root (the schema, fail points, the checker). SecantusDB
makes them on its first start (lab-infra/images/secantusdb/entrypoint.py). Connect is given its
password in its environment, and the connectors' `connection.uri` names it as
`${env:BOLETIA_MONGO_PASSWORD}` (Kafka's EnvVarConfigProvider), so no connector config, and
nothing Connect's REST API returns, holds it.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from boletia import config
from boletia.lab.components import COMPONENTS, SINK_GROUP

MECHANISM = "SCRAM-SHA-512"
SUPER = ("admin", "broker")            # the lab's admin, and the brokers between themselves
CONSUMER_GROUPS = {c.group: c.topics for c in COMPONENTS if c.group}
KAFKA_PRINCIPALS = (*SUPER, "connect", *CONSUMER_GROUPS)
# MongoDB: root for the lab's admin; readWrite on `boletia` for each service, consumer and Connect
MONGO_ADMIN = "admin"
MONGO_PRINCIPALS = (MONGO_ADMIN, "connect",
                    *(c.name for c in COMPONENTS if c.kind in ("service", "consumer")))
# how a connector's connection.uri names Connect's MongoDB password (worker: config.providers)
MONGO_PASSWORD_ENV = "BOLETIA_MONGO_PASSWORD"
MONGO_PASSWORD_REF = "${env:" + MONGO_PASSWORD_ENV + "}"
# Connect's internal topics (connect-configs, -offsets, -status) and its sinks' groups
# (connect-<connector>) share this prefix; its worker group is boletia-connect.
CONNECT_PREFIX = "connect-"
CONNECT_GROUP = "boletia-connect"
SOURCE_TOPICS = (*config.TOPICS, config.HEARTBEAT_TOPIC)  # what the source connectors write
SINK_TOPICS = ("boletia.eventos",)                          # what the sink reads
# the student connector check's scratch connectors write their own topics under this prefix,
# and lesson 02's hand-made connector creates its topic under the other: Connect may create and
# write topics there, the lab's own topics staying only its source connectors'
CHECK_TOPIC_PREFIX = "check-"
PRACTICE_TOPIC_PREFIXES = (CHECK_TOPIC_PREFIX, "practica.")
REST_EXTENSION = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"
REST_LOGIN_MODULE = "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule"


def acls() -> list[tuple[str, str, str, str, str]]:
    """(principal, resource type, name, pattern, operation): every grant, nothing more."""
    out = []
    for group, topics in CONSUMER_GROUPS.items():
        out.append((group, "GROUP", group, "LITERAL", "READ"))
        out += [(group, "TOPIC", t, "LITERAL", "READ") for t in topics]
        out.append((group, "TOPIC", config.DEAD_LETTER_TOPIC, "LITERAL", "WRITE"))
    out.append(("connect", "GROUP", CONNECT_GROUP, "LITERAL", "READ"))
    out.append(("connect", "GROUP", CONNECT_PREFIX, "PREFIXED", "READ"))
    # resetting a sink's offsets (KIP-875, `connectors.replay`) deletes its group's offsets
    out.append(("connect", "GROUP", CONNECT_PREFIX, "PREFIXED", "DELETE"))
    out += [("connect", "TOPIC", CONNECT_PREFIX, "PREFIXED", op)
            for op in ("READ", "WRITE", "CREATE", "DESCRIBE", "DESCRIBE_CONFIGS")]
    out += [("connect", "TOPIC", t, "LITERAL", "WRITE") for t in SOURCE_TOPICS]
    out += [("connect", "TOPIC", t, "LITERAL", "READ") for t in SINK_TOPICS]
    out += [("connect", "TOPIC", prefix, "PREFIXED", op) for prefix in PRACTICE_TOPIC_PREFIXES
            for op in ("CREATE", "WRITE", "DESCRIBE")]
    assert SINK_GROUP.startswith(CONNECT_PREFIX)
    return out


def apply_acls(bootstrap: str) -> int:
    """Create the ACLs (as the lab's admin); creating one that exists is a no-op in Kafka."""
    from kafka.admin import (
        ACL,
        ACLOperation,
        ACLPermissionType,
        ACLResourcePatternType,
        ResourcePattern,
        ResourceType,
    )

    from boletia.adapters import kafka

    wanted = [ACL(f"User:{who}", "*", ACLOperation[op], ACLPermissionType.ALLOW,
                  ResourcePattern(ResourceType[kind], name, ACLResourcePatternType[pattern]))
              for who, kind, name, pattern, op in acls()]
    a = kafka.admin(bootstrap)
    try:
        result = a.create_acls(wanted)
    finally:
        a.close()
    failed = result.get("failed") or []
    if failed:
        raise RuntimeError(f"Kafka refused {len(failed)} ACL(s): {failed[:3]}")
    return len(wanted)


def ensure_users(bootstrap: str, kafka_users: dict[str, str], every: bool = False) -> list[str]:
    """Create the SCRAM users the brokers do not know yet (as the lab's admin), returning their
    names. A lab formatted before a principal existed (a consumer added since: `reembolsos`, when
    inventario was split) gets it here; the users given to `format` are already there. `every`:
    set every user's password, known or not (the docker lab's `access`, at each start: the
    passwords are the file's even if the brokers' volumes outlived an earlier one)."""
    from kafka.admin import ScramMechanism, UserScramCredentialUpsertion

    from boletia.adapters import kafka

    a = kafka.admin(bootstrap)
    try:
        known = {user for user, info in a.describe_user_scram_credentials().items()
                 if not info.get("error") and info.get("credential_infos")}
        missing = sorted(set(kafka_users) if every else set(kafka_users) - known)
        if missing:
            failed = {u: e for u, e in a.alter_user_scram_credentials(
                [UserScramCredentialUpsertion(u, ScramMechanism.SCRAM_SHA_512, kafka_users[u])
                 for u in missing]).items() if e}
            if failed:
                raise RuntimeError(f"Kafka refused the SCRAM user(s) {failed}")
    finally:
        a.close()
    return missing


def grant(bootstrap: str, kafka_users: dict[str, str], every: bool = False) -> tuple[list[str], int]:
    """The SCRAM users (`ensure_users`), then every ACL: (users set, ACLs applied)."""
    return ensure_users(bootstrap, kafka_users, every), apply_acls(bootstrap)


def generate() -> dict:
    """A lab's credentials, each a random value: a password per Kafka principal, the
    controllers' own, Connect REST's admin, and a password per MongoDB user."""
    return {"kafka": {p: secrets.token_urlsafe(24) for p in KAFKA_PRINCIPALS},
            "controller": secrets.token_urlsafe(24),
            "connect": {"admin": secrets.token_urlsafe(24)},
            "mongo": {p: secrets.token_urlsafe(24) for p in MONGO_PRINCIPALS}}


def complete(found: dict) -> list[str]:
    """Add a password for each principal `found` lacks (a consumer added since the lab was
    made: reembolsos, with the split; MongoDB's users, added after Kafka's); returns their
    names, as `kafka:<user>` or `mongo:<user>`."""
    missing = []
    for system, principals in (("kafka", KAFKA_PRINCIPALS), ("mongo", MONGO_PRINCIPALS)):
        users = found.setdefault(system, {})
        new = [p for p in principals if p not in users]
        users.update({p: secrets.token_urlsafe(24) for p in new})
        missing += [f"{system}:{p}" for p in new]
    return missing


def mongo_users(creds: dict) -> dict[str, dict]:
    """Every MongoDB user, as SecantusDB's entrypoint provisions them (SECANTUS_USERS): the
    admin root; the others readWrite on `boletia`; Connect also on the scratch databases of the
    student connector check and of lesson 02's hand-made connector."""
    from boletia.config import CHECK_DATABASE, DATABASE, PRACTICE_DATABASE

    users = creds["mongo"]

    def roles(user: str) -> list[dict]:
        if user == MONGO_ADMIN:
            return [{"role": "root", "db": "admin"}]
        dbs = (DATABASE, CHECK_DATABASE, PRACTICE_DATABASE) if user == "connect" else (DATABASE,)
        return [{"role": "readWrite", "db": db} for db in dbs]

    return {u: {"pwd": users[u], "roles": roles(u)} for u in MONGO_PRINCIPALS}


def _jaas(module: str, **options: str) -> str:
    return f"{module} required " + " ".join(f'{k}="{v}"' for k, v in options.items()) + ";"


SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"


def broker_values(creds: dict) -> dict[str, str]:
    """The broker template's security values: plaintext without credentials, else SCRAM on
    the client listener, PLAIN (the controllers' login only) on the controller listener."""
    if not creds:
        return {"listener": "PLAINTEXT", "controller_protocol": "PLAINTEXT", "auth": ""}
    ctl = creds["controller"]
    lines = [
        "# Credentials and ACLs (issue 28), written by `boletia lab up`; this file is owner-only.",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        f"super.users={';'.join(f'User:{u}' for u in (*SUPER, 'controller'))}",
        "allow.everyone.if.no.acl.found=false",
        f"sasl.enabled.mechanisms={MECHANISM}",
        f"sasl.mechanism.inter.broker.protocol={MECHANISM}",
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config="
        + _jaas(SCRAM_MODULE, username="broker", password=creds["kafka"]["broker"]),
        # KRaft cannot use SCRAM on the controller listener (its users live in the metadata the
        # controllers serve); one PLAIN user that only the nodes know
        "sasl.mechanism.controller.protocol=PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
        "listener.name.controller.plain.sasl.jaas.config="
        + _jaas(PLAIN_MODULE, username="controller", password=ctl, user_controller=ctl),
    ]
    return {"listener": "SASL_PLAINTEXT", "controller_protocol": "SASL_PLAINTEXT",
            "auth": "\n".join(lines)}


def connect_values(creds: dict) -> str:
    """Connect's security lines: its principal for the worker and for every producer, consumer
    and admin client it makes for the connectors; Basic authentication on its REST API."""
    if not creds:
        return ""
    jaas = _jaas(SCRAM_MODULE, username="connect", password=creds["kafka"]["connect"])
    lines = ["# Credentials (issue 28), written by `boletia lab up`; this file is owner-only."]
    for prefix in ("", "producer.", "consumer.", "admin."):
        lines += [f"{prefix}security.protocol=SASL_PLAINTEXT", f"{prefix}sasl.mechanism={MECHANISM}",
                  f"{prefix}sasl.jaas.config={jaas}"]
    lines.append(f"rest.extension.classes={REST_EXTENSION}")
    return "\n".join(lines)


def client_properties(user: str, password: str) -> str:
    """A Java client's security lines (Kafka's own tools read them with --command-config)."""
    return "\n".join(["security.protocol=SASL_PLAINTEXT", f"sasl.mechanism={MECHANISM}",
                      "sasl.jaas.config=" + _jaas(SCRAM_MODULE, username=user, password=password)]) + "\n"


def connect_rest_jaas(users_file: Path) -> str:
    return f"KafkaConnect {{\n  {_jaas(REST_LOGIN_MODULE, file=str(users_file))}\n}};\n"


# ------------------------------------------------------------ the docker runtime
# The images format Kafka's storage themselves (Kafka's KafkaDockerWrapper, which adds no SCRAM
# user), so the docker lab's brokers know two PLAIN users from their config: `broker` (between
# brokers) and `admin`, used once by the one-shot `access` service to make every SCRAM user and
# the ACLs over the admin API (`boletia lab access`) before Connect and the consumers start.
# Every other login, the host's tools' included, is SCRAM. The controller listener takes only
# the controllers' PLAIN user.
def compose_env(creds: dict) -> dict[str, str]:
    """The compose variables (an env file, 0600: never on a command line) of a docker lab with
    `creds`: the brokers' security settings, each principal's password, Connect REST's."""
    users = creds["kafka"]
    client = _jaas(PLAIN_MODULE, username="broker", password=users["broker"])
    listener = _jaas(PLAIN_MODULE, username="broker", password=users["broker"],
                     user_broker=users["broker"], user_admin=users["admin"])
    controller = _jaas(PLAIN_MODULE, username="controller", password=creds["controller"],
                       user_controller=creds["controller"])
    return {
        "BOLETIA_KAFKA_BROKER_JAAS": listener,
        "BOLETIA_KAFKA_CONTROLLER_JAAS": controller,
        "BOLETIA_KAFKA_HEALTH_JAAS": client,  # the brokers' health check logs in as `broker`
        # every SCRAM user `access` makes, as user:password,... (token_urlsafe has no : or ,)
        "BOLETIA_KAFKA_USERS": ",".join(f"{u}:{users[u]}" for u in KAFKA_PRINCIPALS if u != "broker"),
        **{password_variable(p): users[p] for p in KAFKA_PRINCIPALS},
        "BOLETIA_CONNECT_PASSWORD": creds["connect"]["admin"],
        # MongoDB: what its first start provisions (SecantusDB's entrypoint, or the official
        # set's mongo-init), and each user's password for the component that logs in as it
        "BOLETIA_MONGO_USERS": json.dumps(mongo_users(creds)),
        **{f"BOLETIA_MONGO_PASSWORD_{u.upper()}": creds["mongo"][u] for u in MONGO_PRINCIPALS},
    }


def password_variable(principal: str) -> str:
    return f"BOLETIA_KAFKA_PASSWORD_{principal.upper()}"


def parse_users(text: str) -> dict[str, str]:
    """BOLETIA_KAFKA_USERS back into {user: password}."""
    pairs = [item.split(":", 1) for item in text.split(",") if item.strip()]
    if not pairs or any(len(p) != 2 or not p[0] or not p[1] for p in pairs):
        raise ValueError("BOLETIA_KAFKA_USERS is not user:password,... (the docker runtime writes it)")
    return dict(pairs)
