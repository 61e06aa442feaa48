"""Credentials on Kafka and Connect (issue 28): a client without credentials, or with another
component's, is refused. Needs a lab brought up with them (`BOLETIA_AUTH=1 boletia lab up`
on fresh storage); on a lab without them these tests skip, saying so."""

from __future__ import annotations

import stat
import uuid

import psutil
import pytest
import requests
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAuthorizationFailedError

from boletia import config
from boletia.adapters.kafka import MECHANISM
from boletia.lab.setup import connectors


@pytest.fixture(scope="module")
def creds(lab, settings) -> dict:
    found = config.credentials(settings)
    if not found:
        if settings.auth:
            pytest.fail("BOLETIA_AUTH is set but the lab has no credentials file")
        pytest.skip("the lab runs without credentials: bring it up with BOLETIA_AUTH=1 "
                    "(on fresh storage) to run these")
    return found


def _as(creds: dict, user: str, password: str | None = None) -> dict:
    return {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": MECHANISM,
            "sasl_plain_username": user,
            "sasl_plain_password": creds["kafka"][user] if password is None else password}


def _bootstraps(bootstrap: str, **security) -> bool:
    try:
        KafkaAdminClient(bootstrap_servers=bootstrap.split(","), bootstrap_timeout_ms=5000,
                         request_timeout_ms=5000, **security).close()
        return True
    except KafkaError:
        return False


def test_kafka_refuses_a_client_without_credentials(lab, creds, settings):
    """The broker drops a plaintext client at its first request (it expects a SASL handshake);
    the same client with the admin's login gets in (so the refusal is not a dead broker)."""
    first = settings.kafka_bootstrap.split(",")[0]
    mark = lab.log_mark("kafka-1")
    assert not _bootstraps(first)
    assert "during SASL handshake" in lab.logs("kafka-1", lines=0, since=mark)
    assert _bootstraps(first, **_as(creds, "admin"))


def test_kafka_refuses_a_wrong_password(lab, creds, settings):
    first = settings.kafka_bootstrap.split(",")[0]
    mark = lab.log_mark("kafka-1")
    assert not _bootstraps(first, **_as(creds, "inventario", "not-its-password"))
    assert "invalid credentials" in lab.logs("kafka-1", lines=0, since=mark)
    assert _bootstraps(first, **_as(creds, "inventario"))


def test_the_controller_listener_takes_no_client(creds, settings):
    """Only the nodes' own PLAIN login opens the controller listener; the lab's admin, whose
    SCRAM login opens everything else, is refused there."""
    controller = f"{settings.host}:{settings.ports.controllers[0]}"
    assert not _bootstraps(controller, **_as(creds, "admin"))
    assert not _bootstraps(controller)


def test_a_consumer_writes_its_dead_letters_but_not_another_topic(creds, settings):
    """notificaciones may write boletia.dead-letter; boletia.reservas is Connect's to write."""
    p = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap.split(","), acks="all",
                      max_block_ms=10000, **_as(creds, "notificaciones"))
    try:
        p.send(config.DEAD_LETTER_TOPIC, value=b"probe").get(timeout=30)
        with pytest.raises(TopicAuthorizationFailedError):
            p.send("boletia.reservas", value=uuid.uuid4().hex.encode()).get(timeout=30)
    finally:
        p.close()


def test_a_consumer_reads_only_its_topics(creds, settings):
    """notificaciones reads boletia.reservas, not boletia.inventario (inventario's)."""
    c = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap.split(","), group_id=None,
                      enable_auto_commit=False, request_timeout_ms=10000,
                      **_as(creds, "notificaciones"))
    try:
        assert c.partitions_for_topic("boletia.reservas")
        with pytest.raises(TopicAuthorizationFailedError):
            c.end_offsets([TopicPartition("boletia.inventario", 0)])
    finally:
        c.close()


def test_a_component_cannot_create_topics(creds, settings):
    a = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap.split(","),
                         request_timeout_ms=10000, **_as(creds, "connect"))
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
    passwords = [*creds["kafka"].values(), creds["controller"], *creds["connect"].values()]
    for proc in psutil.process_iter(["cmdline"]):
        line = " ".join(proc.info["cmdline"] or [])
        assert not any(p in line for p in passwords), f"a password on pid {proc.pid}'s command line"
