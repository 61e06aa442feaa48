"""The control room on a container runtime: the UI is a lab tool that runs on this machine
(it drives the runtime's verbs), so `up` of docker or kind starts it as a detached process and
`down` stops it; its pid and log live in the runtime's own folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

PID, LOG = "ui.pid", "ui.log"


def ui_command(runtime: str, port: int) -> list[str]:
    return [sys.executable, "-m", "boletia.cli", "lab", "ui", "--runtime", runtime, "--port", str(port)]


def start_ui(folder: Path, runtime: str, port: int, lab_dir: Path,
             report: Callable[[str], None] = lambda m: None, wait_seconds: float = 30) -> bool:
    """Start the UI unless one answers already; True when it answers. A UI that does not come
    up does not fail `up` (the lab itself is up): the report says why and where its log is."""
    url = f"http://127.0.0.1:{port}"
    if _answers(url):
        report(f"control room already running: {url}/control")
        return True
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / LOG
    with open(log, "ab") as out:
        proc = subprocess.Popen(ui_command(runtime, port), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                env={**os.environ, "BOLETIA_LAB_DIR": str(lab_dir)})
    (folder / PID).write_text(str(proc.pid))
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if _answers(url):
            report(f"control room: {url}/control (log {log})")
            return True
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-600:] if log.exists() else ""
    report(f"the control room did not come up on {url} (the lab is up without it); its log, "
           f"{log}, ends with:\n{tail}\nstart it by hand: boletia lab ui --runtime {runtime} --port N")
    return False


def stop_ui(folder: Path) -> None:
    """Stop the UI this runtime started (nothing when none was started or it already ended)."""
    pid_file = folder / PID
    if not pid_file.exists():
        return
    try:
        os.killpg(int(pid_file.read_text()), signal.SIGTERM)
    except (ProcessLookupError, PermissionError, ValueError):
        pass
    pid_file.unlink(missing_ok=True)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=2).ok
    except requests.RequestException:
        return False
