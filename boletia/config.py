"""Settings, loaded once per process from the environment, then passed around.

The lab's processes (services, consumers, the CLI, the notebooks) are separate programs;
the environment is the one channel they all share, and it is what the docker and
Kubernetes runtimes set too. Each process reads it once (`settings()`), never again.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from boletia import designs

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent  # a checkout; a pip-installed package has none (see lab_dir)

# The designs' names, from their registry (boletia/designs/__init__.py, which imports nothing
# from boletia): help texts, the control room and the lab take the list from here.
DESIGNS = designs.NAMES

DATABASE = "boletia"
# the student connector check's scratch collections (lab/student/connector.py), and lesson 02's
# hand-made connector's: Connect's MongoDB user may use these besides `boletia`
CHECK_DATABASE = "boletia_check"
PRACTICE_DATABASE = "boletia_practice"
COLLECTIONS = ("eventos", "inventario", "reservas")
TOPICS = tuple(f"{DATABASE}.{c}" for c in COLLECTIONS)
DEAD_LETTER_TOPIC = f"{DATABASE}.dead-letter"
# The source connector writes a heartbeat here so its resume token stays fresh when idle.
HEARTBEAT_TOPIC = "__mongodb_heartbeats"
# Where a lab started with credentials (BOLETIA_AUTH) keeps them, under its lab directory,
# owner-only: {"kafka": {principal: password}, "connect": {user: password}}
CREDENTIALS_FILE = "secrets/credentials.json"


def _default_lab_dir() -> Path:
    """`.lab/` in a checkout (next to pyproject.toml); the user's state directory otherwise."""
    if (REPO_ROOT / "pyproject.toml").exists() and (REPO_ROOT / "boletia").is_dir():
        return REPO_ROOT / ".lab"
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "boletia"


class Ports(BaseModel):
    """Loopback ports of the local runtime; the services keep the seed's 8070/8071."""

    model_config = ConfigDict(frozen=True)
    mongo: int = 27017
    ses: int = 5005
    kafka: tuple[int, ...] = (9092, 9093, 9094)
    controllers: tuple[int, ...] = (19092, 19093, 19094)
    connect: int = 8083
    eventos: int = 8070
    reservas: int = 8071
    ui: int = 8090

    def connect_worker(self, k: int) -> int:
        """The REST port of Connect's worker k (1 is `connect`): 100 apart, clear of the other
        ports of this lab and of a lab shifted by a multiple of 1000."""
        return self.connect + 100 * (k - 1)

    def shifted(self, offset: int) -> Ports:
        """Every port moved by `offset`: another lab on the same host."""
        return Ports(mongo=self.mongo + offset, ses=self.ses + offset,
                     kafka=tuple(p + offset for p in self.kafka),
                     controllers=tuple(p + offset for p in self.controllers),
                     connect=self.connect + offset, eventos=self.eventos + offset,
                     reservas=self.reservas + offset, ui=self.ui + offset)


class Settings(BaseSettings):
    """Every setting of the lab, with `BOLETIA_` in the environment (AWS_DEFAULT_REGION as is).
    Connection strings default to the local runtime's loopback ports."""

    model_config = SettingsConfigDict(env_prefix="BOLETIA_", frozen=True, extra="ignore")

    host: str = "127.0.0.1"
    ports: Ports = Ports()
    # A second lab on this host (issue 28.3): every default port moved by this much, and the
    # default lab directory `.lab-<offset>`; an explicit BOLETIA_PORTS or BOLETIA_LAB_DIR wins
    port_offset: int = Field(0, ge=0, le=40000)
    design: str = designs.DEFAULT  # one of DESIGNS, checked by designs.check
    lab_dir: Path = Field(default_factory=_default_lab_dir)
    mongo_uri: str = ""
    kafka_bootstrap: str = ""
    connect_url: str = ""
    ses_url: str = ""
    eventos_url: str = ""
    reservas_url: str = ""
    ui_url: str = ""
    # Host names the HTTP services answer besides loopback and their own URL's (a DNS-rebinding
    # page names another); ["*"] answers any, as behind a proxy that checks Host itself
    trusted_hosts: list[str] = []
    admin_token: str = ""      # the admin API's bearer token: set only for `eventos` (and the lab)
    booking_key: str = ""      # what each booking's secret is derived from: `reservas` and `notificaciones`
    # Credentials on Kafka and Connect (issue 28), on by default (BOLETIA_AUTH=0 turns them off on
    # the local runtime; the docker one always has them): a lab generates them once
    # (CREDENTIALS_FILE); each component is given
    # only its own principal here, in its environment (never on a command line). Unset: the
    # lab's admin, from the lab's file.
    auth: bool = True
    kafka_user: str = ""
    kafka_password: str = Field("", repr=False)
    # how that principal proves itself: SCRAM (a salted proof, never the password). PLAIN only
    # for the docker lab's one-shot `access` step, which makes the SCRAM users (docker.py)
    kafka_mechanism: Literal["SCRAM-SHA-512", "PLAIN"] = "SCRAM-SHA-512"
    connect_password: str = Field("", repr=False)  # Connect REST's `admin`; unset: the lab's file
    # this process's MongoDB user (readWrite on `boletia` only), given to each service, consumer
    # and Connect; unset: the lab's admin (root), from the lab's file
    mongo_user: str = ""
    mongo_password: str = Field("", repr=False)
    instance: str = ""         # a consumer's static-membership id; unique per process
    sender: str = "boletos@boletia.example"
    # `notificaciones` steps aside while reservation changes arrive faster than this per
    # second (0: never), for at most email_max_hold seconds in a row, and runs again once they
    # stayed that slow for email_calm seconds (consumers/priority.py)
    email_yield_above: float = Field(30.0, ge=0)
    email_max_hold: float = Field(30.0, gt=0)
    email_calm: float = Field(2.0, ge=0)
    # "module:function" called as function(consumer, log=...) for a consumer's hooks (readiness,
    # armed faults); imported only when set. The lab sets boletia.lab.hooks:consumer_hooks.
    consumer_hooks: str = ""
    student_module: Path = REPO_ROOT / "notebooks" / "exercises" / "student_design.py"
    aws_region: str = Field("us-east-1", validation_alias=AliasChoices(
        "AWS_DEFAULT_REGION", "BOLETIA_AWS_REGION"))

    @model_validator(mode="before")
    @classmethod
    def _connection_defaults(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        host = values.get("host") or "127.0.0.1"
        raw = values.get("ports")
        p = raw if isinstance(raw, Ports) else Ports(**(raw or {}))
        offset = int(values.get("port_offset") or 0)
        if offset and not raw:
            p = values["ports"] = Ports().shifted(offset)
        if offset and not values.get("lab_dir"):
            default = _default_lab_dir()
            values["lab_dir"] = default.with_name(f"{default.name}-{offset}")
        defaults = {
            "mongo_uri": f"mongodb://{host}:{p.mongo}/?directConnection=true",
            "kafka_bootstrap": ",".join(f"{host}:{k}" for k in p.kafka),
            "connect_url": f"http://{host}:{p.connect}",
            "ses_url": f"http://{host}:{p.ses}",
            "eventos_url": f"http://{host}:{p.eventos}",
            "reservas_url": f"http://{host}:{p.reservas}",
            "ui_url": f"http://{host}:{p.ui}",
        }
        for key, value in defaults.items():
            if not str(values.get(key) or "").strip():
                values[key] = value
        return values

    @field_validator("design", mode="before")
    @classmethod
    def _a_known_design(cls, value: Any) -> str:
        try:
            return designs.check(value)
        except designs.UnknownDesign as exc:
            raise ValueError(str(exc)) from None


class SettingsError(ValueError):
    """The environment holds a value the lab cannot use; the message names it."""


@functools.cache
def settings() -> Settings:
    """This process's settings, read from the environment the first time only."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"BOLETIA_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
                             for e in exc.errors())
        raise SettingsError(f"bad setting in the environment ({problems})") from None


def credentials(s: Settings) -> dict:
    """The lab's generated credentials ({} when the lab runs without them)."""
    import json

    path = s.lab_dir / CREDENTIALS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def kafka_login(s: Settings) -> tuple[str, str] | None:
    """(principal, password) this process uses on Kafka: its own when the runtime gave it one,
    else the lab's admin when the lab has credentials, else None (a lab without auth)."""
    if s.kafka_user:
        return s.kafka_user, s.kafka_password
    admin = credentials(s).get("kafka", {}).get("admin")
    return ("admin", admin) if admin else None


def mongo_login(s: Settings) -> tuple[str, str] | None:
    """(user, password) this process uses on MongoDB, as kafka_login does on Kafka."""
    if s.mongo_user:
        return s.mongo_user, s.mongo_password
    admin = credentials(s).get("mongo", {}).get("admin")
    return ("admin", admin) if admin else None


def connect_login(s: Settings) -> tuple[str, str] | None:
    """(user, password) for Connect's REST API, None when it asks for none."""
    if s.connect_password:
        return "admin", s.connect_password
    users = credentials(s).get("connect", {})
    return ("admin", users["admin"]) if "admin" in users else None
