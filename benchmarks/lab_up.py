"""Benchmark: how long `boletia lab up` takes, cold and warm, and what each component costs
in resident memory. Prints figures; asserts nothing (the machine is shared and noisy).

cold = empty lab directory (first start: storage formatted, topics and connectors created),
       jars already in Maven's cache;
warm = the lab directory kept from a previous run, processes stopped.

Usage: python benchmarks/lab_up.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from boletia import config
from boletia.lab.runtimes.local import LocalRuntime
from boletia.lab.setup import jars


def rss_mb(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs) / 2**20
    except psutil.Error:
        return 0.0


def timed_up(rt: LocalRuntime) -> float:
    start = time.perf_counter()
    rt.up()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    jars.ensure_jars()
    running = LocalRuntime()
    if any(s.state != "stopped" for s in running.status()):
        raise SystemExit("stop the lab first (boletia lab down): the benchmark needs its ports")

    cold, warm, memory = [], [], {}
    with tempfile.TemporaryDirectory(prefix="boletia-bench-") as tmp:
        for i in range(args.runs):
            rt = LocalRuntime(config.Settings(lab_dir=Path(tmp) / f"cold-{i}"))
            cold.append(timed_up(rt))
            if i == 0:
                time.sleep(10)  # let the JVMs settle before reading their memory
                memory = {s.name: rss_mb(s.pid) for s in rt.status()}
            rt.down()
            warm.append(timed_up(rt))
            rt.down(purge=True)

    print(f"boletia lab up, {args.runs} runs each, jars cached (seconds)")
    print(f"  cold: median {statistics.median(cold):6.1f}   runs {', '.join(f'{t:.1f}' for t in cold)}")
    print(f"  warm: median {statistics.median(warm):6.1f}   runs {', '.join(f'{t:.1f}' for t in warm)}")
    print("resident memory after start-up (MiB, process and its children)")
    for name, mb in memory.items():
        print(f"  {name:10s} {mb:7.0f}")
    print(f"  {'total':10s} {sum(memory.values()):7.0f}")
    print("versions:", jars.versions())


if __name__ == "__main__":
    main()
