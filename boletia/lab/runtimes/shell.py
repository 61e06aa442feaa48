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


def succeeded(out: subprocess.CompletedProcess) -> bool:
    return out.returncode == 0


def armed(out: subprocess.CompletedProcess, consumer: str, fault: str) -> bool:
    """`boletia lab arm` ran inside the consumer's container or pod. A crash fault can fire on
    the consumer's very next message, and the container's death ends the exec with it, so its
    exit code is lost; the command's confirmation line (on stderr, with its other messages)
    says the fault file was written."""
    said = f"{out.stdout or ''}\n{out.stderr or ''}".splitlines()
    return out.returncode == 0 or any(line.startswith(f"{consumer}: {fault}") for line in said)
