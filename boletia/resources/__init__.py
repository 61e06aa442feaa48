"""The files the lab needs besides its code, found the same way in a checkout and in an
installed package: the connector definitions (`connect/`) and the infrastructure files
(`lab-infra/`: the Maven pom for the jars, the broker/Connect/log4j2 templates, the compose
file). pyproject.toml installs those two folders as `boletia.resources.connect` and
`boletia.resources.infra`, so `pip install .` then `boletia lab up` works from any directory.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _dir(package: str) -> Path:
    return Path(str(resources.files(package)))


def connect_dir() -> Path:
    """connect/: fixed/*.json and seed/*.json, one file per connector."""
    return _dir("boletia.resources.connect")


def infra_dir() -> Path:
    """lab-infra/: pom.xml, templates/, compose.yaml."""
    return _dir("boletia.resources.infra")


def templates_dir() -> Path:
    return infra_dir() / "templates"


def pom() -> Path:
    return infra_dir() / "pom.xml"
