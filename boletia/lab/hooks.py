"""What the lab plugs into a consumer process: a readiness mark and faults armed from outside.

The product's consumer loop knows nothing of the lab: the product's entry point
(`boletia-service <consumer>`, boletia/product.py) imports the factory named by the setting
BOLETIA_CONSUMER_HOOKS, and every runtime sets it to `SPEC` (this module's `consumer_hooks`).
Files in the lab directory are the channel: the simplest one that works across processes,
survives the consumer's own crash, needs no port, and works inside a container the same way
(the container runtimes arm a fault with `boletia lab arm` run inside the consumer's
container). The runtime writes a fault file; the consumer reads it before each commit:

  <lab>/run/<consumer>.ready                    the pid of a consumer that has its partitions
  <lab>/faults/<consumer>.crash-before-commit   "N [topic]": exit abruptly after a message
                                                whose handler wrote something (to MongoDB or
                                                SES) and before its commit, N times
  <lab>/faults/<consumer>.delay                 seconds to sleep before each message
"""

from __future__ import annotations

import os
import time
from pathlib import Path

CRASH = "crash-before-commit"
DELAY = "delay"
FAULTS = (CRASH, DELAY)
CRASH_EXIT_CODE = 86
CRASH_FIRED = "fault fired after the write, before its commit"  # the consumer's last line
SPEC = "boletia.lab.hooks:consumer_hooks"  # what the runtimes set in BOLETIA_CONSUMER_HOOKS
# a consumer run as several members of its group: each marks its own readiness
# (`inventario-2.ready`); faults stay armed per consumer, for every member
MEMBER_ENV = "BOLETIA_LAB_MEMBER"


def fault_file(lab_dir: Path, consumer: str, fault: str) -> Path:
    return lab_dir / "faults" / f"{consumer}.{fault}"


def ready_file(lab_dir: Path, consumer: str) -> Path:
    return lab_dir / "run" / f"{consumer}.ready"


def arm(lab_dir: Path, consumer: str, fault: str, value: float, topic: str | None = None) -> Path:
    path = fault_file(lab_dir, consumer, fault)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{value} {topic}" if topic else str(value))
    return path


def disarm(lab_dir: Path, consumer: str, fault: str | None = None) -> None:
    for f in ([fault] if fault else FAULTS):
        fault_file(lab_dir, consumer, f).unlink(missing_ok=True)


def is_ready(lab_dir: Path, consumer: str, pid: int | None) -> bool:
    """The consumer process `pid` has been assigned its partitions."""
    path = ready_file(lab_dir, consumer)
    try:
        return pid is not None and path.read_text().strip() == str(pid)
    except OSError:
        return False


def clear_ready(lab_dir: Path, consumer: str) -> None:
    ready_file(lab_dir, consumer).unlink(missing_ok=True)


def _read(path: Path) -> tuple[float, str | None]:
    try:
        parts = path.read_text().split()
        return (float(parts[0]) if parts else 0.0), (parts[1] if len(parts) > 1 else None)
    except (OSError, ValueError):
        return 0.0, None


class ConsumerHooks:
    """Called by AtLeastOnceConsumer; does nothing unless a fault file is armed."""

    def __init__(self, consumer: str, lab_dir: Path, log=print, member: str | None = None):
        self.consumer, self.lab_dir, self.log = consumer, lab_dir, log
        self.member = member or consumer

    def polled(self, kafka_consumer) -> None:
        ready = ready_file(self.lab_dir, self.member)
        if kafka_consumer.assignment() and not ready.exists():
            ready.parent.mkdir(parents=True, exist_ok=True)
            ready.write_text(str(os.getpid()))

    def before_commit(self, record, wrote: bool) -> None:
        delay, _ = _read(fault_file(self.lab_dir, self.consumer, DELAY))
        if delay > 0:
            time.sleep(delay)
        if not wrote:
            return
        crash = fault_file(self.lab_dir, self.consumer, CRASH)
        left, topic = _read(crash)
        if left >= 1 and topic in (None, record.topic):
            if left > 1:
                crash.write_text(f"{int(left) - 1} {topic or ''}".strip())
            else:
                crash.unlink(missing_ok=True)
            self.log(f"crash {record.topic}[{record.partition}]@{record.offset}: {CRASH_FIRED}")
            os._exit(CRASH_EXIT_CODE)


def consumer_hooks(consumer: str, log=print) -> ConsumerHooks:
    """The factory the product's entry point calls (BOLETIA_CONSUMER_HOOKS=`SPEC`): the hooks
    of `consumer`, in this process's lab directory."""
    from boletia import config

    return ConsumerHooks(consumer, config.settings().lab_dir, log=log,
                         member=os.environ.get(MEMBER_ENV) or consumer)
