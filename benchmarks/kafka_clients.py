"""Benchmark: kafka-python (the lab's Kafka client) against confluent-kafka (librdkafka), on the
running lab's three brokers, where the lab uses a client:

- produce: N messages of 600 bytes (a change event's size) with acks=all, on a topic like the
  lab's (3 partitions, RF 3, min.insync.replicas 2), then flush;
- consume: the consumers' loop (`boletia/adapters/kafka.py`): poll a batch of up to 500, one
  synchronous commit a poll, from the start of that topic, in a fresh group; the time runs
  from the first records (the group's join is left out) and each commit is timed;
- latency: one message every 1/RATE s for SECONDS, a consumer of the same client reading it
  (fetch wait 100 ms, as the lab's consumers): produce -> consumed, p50 and p99;

and the CPU time each phase took in this process (the machine has two cores, shared with
the whole lab). confluent-kafka is not a dependency of the lab: `pip install
confluent-kafka` in the environment first. Asserts nothing (a shared machine is noisy):
run it more than once.

Usage: python benchmarks/kafka_clients.py [--messages 20000] [--rate 100] [--seconds 10]
       [--runs 2]   (a running local lab)
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic

from boletia import config
from boletia.adapters.kafka import security

PAYLOAD = b"x" * 600
BATCH = 500
FETCH_WAIT_MS = 100


class Clock:
    """Wall and CPU time of this process over a phase."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


# ---------------------------------------------------------------- kafka-python
def kp_produce(bootstrap: str, topic: str, n: int) -> Clock:
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, **security())
    with Clock() as c:
        for i in range(n):
            p.send(topic, PAYLOAD, key=str(i).encode())
        p.flush()
    p.close()
    return c


def kp_consume(bootstrap: str, topic: str, n: int) -> tuple[Clock, list[float]]:
    cons = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"bench-{uuid.uuid4().hex[:8]}",
                         auto_offset_reset="earliest", enable_auto_commit=False,
                         max_poll_records=BATCH, fetch_max_wait_ms=FETCH_WAIT_MS, **security())
    got, commits, clock = 0, [], None
    while got < n:
        batch = cons.poll(timeout_ms=1000)
        k = sum(len(v) for v in batch.values())
        if not k:
            continue
        if clock is None:
            clock = Clock().__enter__()
        got += k
        started = time.perf_counter()
        cons.commit()
        commits.append(time.perf_counter() - started)
    clock.__exit__()
    cons.close()
    return clock, commits


def kp_latency(bootstrap: str, topic: str, rate: float, seconds: float) -> tuple[Clock, list[float]]:
    cons = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"bench-{uuid.uuid4().hex[:8]}",
                         auto_offset_reset="latest", enable_auto_commit=False,
                         fetch_max_wait_ms=FETCH_WAIT_MS, **security())
    while not cons.assignment():
        cons.poll(timeout_ms=200)
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0, **security())

    def read(rec):
        return time.time() - float(rec.value.decode())

    return _ping(lambda: p.send(topic, str(time.time()).encode()),
                 lambda: [read(r) for rs in cons.poll(timeout_ms=200).values() for r in rs],
                 rate, seconds, lambda: (p.close(), cons.close()))


# ---------------------------------------------------------------- confluent-kafka
def ck_produce(bootstrap: str, topic: str, n: int) -> Clock:
    import confluent_kafka

    p = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    with Clock() as c:
        for i in range(n):
            while True:
                try:
                    p.produce(topic, PAYLOAD, key=str(i).encode())
                    break
                except BufferError:
                    p.poll(0.01)
            p.poll(0)
        p.flush()
    return c


def ck_consume(bootstrap: str, topic: str, n: int) -> tuple[Clock, list[float]]:
    import confluent_kafka

    cons = confluent_kafka.Consumer({"bootstrap.servers": bootstrap,
                                     "group.id": f"bench-{uuid.uuid4().hex[:8]}",
                                     "auto.offset.reset": "earliest", "enable.auto.commit": False,
                                     "fetch.wait.max.ms": FETCH_WAIT_MS})
    cons.subscribe([topic])
    got, commits, clock = 0, [], None
    while got < n:
        batch = [m for m in cons.consume(num_messages=BATCH, timeout=1.0) if not m.error()]
        if not batch:
            continue
        if clock is None:
            clock = Clock().__enter__()
        got += len(batch)
        started = time.perf_counter()
        cons.commit(asynchronous=False)
        commits.append(time.perf_counter() - started)
    clock.__exit__()
    cons.close()
    return clock, commits


def ck_latency(bootstrap: str, topic: str, rate: float, seconds: float) -> tuple[Clock, list[float]]:
    import confluent_kafka

    cons = confluent_kafka.Consumer({"bootstrap.servers": bootstrap,
                                     "group.id": f"bench-{uuid.uuid4().hex[:8]}",
                                     "auto.offset.reset": "latest", "enable.auto.commit": False,
                                     "fetch.wait.max.ms": FETCH_WAIT_MS})
    assigned = threading.Event()
    cons.subscribe([topic], on_assign=lambda c, parts: assigned.set())
    while not assigned.is_set():
        cons.poll(0.2)
    time.sleep(1)  # the assignment's positions are looked up after on_assign
    p = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0})

    def send():
        p.produce(topic, str(time.time()).encode())
        p.poll(0)

    def receive():
        m = cons.poll(0.2)  # one message: consume(100, 0.2) would hold a batch for 0.2 s
        return [time.time() - float(m.value().decode())] if m is not None and not m.error() else []

    return _ping(send, receive, rate, seconds, lambda: (p.flush(), cons.close()))


# ---------------------------------------------------------------- shared
def _ping(send, receive, rate: float, seconds: float, close) -> tuple[Clock, list[float]]:
    """Send one message every 1/rate s from a thread; read them here; the latencies."""
    n = int(rate * seconds)
    latencies: list[float] = []

    def sender():
        start = time.perf_counter()
        for i in range(n):
            time.sleep(max(0.0, start + i / rate - time.perf_counter()))
            send()

    with Clock() as c:
        t = threading.Thread(target=sender)
        t.start()
        deadline = time.monotonic() + seconds + 15
        while len(latencies) < n and time.monotonic() < deadline:
            latencies.extend(receive())
        t.join()
    close()
    return c, latencies


def _topic(bootstrap: str) -> str:
    name = f"bench.clients.{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, **security())
    admin.create_topics([NewTopic(name, 3, 3, topic_configs={"min.insync.replicas": "2"})])
    admin.close()
    time.sleep(2)
    return name


def _drop(bootstrap: str, topics: list[str]) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, **security())
    admin.delete_topics(topics)
    admin.close()


def _ms(values: list[float], q: float) -> str:
    if not values:
        return "-"
    values = sorted(values)
    return f"{values[min(len(values) - 1, int(q * len(values)))] * 1000:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--rate", type=float, default=100)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    bootstrap = config.settings().kafka_bootstrap
    clients = {"kafka-python": (kp_produce, kp_consume, kp_latency),
               "confluent-kafka": (ck_produce, ck_consume, ck_latency)}
    made = []
    try:
        for run in range(1, args.runs + 1):
            for name, (produce, consume, latency) in clients.items():  # alternated, run by run
                topic = _topic(bootstrap)
                made.append(topic)
                n = args.messages
                p = produce(bootstrap, topic, n)
                c, commits = consume(bootstrap, topic, n)
                ping = _topic(bootstrap)
                made.append(ping)
                lc, lat = latency(bootstrap, ping, args.rate, args.seconds)
                print(f"run {run} {name:15s} produce {n / p.wall:7.0f} msg/s "
                      f"({p.cpu / n * 1e6:4.0f} µs CPU/msg)"
                      f" | consume+commit {n / c.wall:7.0f} msg/s ({c.cpu / n * 1e6:4.0f} µs CPU/msg),"
                      f" commit p50 {_ms(commits, 0.5)} ms p99 {_ms(commits, 0.99)} ms"
                      f" | {args.rate:.0f}/s produce->consume p50 {_ms(lat, 0.5)} ms"
                      f" p99 {_ms(lat, 0.99)} ms ({len(lat)}/{int(args.rate * args.seconds)};"
                      f" {lc.cpu / max(1, len(lat)) * 1e6:.0f} µs CPU/msg)", flush=True)
    finally:
        if made:
            _drop(bootstrap, made)


if __name__ == "__main__":
    main()
