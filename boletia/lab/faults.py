"""Faults armed from outside a running consumer, through files in the lab directory.

A file is the simplest channel that works across processes, survives the consumer's own
crash, and needs no extra port: `chaos` (or a notebook) writes it, the consumer reads it
before each commit.

  <lab>/faults/<consumer>.crash-before-commit   N: exit abruptly after the handler's
                                                database write and before the commit, N times
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


def arm(consumer: str, fault: str, value: float, lab_dir: Path | None = None) -> Path:
    path = fault_file(consumer, fault, lab_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(value))
    return path


def disarm(consumer: str, fault: str | None = None, lab_dir: Path | None = None) -> None:
    for f in ([fault] if fault else [CRASH, DELAY]):
        fault_file(consumer, f, lab_dir).unlink(missing_ok=True)


def _read(path: Path) -> float:
    try:
        return float(path.read_text().strip() or 0)
    except (OSError, ValueError):
        return 0.0


class ConsumerHooks:
    """Called by AtLeastOnceConsumer; does nothing unless a fault file is armed."""

    def __init__(self, consumer: str, lab_dir: Path | None = None, log=print):
        self.consumer, self.lab_dir, self.log = consumer, lab_dir, log
        self.ready_file = (lab_dir or config.lab_dir()) / "run" / f"{consumer}.ready"

    def polled(self, kafka_consumer) -> None:
        if kafka_consumer.assignment() and not self.ready_file.exists():
            self.ready_file.parent.mkdir(parents=True, exist_ok=True)
            self.ready_file.write_text(str(os.getpid()))

    def before_commit(self, record) -> None:
        delay = _read(fault_file(self.consumer, DELAY, self.lab_dir))
        if delay > 0:
            time.sleep(delay)
        crash = fault_file(self.consumer, CRASH, self.lab_dir)
        left = _read(crash)
        if left >= 1:
            if left > 1:
                crash.write_text(str(int(left) - 1))
            else:
                crash.unlink(missing_ok=True)
            self.log(f"fault: crashing after the write of {record.topic}[{record.partition}]"
                     f"@{record.offset}, before its commit")
            os._exit(CRASH_EXIT_CODE)
