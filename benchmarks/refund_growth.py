"""Does anything grow with the number of refunds? The inventory document, the change event the
source connector publishes for each booking, and the booking's own write, measured after
0 .. N book-and-cancel pairs on ONE event, for the fixed design's refunds (one document per
reservation, in a transaction) and for the earlier design (an ever-growing `reembolsos`
array on the event, which passed Kafka's 1 MB message limit near 27,000 refunds).

It writes what the API (the booking) and the `reembolsos` consumer (the refund; the seed's
`inventario` consumer did it, until the lab split it one consumer per topic) write, straight into
a scratch database (`boletia_bench`, which no connector watches), on the lab's MongoDB; a change
stream with `updateLookup` reads each checkpoint's booking event as the source connector would.

    boletia lab up && .venv/bin/python benchmarks/refund_growth.py --pairs 100000
"""

from __future__ import annotations

import argparse
import statistics
import time

from bson import BSON, ObjectId

from boletia import config, designs
from boletia.adapters import mongo
from boletia.domain import model

MB = 1024 * 1024


def book(db, nombre: str) -> ObjectId:
    rid = ObjectId()
    req = model.NewBooking(evento=nombre, cantidad=1, email="bench@boletia.example")
    mongo.apply(db, designs.get("fixed").book(req, rid))
    return rid


def refund_fixed(db, nombre: str, rid: ObjectId) -> None:
    (write,) = designs.get("fixed").refund({"_id": rid, "evento": nombre, "estado": "X",
                                            "cantidad": 1})
    mongo.apply(db, write)


def refund_array(db, nombre: str, rid: ObjectId) -> None:
    """The earlier fixed design: the refunded ids accumulate on the event itself."""
    db.inventario.find_one_and_update(
        {"nombre": nombre, "estado": "A", "reembolsos": {"$ne": rid}},
        {"$inc": {"vendidos": -1}, "$addToSet": {"reembolsos": rid}})


def measure(db, nombre: str) -> dict:
    """One booking's write time (median of 20) and the size of its change event."""
    times = []
    with db.watch([{"$match": {"ns.coll": "inventario", "operationType": "update"}}],
                  full_document="updateLookup") as stream:
        for _ in range(20):
            t = time.perf_counter()
            book(db, nombre)
            times.append(time.perf_counter() - t)
        change = stream.next()
    doc = db.inventario.find_one({"nombre": nombre})
    return {"booking_ms": round(statistics.median(times) * 1000, 2),
            "event_bytes": len(BSON.encode(change)), "document_bytes": len(BSON.encode(doc))}


def run(db, design: str, pairs: int, checkpoints: list[int]) -> list[dict]:
    nombre = f"bench {design} {ObjectId()}"
    db.inventario.insert_one({"nombre": nombre, "capacidad": model.MAX_CAPACITY * 10,
                              "estado": "A", "vendidos": 0})
    refund = refund_fixed if design == "fixed" else refund_array
    rows, done, begun = [], 0, time.monotonic()
    for target in checkpoints:
        while done < target:
            rid = book(db, nombre)
            try:
                refund(db, nombre, rid)
            except Exception as exc:  # noqa: BLE001 - the array design meets the 16 MB limit
                rows.append({"design": design, "pairs": done,
                             "error": f"{type(exc).__name__}: {exc}"[:120]})
                return rows
            done += 1
        row = {"design": design, "pairs": done, **measure(db, nombre),
               "elapsed_s": round(time.monotonic() - begun)}
        rows.append(row)
        too_big = "  > 1 MB: Kafka refuses it" if row["event_bytes"] > MB else ""
        print(f"{design:6s} {done:7d} pairs: booking {row['booking_ms']:6.2f} ms, change event "
              f"{row['event_bytes'] / 1024:8.1f} KiB{too_big}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--designs", default="fixed,array")
    args = parser.parse_args()
    checkpoints = sorted({0, 1000, 10_000, 30_000, args.pairs} & set(range(args.pairs + 1)))
    with mongo.connect(config.settings()) as c:
        db = c["boletia_bench"]
        c.drop_database(db.name)
        db.create_collection(mongo.REFUNDS)
        try:
            for design in args.designs.split(","):
                run(db, design, args.pairs, checkpoints)
        finally:
            c.drop_database(db.name)


if __name__ == "__main__":
    main()
