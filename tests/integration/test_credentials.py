"""Credentials on Kafka, Connect and MongoDB (issue 28): a client without credentials, or with another
component's, is refused; and two labs on one host, each with its own credentials, cannot reach
each other's data with them. A lab has credentials when brought up on fresh storage (the
default; `make test` asks for them with BOLETIA_AUTH=1, so there they must be present); on a
developer's older lab without them these tests skip, saying so."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
import requests
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAuthorizationFailedError

from boletia import config
from boletia.lab.runtimes.local import LocalRuntime
from boletia.lab.setup import connectors
from tests.conftest import SHIFT
from tests.kafka_logins import opens, scram


@pytest.fixture(scope="module")
def creds(lab, settings) -> dict:
    found = config.credentials(settings)
    if not found:
        if "auth" in settings.model_fields_set and settings.auth:
            pytest.fail("BOLETIA_AUTH=1 is set but the lab has no credentials file")
        pytest.skip("the lab runs without credentials (its storage predates them, or "
                    "BOLETIA_AUTH=0): `boletia lab down --purge`, then `boletia lab up`, to run these")
    return found


def test_kafka_refuses_a_client_without_credentials(lab, creds, settings):
    """The broker drops a plaintext client at its first request (it expects a SASL handshake);
    the same client with the admin's login gets in (so the refusal is not a dead broker)."""
    first = settings.kafka_bootstrap.split(",")[0]
    mark = lab.log_mark("kafka-1")
    assert not opens(first)
    assert "during SASL handshake" in lab.logs("kafka-1", lines=0, since=mark)
    assert opens(first, **scram(creds, "admin"))


def test_kafka_refuses_a_wrong_password(lab, creds, settings):
    first = settings.kafka_bootstrap.split(",")[0]
    mark = lab.log_mark("kafka-1")
    assert not opens(first, **scram(creds, "inventario", "not-its-password"))
    assert "invalid credentials" in lab.logs("kafka-1", lines=0, since=mark)
    assert opens(first, **scram(creds, "inventario"))


def test_the_controller_listener_takes_no_client(creds, settings):
    """Only the nodes' own PLAIN login opens the controller listener; the lab's admin, whose
    SCRAM login opens everything else, is refused there."""
    controller = f"{settings.host}:{settings.ports.controllers[0]}"
    assert not opens(controller, **scram(creds, "admin"))
    assert not opens(controller)


def test_a_consumer_writes_its_dead_letters_but_not_another_topic(creds, settings):
    """notificaciones may write boletia.dead-letter; boletia.reservas is Connect's to write."""
    p = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap.split(","), acks="all",
                      max_block_ms=10000, **scram(creds, "notificaciones"))
    try:
        p.send(config.DEAD_LETTER_TOPIC, value=b"probe").get(timeout=30)
        with pytest.raises(TopicAuthorizationFailedError):
            p.send("boletia.reservas", value=uuid.uuid4().hex.encode()).get(timeout=30)
    finally:
        p.close()


@pytest.mark.parametrize(("who", "reads", "not_reads"), [
    ("notificaciones", "boletia.reservas", "boletia.inventario"),
    ("inventario", "boletia.inventario", "boletia.reservas"),   # split: the refunds are reembolsos'
    ("reembolsos", "boletia.reservas", "boletia.inventario"),
])
def test_a_consumer_reads_only_its_topics(creds, settings, who, reads, not_reads):
    c = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap.split(","), group_id=None,
                      enable_auto_commit=False, request_timeout_ms=10000, **scram(creds, who))
    try:
        assert c.partitions_for_topic(reads)
        with pytest.raises(TopicAuthorizationFailedError):
            c.end_offsets([TopicPartition(not_reads, 0)])
    finally:
        c.close()


def test_a_consumer_added_after_the_lab_was_formatted_gets_its_scram_user(creds, settings):
    """Kafka takes its SCRAM users when its storage is formatted; a lab formatted before the
    split has no `reembolsos`. Its user deleted here, `ensure_users` (what `lab up` runs) finds
    it missing and makes it through the admin API, and the consumer's login works again."""
    from kafka.admin import ScramMechanism, UserScramCredentialDeletion

    from boletia.lab.setup import credentials

    first = settings.kafka_bootstrap.split(",")[0]
    a = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap.split(","), request_timeout_ms=10000,
                         **scram(creds, "admin"))
    try:
        assert not any(a.alter_user_scram_credentials(
            [UserScramCredentialDeletion("reembolsos", ScramMechanism.SCRAM_SHA_512)]).values())
    finally:
        a.close()
    try:
        deadline = time.monotonic() + 30
        while opens(first, **scram(creds, "reembolsos")) and time.monotonic() < deadline:
            time.sleep(0.5)   # the deletion reaches every broker through the metadata log
        assert not opens(first, **scram(creds, "reembolsos")), "the user was never deleted"
    finally:
        added = credentials.ensure_users(settings.kafka_bootstrap, creds["kafka"])
    assert added == ["reembolsos"]
    deadline = time.monotonic() + 30
    while not opens(first, **scram(creds, "reembolsos")) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert opens(first, **scram(creds, "reembolsos"))
    assert credentials.ensure_users(settings.kafka_bootstrap, creds["kafka"]) == []


def test_a_component_cannot_create_topics(creds, settings):
    a = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap.split(","),
                         request_timeout_ms=10000, **scram(creds, "connect"))
    try:
        with pytest.raises(KafkaError):
            a.create_topics([NewTopic(f"boletia.intruso-{uuid.uuid4().hex[:6]}", 1, 3)])
    finally:
        a.close()


def test_connect_rest_asks_for_credentials(creds, settings):
    url = f"{settings.connect_url}/connectors"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, auth=("admin", "not-its-password"), timeout=10).status_code == 401
    assert requests.delete(f"{url}/mongo-sink", timeout=10).status_code == 401
    assert connectors.rest().get(url, timeout=10).ok


def test_secrets_are_owner_only_and_on_no_command_line(creds, settings):
    path = settings.lab_dir / config.CREDENTIALS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    passwords = [*creds["kafka"].values(), creds["controller"], *creds["connect"].values(),
                 *creds["mongo"].values()]
    for proc in psutil.process_iter(["cmdline"]):
        line = " ".join(proc.info["cmdline"] or [])
        assert not any(p in line for p in passwords), f"a password on pid {proc.pid}'s command line"


# ------------------------------------------------------------ two labs on one host (28, part 3)
# The other lab: the other test worker's (make test runs two, at port offsets 0 and SHIFT, each
# with its own credentials) while it answers; else one brought up here, at an offset clear of
# both and of test_lab_errors' spare lab, and purged after.
SPARE_OFFSET = 2 * SHIFT
BOLETIA = str(Path(sys.executable).parent / "boletia")
ANSWERS_WITHIN = 180  # s: the other worker's lab may be inside a lesson's fault (a broker or Connect down)


@pytest.fixture(scope="module")
def other_lab(creds, settings, tmp_path_factory):
    for offset in (0, SHIFT):
        other = config.Settings(port_offset=offset)
        if offset == settings.port_offset or other.lab_dir == settings.lab_dir:
            continue
        if config.credentials(other) and _answers(other):
            yield LocalRuntime(other)
            return
    # brought up by its own CLI process, as a second student would: a process's Kafka clients
    # log in with its own lab's credentials (config.settings()), so one process runs one lab
    env = {**os.environ, "BOLETIA_PORT_OFFSET": str(SPARE_OFFSET), "BOLETIA_AUTH": "1",
           "BOLETIA_LAB_DIR": str(tmp_path_factory.mktemp("other") / "lab")}
    spare = LocalRuntime(config.Settings(port_offset=SPARE_OFFSET, lab_dir=env["BOLETIA_LAB_DIR"]))
    try:
        up = subprocess.run([BOLETIA, "lab", "up"], env=env, capture_output=True, text=True, timeout=600)
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        yield spare
    finally:
        subprocess.run([BOLETIA, "lab", "down", "--purge"], env=env, capture_output=True, timeout=300)


def _answers(s: config.Settings) -> bool:
    return opens(s.kafka_bootstrap, **scram(config.credentials(s), "admin"))


def _eventually(attempt, what: str):
    """attempt() -> a verdict, or None while the other side cannot judge (a component of the
    other lab is down for a moment); the first verdict is returned."""
    deadline = time.monotonic() + ANSWERS_WITHIN
    while time.monotonic() < deadline:
        verdict = attempt()
        if verdict is not None:
            return verdict
        time.sleep(2)
    pytest.fail(f"{what}: the other lab did not answer within {ANSWERS_WITHIN} s")


def _first_broker(s: config.Settings) -> str:
    return s.kafka_bootstrap.split(",")[0]


@pytest.mark.parametrize("way", ["this lab's login on the other", "the other's login on this"])
def test_a_labs_kafka_login_opens_no_other_lab(lab, creds, settings, other_lab, way):
    """Both labs have a principal named admin; each one's password opens only its own brokers.
    Judged only while the target's own admin is let in (so a refusal is not a dead broker),
    and the target's broker says why it refused (kafka-python reports every failed bootstrap
    alike)."""
    mine = (creds, settings, lab)
    theirs = (config.credentials(other_lab.settings), other_lab.settings, other_lab)
    (login, _, _), (own, target, target_rt) = (mine, theirs) if way.startswith("this") else (theirs, mine)
    broker = _first_broker(target)

    def attempt():
        if not opens(broker, **scram(own, "admin")):
            return None
        mark = target_rt.log_mark("kafka-1")
        if opens(broker, **scram(login, "admin")):
            return "in"
        said = target_rt.logs("kafka-1", lines=0, since=mark)
        return "refused" if "invalid credentials" in said else None

    assert own["kafka"]["admin"] != login["kafka"]["admin"]
    assert _eventually(attempt, "Kafka") == "refused"


def test_a_labs_connect_login_opens_no_other_lab(creds, other_lab):
    """This lab's Connect login neither lists nor deletes the other lab's connectors: 401."""
    url = f"{other_lab.settings.connect_url}/connectors"
    theirs = ("admin", config.credentials(other_lab.settings)["connect"]["admin"])
    mine = ("admin", creds["connect"]["admin"])

    def attempt():
        try:
            if requests.get(url, auth=theirs, timeout=10).status_code != 200:
                return None
            return (requests.get(url, auth=mine, timeout=10).status_code,
                    # a connector it does not have: let in, it would answer 404 and delete nothing
                    requests.delete(f"{url}/no-such-connector", auth=mine, timeout=10).status_code)
        except requests.ConnectionError:
            return None

    assert _eventually(attempt, "Connect") == (401, 401)


def test_a_labs_admin_token_opens_no_other_labs_admin_api(lab, other_lab):
    """Each lab generates its own bearer token for eventos: this lab's is refused by the other's
    admin API (reading the catalogue, creating an event), which takes its own."""
    url = f"{other_lab.settings.eventos_url}/eventos"
    mine = {"Authorization": f"Bearer {lab.admin_token()}"}
    theirs = {"Authorization": f"Bearer {other_lab.admin_token()}"}
    assert lab.admin_token() != other_lab.admin_token()

    def attempt():
        try:
            if requests.get(url, headers=theirs, timeout=10).status_code != 200:
                return None
            return (requests.get(url, headers=mine, timeout=10).status_code,
                    # an empty event: let in, it would be a 400 and create nothing
                    requests.post(url, headers=mine, json={}, timeout=10).status_code)
        except requests.ConnectionError:
            return None

    assert _eventually(attempt, "eventos") == (401, 401)


def _mongo(s: config.Settings, login: tuple[str, str] | None = None):
    from pymongo import MongoClient

    extra = dict(username=login[0], password=login[1], authSource="admin") if login else {}
    return MongoClient(s.mongo_uri, serverSelectionTimeoutMS=10000, **extra)


def _mongo_verdict(s: config.Settings, login: tuple[str, str] | None, db: str = "boletia") -> str:
    """"read" (it found what is there), or the code MongoDB refused it with: 18 authentication
    failed, 13 unauthorized (no login, or no role on `db`)."""
    from pymongo.errors import OperationFailure

    with _mongo(s, login) as c:
        try:
            c[db]["eventos"].find_one()
            return "read"
        except OperationFailure as exc:
            return {18: "bad login", 13: "unauthorized"}.get(exc.code, f"code {exc.code}")


def test_mongodb_refuses_a_client_without_credentials_or_with_a_wrong_password(creds, settings):
    assert _mongo_verdict(settings, None) == "unauthorized"
    assert _mongo_verdict(settings, ("eventos", "not-its-password")) == "bad login"
    assert _mongo_verdict(settings, ("admin", creds["mongo"]["admin"])) == "read"


@pytest.mark.parametrize("user", ["eventos", "reservas", "inventario", "reembolsos",
                                  "notificaciones", "connect"])
def test_each_mongodb_user_reads_and_writes_boletia_and_nothing_else(creds, settings, user):
    """readWrite on `boletia` (and, for Connect, the scratch databases of the connector check and
    lesson 02): another
    database, the admin database's users and the server's database list are refused."""
    from pymongo.errors import OperationFailure

    login = (user, creds["mongo"][user])
    assert _mongo_verdict(settings, login) == "read"
    assert _mongo_verdict(settings, login, "boletia_other") == "unauthorized"
    assert _mongo_verdict(settings, login, "admin") == "unauthorized"
    for scratch in (config.CHECK_DATABASE, config.PRACTICE_DATABASE):
        assert _mongo_verdict(settings, login, scratch) == (
            "read" if user == "connect" else "unauthorized"), scratch
    with _mongo(settings, login) as c:
        with pytest.raises(OperationFailure):
            c.admin.command("listDatabases")
        with pytest.raises(OperationFailure):  # fail points are the lab admin's only
            c.admin.command("configureFailPoint", "failCommand", mode="off")


def test_each_component_logs_in_to_mongodb_as_itself(lab, creds):
    """The running processes' environments: each service and consumer its own user; Connect
    only its password, for the connectors' ${env:...}; nobody else any MongoDB login."""
    seen = {}
    for proc in psutil.process_iter(["cmdline", "environ"]):
        env = proc.info["environ"] or {}
        if env.get("BOLETIA_LAB_DIR") != str(lab.files.root):
            continue
        line = " ".join(proc.info["cmdline"] or [])
        if "boletia.product" in line:
            name = line.split("boletia.product", 1)[1].split()[0]
            seen[name] = (env.get("BOLETIA_MONGO_USER"), env.get("BOLETIA_MONGO_PASSWORD"))
        elif "ConnectDistributed" in line:
            seen["connect"] = ("connect", env.get("BOLETIA_MONGO_PASSWORD"))
    assert set(seen) >= {"eventos", "reservas", "inventario", "reembolsos", "notificaciones",
                         "connect"}, seen
    for name, (user, password) in seen.items():
        assert (user, password) == (name, creds["mongo"][name]), name


def test_no_connector_config_holds_the_mongodb_password(creds, settings):
    """Connect's REST API returns each connector's config: its connection.uri names the password
    (Kafka's EnvVarConfigProvider resolves it inside the worker), never holds it."""
    url = settings.connect_url
    names = connectors.rest().get(f"{url}/connectors", timeout=10).json()
    assert names
    for name in names:
        cfg = connectors.rest().get(f"{url}/connectors/{name}/config", timeout=10).json()
        uri = cfg["connection.uri"]
        assert uri.startswith("mongodb://connect:${env:BOLETIA_MONGO_PASSWORD}@"), (name, uri)
        assert not any(p in str(cfg) for p in creds["mongo"].values()), name


def test_a_labs_mongodb_login_opens_no_other_lab(creds, other_lab):
    """Both labs have a MongoDB `admin`; this lab's password is refused by the other's server,
    which lets its own in (so the refusal is not a dead server)."""
    theirs = config.credentials(other_lab.settings)["mongo"]["admin"]
    assert theirs != creds["mongo"]["admin"]

    def attempt():
        try:
            if _mongo_verdict(other_lab.settings, ("admin", theirs)) != "read":
                return None
            return (_mongo_verdict(other_lab.settings, ("admin", creds["mongo"]["admin"])),
                    _mongo_verdict(other_lab.settings, None))
        except Exception:  # noqa: BLE001 - the other lab's server is down for a moment
            return None

    assert _eventually(attempt, "MongoDB") == ("bad login", "unauthorized")
