"""Unit tests judge the defaults: a test worker's own lab (its ports and directory, set in the
environment by tests/conftest.py) is not theirs, and a settings object read with it is not kept."""

from __future__ import annotations

import pytest

from boletia import config


@pytest.fixture(autouse=True)
def _default_settings(monkeypatch):
    for name in ("BOLETIA_PORTS", "BOLETIA_PORT_OFFSET", "BOLETIA_LAB_DIR"):
        monkeypatch.delenv(name, raising=False)
    config.settings.cache_clear()
    yield
    config.settings.cache_clear()
