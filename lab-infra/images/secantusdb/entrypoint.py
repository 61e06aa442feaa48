#!/usr/bin/env python
"""Start SecantusDB with authentication, provisioning its root user first.

SecantusDB provisions users the way mongod's localhost exception does: a client connects once
without --auth and runs createUser. So, when SECANTUS_ROOT_PASSWORD is set and the data
directory does not yet hold that password's user, the server is started on loopback without
authentication, the root user is created (or its password updated), the server stops, and then
it serves on every interface with --auth. A hash of the provisioned password is kept in the
data directory, so later starts go straight to --auth. Without a password it serves without
authentication (and says so).

`secantus-entrypoint --ping` is the container's health check. Further arguments are passed
to secantusd-py.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(os.environ.get("SECANTUS_DATA", "/data/db"))
PORT = os.environ.get("SECANTUS_PORT", "27017")
USER = os.environ.get("SECANTUS_ROOT_USERNAME", "root")
MARK = DATA / ".boletia-root-user"
# As the local runtime runs it (boletia/lab/runtimes/local/commands.py): fail points for the
# fault lessons, a heartbeat that keeps idle change streams resumable, fsync on commit.
SERVE = ["--enable-test-commands", "--noop-heartbeat-seconds", "10", "--sync-on-commit",
         "--cache-size", "256M", "--log-level", "WARNING"]


def log(msg: str) -> None:
    print(f"secantus-entrypoint: {msg}", flush=True)


def ping(port: str, timeout_ms: int = 2000) -> bool:
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    try:
        with MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true",
                         serverSelectionTimeoutMS=timeout_ms) as c:
            c.admin.command("hello")
        return True
    except PyMongoError:
        return False


def provision(password: str) -> None:
    """Create (or re-key) the root user on a server that listens on loopback only."""
    from pymongo import MongoClient

    port = "27099"
    server = subprocess.Popen([shutil.which("secantusd-py") or "secantusd-py", "--host", "127.0.0.1",
                               "--port", port, "--storage-path", str(DATA), "--log-level", "WARNING"])
    try:
        deadline = time.monotonic() + 60
        while not ping(port, 500):
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"secantus-entrypoint: SecantusDB did not start to provision {USER!r}")
            time.sleep(0.5)
        with MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true") as c:
            users = c.admin.command("usersInfo", USER).get("users", [])
            if users:
                c.admin.command("updateUser", USER, pwd=password)
                log(f"updated the password of user {USER!r}")
            else:
                c.admin.command("createUser", USER, pwd=password, roles=[{"role": "root", "db": "admin"}])
                log(f"created user {USER!r} (role root)")
    finally:
        server.terminate()
        server.wait(timeout=60)


def main(args: list[str]) -> None:
    if args[:1] == ["--ping"]:
        sys.exit(0 if ping(PORT) else 1)
    DATA.mkdir(parents=True, exist_ok=True)
    password = os.environ.pop("SECANTUS_ROOT_PASSWORD", "")
    cmd = [shutil.which("secantusd-py") or "secantusd-py", "--host", "0.0.0.0", "--port", PORT,
           "--storage-path", str(DATA), *SERVE]
    if password:
        digest = hashlib.sha256(f"{USER}:{password}".encode()).hexdigest()
        if not MARK.exists() or MARK.read_text().strip() != digest:
            provision(password)
            MARK.write_text(digest + "\n")
        cmd.append("--auth")
        log(f"serving on port {PORT} with authentication (user {USER!r})")
    else:
        log(f"serving on port {PORT} WITHOUT authentication (SECANTUS_ROOT_PASSWORD is not set)")
    os.execv(cmd[0], [*cmd, *args])


if __name__ == "__main__":
    main(sys.argv[1:])
