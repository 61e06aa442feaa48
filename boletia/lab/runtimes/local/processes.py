"""Start, find, signal and stop the lab's processes by pid file.

A pid file holds the pid and the process's start time, so a pid the kernel reused for
someone else's program is never mistaken for ours (and never signalled).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil


class ProcessHandle:
    def __init__(self, pid_file: Path):
        self.pid_file = pid_file

    def _read(self) -> tuple[int, float] | None:
        try:
            data = json.loads(self.pid_file.read_text())
            return int(data["pid"]), float(data["create_time"])
        except (OSError, ValueError, KeyError):
            return None

    def process(self) -> psutil.Process | None:
        """Our live process, or None (pid file missing, process gone, or pid reused)."""
        entry = self._read()
        if entry is None:
            return None
        pid, created = entry
        try:
            proc = psutil.Process(pid)
            if abs(proc.create_time() - created) > 1.0 or proc.status() == psutil.STATUS_ZOMBIE:
                return None
            return proc
        except psutil.Error:
            return None

    @property
    def pid(self) -> int | None:
        proc = self.process()
        return proc.pid if proc else None

    def state(self) -> str:
        proc = self.process()
        if proc is None:
            return "stopped"
        try:
            return "paused" if proc.status() == psutil.STATUS_STOPPED else "running"
        except psutil.Error:
            return "stopped"

    def start(self, cmd: list[str], log_file: Path, env: dict[str, str] | None = None,
              cwd: Path | None = None) -> int:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with open(log_file, "ab") as log:
            log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} start: {' '.join(cmd)}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, cwd=cwd, start_new_session=True,
            )
        created = psutil.Process(proc.pid).create_time()
        self.pid_file.write_text(json.dumps({"pid": proc.pid, "create_time": created, "cmd": cmd}))
        return proc.pid

    def signal(self, sig: int) -> bool:
        """Signal the whole process group (a JVM or a Python service with its children)."""
        proc = self.process()
        if proc is None:
            return False
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return False
        except PermissionError:
            proc.send_signal(sig)
        return True

    def terminate(self) -> None:
        """Ask it to stop (SIGTERM; SIGCONT first: a paused process cannot handle it)."""
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)

    def stop(self, timeout: float = 20.0) -> None:
        proc = self.process()
        if proc is None:
            self.pid_file.unlink(missing_ok=True)
            return
        self.signal(signal.SIGCONT)  # a paused process cannot handle SIGTERM
        self.signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except psutil.TimeoutExpired:
            self.signal(signal.SIGKILL)
            try:
                proc.wait(10)
            except psutil.TimeoutExpired:
                pass
        self.pid_file.unlink(missing_ok=True)

    def kill(self) -> None:
        proc = self.process()
        if proc is None:
            return
        self.signal(signal.SIGKILL)
        try:
            proc.wait(10)
        except psutil.TimeoutExpired:
            pass


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def listening_pids(port: int) -> set[int]:
    """The processes listening on a port (best effort: other users' may be hidden)."""
    try:
        return {c.pid for c in psutil.net_connections(kind="inet")
                if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid}
    except psutil.Error:
        return set()


def port_owner(port: int) -> str | None:
    """Who listens on a port (best effort: other users' processes may be hidden)."""
    try:
        for conn in psutil.net_connections(kind="inet"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                if conn.pid:
                    try:
                        p = psutil.Process(conn.pid)
                        return f"pid {conn.pid} ({' '.join(p.cmdline()[:3])})"
                    except psutil.Error:
                        return f"pid {conn.pid}"
                return "another process"
    except psutil.Error:
        pass
    return "another process" if port_open(port) else None


def tail(path: Path, lines: int = 30) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def stop_all(handles: list[ProcessHandle], timeout: float = 20.0) -> None:
    """Stop several processes at once: all are asked first, then each is waited for (one
    slow leaver no longer delays the others' shutdown)."""
    for h in handles:
        h.terminate()
    deadline = time.monotonic() + timeout
    for h in handles:
        h.stop(max(0.1, deadline - time.monotonic()))
