"""One real local lab for the whole test session: up once, down (and purged) at the end.

A lab that was already running before the tests (a developer's) is reused and left running.
"""

from __future__ import annotations

import pytest
from pymongo import MongoClient

from boletia import config
from boletia.adapters import mongo
from boletia.lab.runtimes.local import LocalRuntime


@pytest.fixture(scope="session")
def lab():
    rt = LocalRuntime()
    was_running = all(s.state == "running" for s in rt.status())
    rt.up(report=lambda m: print(f"[lab] {m}", flush=True), design="fixed")
    yield rt
    if not was_running:
        rt.down(purge=True)


@pytest.fixture(scope="session")
def settings(lab) -> config.Settings:
    return lab.settings


@pytest.fixture(scope="session")
def mongo_client(settings) -> MongoClient:
    c = mongo.connect(settings)
    yield c
    c.close()


@pytest.fixture
def db(mongo_client):
    return mongo.database(mongo_client)


@pytest.fixture
def scratch_topic(settings):
    """A topic of the lab's shape (3 partitions) for one test, deleted after it."""
    import uuid

    from boletia.adapters import kafka

    topic = f"boletia.test-{uuid.uuid4().hex[:8]}"
    kafka.ensure_topics(settings.kafka_bootstrap, (topic,))
    yield topic
    a = kafka.admin(settings.kafka_bootstrap)
    try:
        a.delete_topics([topic])
    finally:
        a.close()
