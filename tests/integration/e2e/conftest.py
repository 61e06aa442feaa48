"""The control room in a real browser: headless Chromium from Debian's packages driven by
Selenium, against the session's lab (tests/integration/conftest.py), through a UI server these
tests start themselves.

Chromium and its driver come from Debian (`apt-get install -y chromium chromium-driver`, as
root); nothing is downloaded at run time. A lab that is already running is used as it is and
left running; when nothing of it runs (a fresh `make test`), the integration session brings it
up and down.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("BOLETIA_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("BOLETIA_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# screenshots of each run (git-ignored); the README shows copies of them from docs/images/
IMAGES = Path(__file__).resolve().parents[3] / "test-output" / "screenshots"

if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip(f"no Chromium at {CHROMIUM} and {CHROMEDRIVER}: `apt-get install -y chromium "
                "chromium-driver` (as root)", allow_module_level=True)
pytest.importorskip("selenium", reason="selenium is in the dev extra: pip install -e '.[dev]'")


def pytest_configure(config):
    config.addinivalue_line("markers", "lab_faults: kills and restarts lab components (keep it short "
                                       "on a lab others use)")


@pytest.fixture(scope="session")
def run_id() -> str:
    return secrets.token_hex(3)


@pytest.fixture(scope="session")
def ui(lab):
    """The control room's server on a free loopback port, in a thread of this process."""
    from boletia.lab.ui.server import make_server

    server, app = make_server(lab, "127.0.0.1", 0, interval=0.5)
    thread = threading.Thread(target=server.run, name="ui-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    app.extensions["boletia_ui"]["close"]()
    server.close()


@pytest.fixture(scope="session")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="boletia-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1600,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser):
    """The browser, checked after each test for script errors and refused resources."""
    browser.get_log("browser")  # forget what earlier tests logged
    yield browser
    # an API's 4xx is an answer the page shows (a refused booking), not a fault of the page
    severe = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"
              and not ("/api/" in e["message"] and "status of 4" in e["message"])]
    assert not severe, f"the page logged errors: {severe}"


@pytest.fixture(scope="session")
def images() -> Path:
    IMAGES.mkdir(parents=True, exist_ok=True)
    return IMAGES
