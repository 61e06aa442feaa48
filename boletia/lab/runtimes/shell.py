"""How the container runtimes call docker, kubectl and kind: one injectable command runner."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

Runner = Callable[[list[str]], subprocess.CompletedProcess]


TIMEOUT = 1800  # seconds: a first `compose up --build` builds images; nothing may wait forever


def run_command(cmd: list[str], timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """The container runtimes' way to call docker, kubectl and kind (tests pass a recorder)."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        return subprocess.CompletedProcess(cmd, 124, exc.stdout or "",
                                           f"timed out after {timeout:.0f}s: {' '.join(cmd[:6])}")
