"""What every runtime does once its processes run: MongoDB collections and indexes, the
Kafka topics, the connectors. `boletia lab bootstrap` runs it inside a container network
(the docker and Kubernetes runtimes); the local runtime calls the same steps."""

from __future__ import annotations

from collections.abc import Callable

from boletia import config
from boletia.adapters import kafka, mongo
from boletia.lab.i18n.messages import cli as _t
from boletia.lab.setup import connectors


def prepare_mongo(settings: config.Settings) -> None:
    with mongo.connect(settings, timeout_ms=30000) as c:
        mongo.ensure_schema(c)


def prepare_kafka(settings: config.Settings, brokers: int = 3) -> None:
    kafka.wait_for_brokers(settings.kafka_bootstrap, brokers, timeout=120)
    kafka.ensure_topics(settings.kafka_bootstrap)


def register_connectors(settings: config.Settings, design: str,
                        report: Callable[[str], None]) -> None:
    for name in connectors.register(settings, design):
        report(_t("connector {name}: RUNNING ({design} design)", name=name, design=design))


def bootstrap(settings: config.Settings, design: str,
              report: Callable[[str], None] = lambda m: None) -> None:
    prepare_mongo(settings)
    report(_t("MongoDB: collections, indexes and post-images ready"))
    prepare_kafka(settings)
    report(_t("topics boletia.* ready (RF 3, min.insync.replicas 2)"))
    register_connectors(settings, design, report)
