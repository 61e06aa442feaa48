"""Benchmark: what each consumer process costs, idle and through a run of bookings and cancels.

Why: the seed's one `inventario` consumer, which read two topics, is split in the lab into
`inventario` (boletia.inventario) and `reembolsos` (boletia.reservas). The split's price is one
more Python process; this prints it beside the others: resident memory, CPU idle, and CPU from
the first request of a closed-loop run (customers booking and cancelling, as the chaos scenarios
load the lab) until the pipeline drained, per message each consumer read. Asserts nothing (the
machine is shared and noisy); compare rows of one run only.

Usage: python benchmarks/consumer_cost.py [--customers 8] [--operations 40] [--idle 10]
       (a running local lab)
"""

from __future__ import annotations

import argparse
import time

import psutil
from cpu_share import cpu_seconds as cpu  # run as a script: benchmarks/ is on the path

from boletia.adapters import mongo
from boletia.lab.components import CONSUMER_TOPICS, CONSUMERS
from boletia.lab.experiments import drain, load
from boletia.lab.notebook.client import Boletia
from boletia.lab.runtimes.factory import get_runtime


def ends(bootstrap: str) -> dict[str, int]:
    """Messages written so far on each consumer's topics (what each will have read once drained)."""
    from kafka import TopicPartition
    from kafka.admin import OffsetSpec

    from boletia.adapters import kafka

    a = kafka.admin(bootstrap)
    try:
        topics = sorted({t for ts in CONSUMER_TOPICS.values() for t in ts})
        parts = {TopicPartition(t["name"], p["partition_index"]): OffsetSpec.LATEST
                 for t in a.describe_topics(topics) for p in t["partitions"]}
        per_topic: dict[str, int] = {}
        for tp, found in a.list_partition_offsets(parts).items():
            per_topic[tp.topic] = per_topic.get(tp.topic, 0) + found.offset
    finally:
        a.close()
    return {c: sum(per_topic[t] for t in CONSUMER_TOPICS[c]) for c in CONSUMERS}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=8)
    parser.add_argument("--operations", type=int, default=40)
    parser.add_argument("--idle", type=float, default=10)
    args = parser.parse_args()
    rt = get_runtime("local")
    procs = {s.name: psutil.Process(s.pid) for s in rt.status() if s.name in CONSUMERS and s.pid}
    api = Boletia(token=rt.admin_token(), settings=rt.settings, timeout=10)
    with mongo.connect(rt.settings) as client:
        db = mongo.database(client)
        design = rt.design()
        drain.drain(db, rt.settings, design)
        before = cpu(procs)
        time.sleep(args.idle)
        idle = {n: (c - before[n]) / args.idle for n, c in cpu(procs).items()}
        read_before, before, begun = ends(rt.settings.kafka_bootstrap), cpu(procs), time.monotonic()
        record = load.run(api, seed=3, events=3, customers=args.customers, operations=args.operations,
                          capacity=10**6, cancel_ratio=0.35)
        left = drain.drain(db, rt.settings, design, timeout=300)
        window = time.monotonic() - begun
        used = {n: c - before[n] for n, c in cpu(procs).items()}
        read = {c: n - read_before[c] for c, n in ends(rt.settings.kafka_bootstrap).items()}
        load.cancel_events(api, record)
        drain.drain(db, rt.settings, design, timeout=300)
    cancels = sum(o.op == "cancel" and o.status == 200 for o in record.ops)
    print(f"{design} design; {args.customers} customers x {args.operations} requests "
          f"({len(record.bookings)} bookings, {cancels} cancels answered 200), drained: {left['drained']}, "
          f"window {window:.1f} s (requests, then the drain)")
    print(f"  {'consumer':15s} {'RSS MB':>7s} {'idle cores':>10s} {'CPU s':>7s} {'messages':>8s} "
          f"{'ms a message':>12s}")
    for name in CONSUMERS:
        rss = procs[name].memory_info().rss / 2**20
        per = 1000 * used[name] / read[name] if read[name] else float("nan")
        print(f"  {name:15s} {rss:7.0f} {idle[name]:10.3f} {used[name]:7.2f} {read[name]:8d} {per:12.2f}")


if __name__ == "__main__":
    main()
