"""The local runtime's fault verbs: consumer faults through files in the lab directory (read
by the consumer's hooks), database faults through a SecantusDB fail point."""

from __future__ import annotations

from boletia import config
from boletia.adapters import mongo
from boletia.lab import hooks
from boletia.lab.components import CONSUMERS
from boletia.lab.runtimes.local.storage import LabFiles


def crash_consumer(files: LabFiles, consumer: str, times: int, topic: str | None) -> None:
    hooks.arm(files.root, consumer, hooks.CRASH, times, topic)


def slow_consumer(files: LabFiles, consumer: str, seconds: float) -> None:
    if seconds > 0:
        hooks.arm(files.root, consumer, hooks.DELAY, seconds)
    else:
        hooks.disarm(files.root, consumer, hooks.DELAY)


def fail_writes(s: config.Settings, times: int, service: str | None) -> None:
    with mongo.connect(s) as c:
        mongo.fail_next_writes(c, times, app_name=service)


def clear(files: LabFiles, s: config.Settings, mongo_running: bool) -> None:
    for name in CONSUMERS:
        hooks.disarm(files.root, name)
    if mongo_running:
        with mongo.connect(s) as c:
            mongo.clear_fail_points(c)
