"""Benchmark: after a killed Connect worker, how long until the sink writes again.

A killed worker's sink consumer stays in group connect-mongo-sink until its session times
out; the new worker's sink joins the group and writes nothing until the dead member is gone.
Each run: kill Connect, insert an event into `eventos`, start Connect, and time until the
source has published it and until the sink's copy is in `inventario`. Needs a running lab
(`boletia lab up`); prints figures and asserts nothing (the machine is shared and noisy).

Usage: python benchmarks/connect_kill.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

from boletia.adapters import mongo
from boletia.lab.notebook import observe
from boletia.lab.runtimes.local import LocalRuntime


def one_run(rt: LocalRuntime, db) -> tuple[float, float, float]:
    """Seconds from the kill until Connect answers, the source published, the sink wrote."""
    start = time.perf_counter()
    rt.kill("connect")
    event_id = db.eventos.insert_one({"nombre": f"Bench {uuid.uuid4().hex[:8]}", "capacidad": 5,
                                      "categoria": "Bench", "estado": "A"}).inserted_id
    rt.start("connect")
    up = time.perf_counter() - start
    if observe.find_message("boletia.eventos", lambda d: d.get("_id") == event_id, 120) is None:
        raise SystemExit("the source did not publish the event in 120 s: see `boletia lab logs connect`")
    published = time.perf_counter() - start
    deadline = time.monotonic() + 180
    while not db.inventario.find_one({"_id": event_id}):
        if time.monotonic() > deadline:
            raise SystemExit("the sink did not write the event in 180 s: see `boletia lab logs connect`")
        time.sleep(0.2)
    written = time.perf_counter() - start
    db.eventos.update_one({"_id": event_id}, {"$set": {"estado": "X"}})  # cancelled, as organisers do
    return up, published, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    rt = LocalRuntime()
    if any(s.state != "running" for s in rt.status()):
        raise SystemExit("bring the lab up first (boletia lab up): this benchmark kills its Connect")
    db = mongo.database(mongo.connect(rt.settings))
    rows = []
    for i in range(args.runs):
        rows.append(one_run(rt, db))
        print(f"run {i + 1}: Connect answers {rows[-1][0]:.1f} s, source published "
              f"{rows[-1][1]:.1f} s, sink wrote {rows[-1][2]:.1f} s after the kill", flush=True)
    names = ("Connect answers", "source published", "sink wrote")
    for name, column in zip(names, zip(*rows, strict=True), strict=True):
        print(f"{name}: median {statistics.median(column):.1f} s "
              f"({', '.join(f'{v:.1f}' for v in column)})")


if __name__ == "__main__":
    main()
