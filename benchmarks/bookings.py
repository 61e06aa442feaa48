"""Benchmark: bookings per second end to end, and the store's raw ceiling, in one run.

End to end = from the start of POST /reservas until the reservation document exists (the
`inventario` consumer wrote it). Arrival is timestamped by a change stream on `reservas`,
not by polling. The ceiling: raw findAndModify (the booking's write) and insert (the
consumer's write) rates against the same MongoDB, from the same number of threads.
Prints figures; asserts nothing. Needs a running lab (`boletia lab up`).

Usage: python benchmarks/bookings.py [--bookings 400] [--threads 8]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from bson import ObjectId
from pymongo import ReturnDocument

from boletia.adapters import mongo
from boletia.lab.notebook.client import Boletia
from boletia.lab.runtimes.local import LocalRuntime


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def raw_rates(db, ops: int, threads: int) -> dict[str, float]:
    scratch = db[f"bench_{uuid.uuid4().hex[:6]}"]
    scratch.insert_one({"_id": "event", "capacidad": 10**9, "vendidos": 0, "estado": "A"})

    def fam(_):
        scratch.find_one_and_update(
            {"_id": "event", "estado": "A",
             "$expr": {"$lte": [{"$add": ["$vendidos", 1]}, "$capacidad"]}},
            {"$inc": {"vendidos": 1}, "$set": {"reserva": {"id": ObjectId(), "cantidad": 1}}},
            return_document=ReturnDocument.AFTER)

    def ins(_):
        scratch.insert_one({"_id": ObjectId(), "evento": "bench", "estado": "A", "cantidad": 1})

    out = {}
    for name, fn in (("findAndModify", fam), ("insert", ins)):
        start = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(fn, range(ops)))
        out[name] = ops / (time.perf_counter() - start)
    scratch.drop()
    return out


def end_to_end(api: Boletia, db, bookings: int, threads: int) -> dict:
    nombre = f"Bench {uuid.uuid4().hex[:6]}"
    api.create_event(nombre, 10**6, "Bench")
    api.wait_available(nombre, 10**6, timeout=60)
    arrived: dict[str, float] = {}
    ready = threading.Event()
    stop = threading.Event()

    def watch():
        with db.reservas.watch([{"$match": {"operationType": "insert"}}],
                               max_await_time_ms=200) as stream:
            ready.set()
            while not stop.is_set():
                change = stream.try_next()
                if change:
                    arrived[str(change["documentKey"]["_id"])] = time.perf_counter()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    ready.wait(10)
    sent: dict[str, float] = {}
    http_ms: list[float] = []
    lock = threading.Lock()

    def book(i):
        t0 = time.perf_counter()
        answer = api.book(nombre, 1, f"bench{i}@example.com")
        t1 = time.perf_counter()
        if answer.ok:
            with lock:
                sent[answer.body["Id"]] = t0
                http_ms.append(1000 * (t1 - t0))

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(book, range(bookings)))
    deadline = time.monotonic() + 120
    while len(set(sent) & set(arrived)) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    watcher.join()
    done = [i for i in sent if i in arrived]
    delays = [1000 * (arrived[i] - sent[i]) for i in done]
    span = max(arrived[i] for i in done) - start
    api.cancel_event(nombre)
    return {"ok": len(sent), "recorded": len(done), "per_s": len(done) / span,
            "p50": statistics.median(delays), "p99": pct(delays, 0.99),
            "http_p50": statistics.median(http_ms), "http_p99": pct(http_ms, 0.99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bookings", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    rt = LocalRuntime()
    if any(s.state != "running" for s in rt.status()):
        raise SystemExit("the lab is not running: `boletia lab up` first")
    api = Boletia(token=rt.admin_token())
    with mongo.connect(rt.settings) as c:
        db = mongo.database(c)
        ceiling = raw_rates(db, args.bookings, args.threads)
        e2e = end_to_end(api, db, args.bookings, args.threads)
    print(f"design {rt.design()}, {args.bookings} bookings from {args.threads} threads")
    print(f"  end to end: {e2e['per_s']:.0f} bookings/s  ({e2e['recorded']}/{e2e['ok']} recorded)")
    print(f"  POST -> reservation document: p50 {e2e['p50']:.0f} ms, p99 {e2e['p99']:.0f} ms")
    print(f"  POST answer alone:            p50 {e2e['http_p50']:.0f} ms, p99 {e2e['http_p99']:.0f} ms")
    print(f"  store ceiling: findAndModify {ceiling['findAndModify']:.0f}/s, "
          f"insert {ceiling['insert']:.0f}/s")
    print(f"  end to end / findAndModify ceiling: {e2e['per_s'] / ceiling['findAndModify']:.2f}")


if __name__ == "__main__":
    main()
