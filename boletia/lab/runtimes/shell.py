"""How the container runtimes call docker, kubectl and kind: one injectable command runner."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

Runner = Callable[[list[str]], subprocess.CompletedProcess]


def run_command(cmd: list[str]) -> subprocess.CompletedProcess:
    """The container runtimes' way to call docker, kubectl and kind (tests pass a recorder)."""
    return subprocess.run(cmd, capture_output=True, text=True)
