"""Settings read from the environment, so every process of the lab agrees on them.

The lab's processes (services, consumers, the CLI, the notebooks) are separate programs;
the environment is the one channel they all share, and it is what the docker and
Kubernetes runtimes set too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

DESIGNS = ("fixed", "seed")

DATABASE = "boletia"
COLLECTIONS = ("eventos", "inventario", "reservas")
TOPICS = tuple(f"{DATABASE}.{c}" for c in COLLECTIONS)
DEAD_LETTER_TOPIC = f"{DATABASE}.dead-letter"
# The source connector writes a heartbeat here so its resume token stays fresh when idle.
HEARTBEAT_TOPIC = "__mongodb_heartbeats"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def lab_dir() -> Path:
    """Where the local runtime keeps data, logs and pid files (ignored by git)."""
    return Path(_env("BOLETIA_LAB_DIR", str(REPO_ROOT / ".lab"))).resolve()


def design() -> str:
    """`fixed` (default) or `seed`: which behaviour services, consumers and connectors follow."""
    value = _env("BOLETIA_DESIGN", "fixed").lower()
    if value not in DESIGNS:
        raise ValueError(
            f"BOLETIA_DESIGN={value!r} is not a design; use one of: {', '.join(DESIGNS)}"
        )
    return value


@dataclass(frozen=True)
class Ports:
    """Loopback ports of the local runtime; the services keep the seed's 8070/8071."""

    mongo: int = 27017
    ses: int = 5005
    kafka: tuple[int, ...] = (9092, 9093, 9094)
    controllers: tuple[int, ...] = (19092, 19093, 19094)
    connect: int = 8083
    eventos: int = 8070
    reservas: int = 8071


@dataclass(frozen=True)
class Settings:
    """Connection strings every adapter uses; defaults match the local runtime."""

    host: str = "127.0.0.1"
    ports: Ports = field(default_factory=Ports)

    @property
    def mongo_uri(self) -> str:
        return _env(
            "BOLETIA_MONGO_URI",
            f"mongodb://{self.host}:{self.ports.mongo}/?directConnection=true",
        )

    @property
    def kafka_bootstrap(self) -> str:
        return _env(
            "BOLETIA_KAFKA_BOOTSTRAP", ",".join(f"{self.host}:{p}" for p in self.ports.kafka)
        )

    @property
    def connect_url(self) -> str:
        return _env("BOLETIA_CONNECT_URL", f"http://{self.host}:{self.ports.connect}")

    @property
    def ses_url(self) -> str:
        return _env("BOLETIA_SES_URL", f"http://{self.host}:{self.ports.ses}")

    @property
    def eventos_url(self) -> str:
        return _env("BOLETIA_EVENTOS_URL", f"http://{self.host}:{self.ports.eventos}")

    @property
    def reservas_url(self) -> str:
        return _env("BOLETIA_RESERVAS_URL", f"http://{self.host}:{self.ports.reservas}")

    @property
    def aws_region(self) -> str:
        return _env("AWS_DEFAULT_REGION", "us-east-1")

    @property
    def sender(self) -> str:
        return _env("BOLETIA_SENDER", "boletos@boletia.example")


def settings() -> Settings:
    return Settings()
