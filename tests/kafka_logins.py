"""Kafka logins for the credentials tests, local (tests/integration) and docker (tests/docker)."""

from __future__ import annotations

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from boletia.lab.setup.credentials import MECHANISM


def scram(creds: dict, user: str, password: str | None = None) -> dict:
    """A client's security options logging in as `user`: its password in `creds`, or the given one."""
    return {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": MECHANISM,
            "sasl_plain_username": user,
            "sasl_plain_password": creds["kafka"][user] if password is None else password}


def opens(bootstrap: str, **security) -> bool:
    """Whether a client with these options gets in (an admin client bootstraps and closes)."""
    try:
        KafkaAdminClient(bootstrap_servers=bootstrap.split(","), bootstrap_timeout_ms=5000,
                         request_timeout_ms=5000, **security).close()
        return True
    except KafkaError:
        return False
