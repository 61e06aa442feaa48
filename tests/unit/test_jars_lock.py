"""Two labs started at once on a fresh machine fetch the jars once (no process started)."""

from __future__ import annotations

import threading
import time

from boletia.lab.setup import jars


def test_the_second_lab_waits_for_the_first_fetch_and_fetches_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("BOLETIA_JARS_DIR", str(tmp_path / "jars-x"))
    laid_out = threading.Event()
    fetches: list[str] = []
    said: list[str] = []

    def fetch(on_progress):
        fetches.append(threading.current_thread().name)
        time.sleep(0.5)              # Maven at work: the other lab arrives meanwhile
        laid_out.set()
    monkeypatch.setattr(jars, "_fetch", fetch)
    monkeypatch.setattr(jars, "jars_ready", laid_out.is_set)
    first = threading.Thread(target=jars.ensure_jars, name="first")
    first.start()
    while not fetches:
        time.sleep(0.01)
    jars.ensure_jars(said.append)    # the second lab, while the first fetches
    first.join()
    assert fetches == ["first"] and said == ["another lab is fetching the jars: waiting for it"]
