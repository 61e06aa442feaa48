"""Benchmark: how long a consumer group stops when a member joins, leaves, or is killed, with
each partition assignor kafka-python offers (eager `range`, the default; `cooperative-sticky`,
KIP-429).

Each assignor gets a fresh topic of 6 partitions on the lab's brokers and a fresh group; a
producer sends a steady rate, one message to each partition in turn, stamped with its send
time. The members are the product's consumer loop (`AtLeastOnceConsumer`: static membership,
commit after the work), each a process of its own that logs every message it handles. Then:

1. scale-up:   member 2 starts while member 1 holds all 6 partitions;
2. scale-down: member 2 is stopped (SIGTERM) and taken out of the group, as `lab scale` does;
3. kill:       member 2 is started again, then SIGKILLed: a static member sends no LeaveGroup,
               so its partitions wait for its session timeout (10 s) before they move.

For each, from the members' logs: `group pause` is the longest time no member handled any
message (the stop-the-world of an eager rebalance), `worst partition` the longest time one
partition waited, `stopped` how many partitions waited longer than 1 s, `latest` the worst
send-to-handled delay of a message sent in the window, `again` how many messages were handled
twice (a redelivery after a move: the loop's work is idempotent). Needs a running lab (`boletia
lab up`: only its brokers are used); prints figures and asserts nothing (the machine is shared).

Usage: python benchmarks/rebalance.py [--assignors range,cooperative-sticky] [--rate 120]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from boletia import config
from boletia.adapters import kafka
from boletia.adapters.at_least_once import ASSIGNORS, WROTE, AtLeastOnceConsumer

PARTITIONS = 6
WINDOW_AFTER = 3.0  # seconds of steady work recorded after each group settles


def member(group: str, topic: str, instance: str, assignor: str, out: str) -> None:
    """One member: the product's loop, logging `handled-at partition offset sent-at`."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with open(out, "a", buffering=1) as log:
        def handle(record):
            log.write(f"{time.time():.4f} {record.partition} {record.offset} {record.value.decode()}\n")
            return WROTE
        AtLeastOnceConsumer(group, [topic], handle, config.settings().kafka_bootstrap,
                            instance=instance, assignor=assignor,
                            log=lambda m: print(m, file=sys.stderr, flush=True)).run(stop)


class Run:
    """One assignor's topic, group, producer and members."""

    def __init__(self, bootstrap: str, assignor: str, rate: float, workdir: Path):
        stamp = int(time.time())
        self.bootstrap, self.assignor, self.rate = bootstrap, assignor, rate
        self.topic, self.group = f"bench.rebalance.{assignor}.{stamp}", f"bench-rebalance-{assignor}-{stamp}"
        self.workdir, self.procs, self.stop = workdir, {}, threading.Event()

    def out(self, k: int) -> Path:
        return self.workdir / f"{self.assignor}-member{k}.log"

    def create_topic(self) -> None:
        from kafka.admin import NewTopic

        a = kafka.admin(self.bootstrap)
        try:
            a.create_topics([NewTopic(self.topic, num_partitions=PARTITIONS, replication_factor=3,
                                      topic_configs={"min.insync.replicas": "2"})])
        finally:
            a.close()

    def delete_topic(self) -> None:
        a = kafka.admin(self.bootstrap)
        try:
            a.delete_topics([self.topic])
        finally:
            a.close()

    def produce(self) -> None:
        from kafka import KafkaProducer

        producer = KafkaProducer(bootstrap_servers=self.bootstrap.split(","), acks="all", linger_ms=0,
                                 **kafka.security())
        n, begun = 0, time.monotonic()
        while not self.stop.is_set():
            producer.send(self.topic, value=f"{time.time():.4f}".encode(), partition=n % PARTITIONS)
            n += 1
            ahead = begun + n / self.rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        producer.flush()
        producer.close()

    def start(self, k: int) -> None:
        err = open(self.workdir / f"{self.assignor}-member{k}.err", "a")  # noqa: SIM115 - the child's
        self.procs[k] = subprocess.Popen(
            [sys.executable, __file__, "member", self.group, self.topic, f"m{k}", self.assignor,
             str(self.out(k))], stdout=err, stderr=err)

    def members(self) -> list[dict]:
        try:
            return kafka.group_members(self.bootstrap, [self.group]).get(self.group, [])
        except Exception:  # noqa: BLE001 - coordinator moving: ask again
            return []

    def settle(self, n: int, timeout: float = 60.0) -> float:
        """Until the group is Stable with n members holding all partitions between them."""
        begun = time.monotonic()
        while time.monotonic() - begun < timeout:
            rows = self.members()
            held = sorted(p for r in rows for p in (r["partitions"] or []))
            if (len(rows) == n and all(r["group_state"] == "Stable" for r in rows)
                    and len(held) == PARTITIONS and all(r["partitions"] for r in rows)):
                return time.monotonic() - begun
            time.sleep(0.2)
        raise SystemExit(f"{self.group} did not settle on {n} members in {timeout:.0f}s; "
                         f"see the members' logs under {self.workdir}")

    def handled(self) -> list[tuple[float, int, int, float]]:
        rows = []
        for path in self.workdir.glob(f"{self.assignor}-member*.log"):
            for line in path.read_text().splitlines():
                parts = line.split()
                if len(parts) == 4:
                    rows.append((float(parts[0]), int(parts[1]), int(parts[2]), float(parts[3])))
        return sorted(rows)


def measure(rows: list[tuple[float, int, int, float]], start: float, end: float) -> dict:
    """The figures of one window [start, end] (epoch seconds) from every member's log."""
    inside = [r for r in rows if start <= r[0] <= end]
    times = [start, *(r[0] for r in inside), end]
    group_pause = max(b - a for a, b in zip(times, times[1:], strict=False))
    worst, stopped = 0.0, 0
    for p in range(PARTITIONS):
        ts = [start, *(r[0] for r in inside if r[1] == p), end]
        gap = max(b - a for a, b in zip(ts, ts[1:], strict=False))
        worst = max(worst, gap)
        stopped += gap > 1.0
    sent_inside = [r for r in rows if start <= r[3] <= end]
    first_seen: dict = {}
    for r in rows:
        first_seen.setdefault((r[1], r[2]), r)
    late = max((first_seen[(r[1], r[2])][0] - r[3] for r in sent_inside), default=0.0)
    seen: set = set()
    again = 0
    for r in inside:
        again += (r[1], r[2]) in seen
        seen.add((r[1], r[2]))
    return {"group pause": group_pause, "worst partition": worst, "stopped": stopped,
            "latest": late, "again": again}


def one_assignor(bootstrap: str, assignor: str, rate: float, workdir: Path) -> dict[str, dict]:
    run = Run(bootstrap, assignor, rate, workdir)
    run.create_topic()
    producer = threading.Thread(target=run.produce, daemon=True)
    producer.start()
    windows: dict[str, tuple[float, float]] = {}
    try:
        run.start(1)
        run.settle(1)
        time.sleep(WINDOW_AFTER)

        t = time.time()
        run.start(2)
        settled = run.settle(2)
        time.sleep(WINDOW_AFTER)
        windows["scale-up"] = (t, time.time())
        print(f"  {assignor}: scale-up settled {settled:.1f}s after member 2 started", flush=True)

        t = time.time()
        run.procs[2].send_signal(signal.SIGTERM)
        run.procs[2].wait(30)
        kafka.remove_static_members(bootstrap, run.group, [f"{run.group}-m2"])
        settled = run.settle(1)
        time.sleep(WINDOW_AFTER)
        windows["scale-down"] = (t, time.time())
        print(f"  {assignor}: scale-down settled {settled:.1f}s after SIGTERM", flush=True)

        run.start(2)
        run.settle(2)
        time.sleep(WINDOW_AFTER)
        t = time.time()
        run.procs[2].kill()
        run.procs[2].wait(30)
        settled = run.settle(1)
        time.sleep(WINDOW_AFTER)
        windows["member-kill"] = (t, time.time())
        print(f"  {assignor}: member-kill settled {settled:.1f}s after SIGKILL", flush=True)
    finally:
        run.stop.set()
        producer.join(10)
        time.sleep(2)  # the last messages handled
        for proc in run.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
        kafka.remove_static_members(bootstrap, run.group, [f"{run.group}-m1"])
        run.delete_topic()
    rows = run.handled()
    return {name: measure(rows, *window) for name, window in windows.items()}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "member":
        member(*sys.argv[2:7])
        return
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignors", default="range,cooperative-sticky",
                        help=f"comma-separated, of {', '.join(ASSIGNORS)}")
    parser.add_argument("--rate", type=float, default=120.0, help="messages a second")
    args = parser.parse_args()
    bootstrap = config.settings().kafka_bootstrap
    try:
        kafka.wait_for_brokers(bootstrap, 3, timeout=10)
    except Exception as exc:  # noqa: BLE001 - said plainly
        raise SystemExit(f"no lab brokers at {bootstrap} ({exc!r}): run `boletia lab up` first") from None
    workdir = Path(tempfile.mkdtemp(prefix="boletia-rebalance-"))
    print(f"{PARTITIONS} partitions, {args.rate:g} messages/s, members' logs in {workdir}", flush=True)
    results = {}
    for assignor in args.assignors.split(","):
        results[assignor] = one_assignor(bootstrap, assignor, args.rate, workdir)
    print(f"\n{'event':<12} {'assignor':<19} {'group pause':>11} {'worst partition':>15} "
          f"{'stopped':>7} {'latest':>7} {'again':>5}")
    for event in ("scale-up", "scale-down", "member-kill"):
        for assignor, figures in results.items():
            f = figures[event]
            print(f"{event:<12} {assignor:<19} {f['group pause']:>10.2f}s {f['worst partition']:>14.2f}s "
                  f"{f['stopped']:>7} {f['latest']:>6.2f}s {f['again']:>5}")
    print(f"(cpu: {os.getloadavg()[0]:.1f} load average over the last minute)")


if __name__ == "__main__":
    main()
