"""Faults armed from outside a running consumer, through files in the lab directory.

A file is the simplest channel that works across processes, survives the consumer's own
crash, and needs no extra port: `chaos` (or a notebook) writes it, the consumer reads it
before each commit.

  <lab>/faults/<consumer>.crash-before-commit   "N [topic]": exit abruptly after a message
                                                whose handler wrote something (to MongoDB or
                                                SES) and before its commit, N times
  <lab>/faults/<consumer>.delay                 seconds to sleep before each message
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from boletia import config

CRASH = "crash-before-commit"
DELAY = "delay"
CRASH_EXIT_CODE = 86


def fault_file(consumer: str, fault: str, lab_dir: Path | None = None) -> Path:
    return (lab_dir or config.lab_dir()) / "faults" / f"{consumer}.{fault}"


def arm(consumer: str, fault: str, value: float, lab_dir: Path | None = None,
        topic: str | None = None) -> Path:
    path = fault_file(consumer, fault, lab_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{value} {topic}" if topic else str(value))
    return path


def disarm(consumer: str, fault: str | None = None, lab_dir: Path | None = None) -> None:
    for f in ([fault] if fault else [CRASH, DELAY]):
        fault_file(consumer, f, lab_dir).unlink(missing_ok=True)


def _read(path: Path) -> tuple[float, str | None]:
    try:
        parts = path.read_text().split()
        return (float(parts[0]) if parts else 0.0), (parts[1] if len(parts) > 1 else None)
    except (OSError, ValueError):
        return 0.0, None


class ConsumerHooks:
    """Called by AtLeastOnceConsumer; does nothing unless a fault file is armed."""

    def __init__(self, consumer: str, lab_dir: Path | None = None, log=print):
        self.consumer, self.lab_dir, self.log = consumer, lab_dir, log
        self.ready_file = (lab_dir or config.lab_dir()) / "run" / f"{consumer}.ready"

    def polled(self, kafka_consumer) -> None:
        if kafka_consumer.assignment() and not self.ready_file.exists():
            self.ready_file.parent.mkdir(parents=True, exist_ok=True)
            self.ready_file.write_text(str(os.getpid()))

    def before_commit(self, record, wrote: bool) -> None:
        delay, _ = _read(fault_file(self.consumer, DELAY, self.lab_dir))
        if delay > 0:
            time.sleep(delay)
        if not wrote:
            return
        crash = fault_file(self.consumer, CRASH, self.lab_dir)
        left, topic = _read(crash)
        if left >= 1 and topic in (None, record.topic):
            if left > 1:
                crash.write_text(f"{int(left) - 1} {topic or ''}".strip())
            else:
                crash.unlink(missing_ok=True)
            self.log(f"crash {record.topic}[{record.partition}]@{record.offset}: fault fired "
                     "after the write, before its commit")
            os._exit(CRASH_EXIT_CODE)
