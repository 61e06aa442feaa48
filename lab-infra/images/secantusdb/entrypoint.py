#!/usr/bin/env python
"""Start SecantusDB with authentication, provisioning its users first.

SecantusDB provisions users the way mongod's localhost exception does: a client connects once
without --auth and runs createUser. So, when SECANTUS_USERS is set (JSON: {user: {"pwd": ...,
"roles": [{"role": ..., "db": ...}, ...]}}) and the data directory does not yet hold these
users as given, the server is started on loopback without authentication (on
SECANTUS_PROVISION_PORT, nobody's usual port), each user is created (or its password and roles
updated), the server stops, and then it serves with --auth. A hash of what was provisioned is
kept in the data directory (0600), so later starts go straight to --auth. Without users it
serves without authentication (and says so).

The docker lab's image runs it (as `secantus-entrypoint`), and so does the local runtime: one
way to start the lab's MongoDB. `secantus-entrypoint --ping` is the container's health check.
Further arguments are passed to secantusd-py. Secrets come from the environment only, which
this process clears of them before it becomes the server.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(os.environ.get("SECANTUS_DATA", "/data/db"))
PORT = os.environ.get("SECANTUS_PORT", "27017")
HOST = os.environ.get("SECANTUS_HOST", "0.0.0.0")
PROVISION_PORT = os.environ.get("SECANTUS_PROVISION_PORT", "27099")
MARK = DATA / ".boletia-users"
# How the lab runs it, on every runtime: fail points for the fault lessons (with --auth, for the
# root user only), a heartbeat that keeps idle change streams resumable, fsync on commit (without
# it a killed server loses writes it had acknowledged: the mongo-restart scenario lost bookings).
SERVE = ["--enable-test-commands", "--noop-heartbeat-seconds", "10", "--sync-on-commit",
         "--cache-size", "256M", "--log-level", "WARNING"]


def log(msg: str) -> None:
    print(f"secantus-entrypoint: {msg}", flush=True)


def server() -> str:
    """secantusd-py: on PATH in the image, next to this Python in a virtual environment."""
    beside = Path(sys.executable).parent / "secantusd-py"
    return str(beside) if beside.exists() else shutil.which("secantusd-py") or "secantusd-py"


def users_from(text: str) -> dict[str, dict]:
    """SECANTUS_USERS, checked: each user a password and at least one role on a database."""
    try:
        users = json.loads(text)
    except ValueError:
        users = None

    def fine(spec) -> bool:
        return (isinstance(spec, dict) and isinstance(spec.get("pwd"), str) and bool(spec["pwd"])
                and isinstance(spec.get("roles"), list) and bool(spec["roles"])
                and all(isinstance(r, dict) and {"role", "db"} <= set(r) for r in spec["roles"]))

    if not isinstance(users, dict) or not users or not all(map(fine, users.values())):
        sys.exit('secantus-entrypoint: SECANTUS_USERS is not {user: {"pwd": ..., "roles": '
                 '[{"role": ..., "db": ...}]}} (the lab writes it: boletia lab up)')
    return users


def ping(port: str, timeout_ms: int = 2000, host: str = "127.0.0.1") -> bool:
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    try:
        with MongoClient(f"mongodb://{host}:{port}/?directConnection=true",
                         serverSelectionTimeoutMS=timeout_ms) as c:
            c.admin.command("hello")
        return True
    except PyMongoError:
        return False


def provision(users: dict[str, dict]) -> None:
    """Create (or re-key) each user on a server that listens on loopback only."""
    from pymongo import MongoClient

    port = PROVISION_PORT
    proc = subprocess.Popen([server(), "--host", "127.0.0.1", "--port", port,
                             "--storage-path", str(DATA), "--log-level", "WARNING"])
    try:
        deadline = time.monotonic() + 60
        while not ping(port, 500):
            if proc.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"secantus-entrypoint: SecantusDB did not start on port {port} to "
                         f"provision its users (is that port taken? SECANTUS_PROVISION_PORT)")
            time.sleep(0.5)
        with MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true") as c:
            for user, spec in users.items():
                roles = ", ".join(f"{r['role']}@{r['db']}" for r in spec["roles"])
                if c.admin.command("usersInfo", user).get("users"):
                    c.admin.command("updateUser", user, pwd=spec["pwd"], roles=spec["roles"])
                    log(f"updated user {user!r} ({roles})")
                else:
                    c.admin.command("createUser", user, pwd=spec["pwd"], roles=spec["roles"])
                    log(f"created user {user!r} ({roles})")
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main(args: list[str]) -> None:
    if args[:1] == ["--ping"]:
        sys.exit(0 if ping(PORT) else 1)
    DATA.mkdir(parents=True, exist_ok=True)
    given = os.environ.pop("SECANTUS_USERS", "")
    cmd = [server(), "--host", HOST, "--port", PORT, "--storage-path", str(DATA), *SERVE]
    if given:
        users = users_from(given)
        digest = hashlib.sha256(json.dumps(users, sort_keys=True).encode()).hexdigest()
        if not MARK.exists() or MARK.read_text().strip() != digest:
            provision(users)
            MARK.unlink(missing_ok=True)  # made again owner-only, in one step
            fd = os.open(MARK, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as mark:
                mark.write(digest + "\n")
        cmd.append("--auth")
        log(f"serving on {HOST}:{PORT} with authentication ({len(users)} users)")
    else:
        log(f"serving on {HOST}:{PORT} WITHOUT authentication (SECANTUS_USERS is not set)")
    os.execv(cmd[0], [*cmd, *args])


if __name__ == "__main__":
    main(sys.argv[1:])
