"""What MongoDB users cost the lab: SecantusDB's start when its entrypoint provisions the lab's
users (a lab's first start), when they are already there (every later start) and without users;
and what a new client pays for its first operation with a SCRAM login and without (a pooled
client pays it once per connection).

It runs its own scratch servers, through the entrypoint the lab uses
(lab-infra/images/secantusdb/entrypoint.py), in temporary directories on free loopback ports:
no lab needs to be up.

    .venv/bin/python benchmarks/mongo_login.py [--clients 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from boletia import resources
from boletia.lab.runtimes.local.commands import free_port
from boletia.lab.setup import credentials

ENTRYPOINT = resources.infra_dir() / "images" / "secantusdb" / "entrypoint.py"


def _uri(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?directConnection=true"


def serve(data: Path, port: int, users: dict | None) -> tuple[subprocess.Popen, float]:
    """The server, and the seconds until it answers `hello` on its port."""
    env = {**os.environ, "SECANTUS_DATA": str(data), "SECANTUS_PORT": str(port),
           "SECANTUS_HOST": "127.0.0.1", "SECANTUS_PROVISION_PORT": str(free_port("127.0.0.1"))}
    if users:
        env["SECANTUS_USERS"] = json.dumps(users)
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, str(ENTRYPOINT)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            with MongoClient(_uri(port), serverSelectionTimeoutMS=200) as c:
                c.admin.command("hello")
            return proc, time.monotonic() - started
        except PyMongoError:
            if proc.poll() is not None:
                sys.exit(f"SecantusDB exited with {proc.returncode} on port {port}")
            time.sleep(0.05)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=60)


def first_operation_ms(port: int, clients: int, **login) -> float:
    """Median over `clients` new clients of: connect (and log in), then read one document."""
    times = []
    for _ in range(clients):
        began = time.perf_counter()
        with MongoClient(_uri(port), **login) as c:
            c.boletia.eventos.find_one()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=30)
    args = parser.parse_args()
    creds = credentials.generate()
    users = credentials.mongo_users(creds)
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port("127.0.0.1")
        proc, first = serve(Path(tmp) / "users", port, users)
        stop(proc)
        proc, later = serve(Path(tmp) / "users", port, users)
        login = first_operation_ms(port, args.clients, username="eventos",
                                   password=creds["mongo"]["eventos"], authSource="admin")
        stop(proc)
        proc, plain = serve(Path(tmp) / "plain", port, None)
        without = first_operation_ms(port, args.clients)
        stop(proc)
    print(f"SecantusDB start: {first:.1f} s the first time (provisions {len(users)} users), "
          f"{later:.1f} s after (users there), {plain:.1f} s without users")
    print(f"a new client's first read: {login:.1f} ms with a SCRAM login, {without:.1f} ms without "
          f"(medians of {args.clients}; ratio {login / without:.1f})")


if __name__ == "__main__":
    main()
