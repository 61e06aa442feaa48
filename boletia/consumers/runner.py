"""Run one consumer process: decode -> decide -> adapter, inside the at-least-once loop."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import datetime

from bson import json_util
from bson.errors import InvalidBSON

from boletia import config
from boletia.adapters import mongo
from boletia.adapters.at_least_once import (
    ALREADY_DONE,
    IGNORED,
    WROTE,
    AtLeastOnceConsumer,
    Batched,
    DeadLetterFailed,
    FailurePolicy,
)
from boletia.adapters.errors import PermanentFailure
from boletia.consumers import student_loop
from boletia.designs.base import Design
from boletia.domain.messages import InvalidMessage


def decode(record) -> dict:
    """The source connector's value: the full document as (relaxed) extended JSON."""
    if record.value is None:
        raise PermanentFailure("empty value (tombstone): nothing to process")
    try:
        doc = json_util.loads(record.value)
    except (ValueError, InvalidBSON, UnicodeDecodeError) as exc:
        raise PermanentFailure(f"not extended JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise PermanentFailure(f"not a document: {type(doc).__name__}")
    return doc


def store_writes(db) -> Callable[[list], list[str]]:
    """The write step of a consumer whose decisions are store writes (inventario, reembolsos):
    a partition batch's writes at once (`mongo.apply_all`); WROTE when a write changed
    something (the point a crash fault waits for), ALREADY_DONE when the writes found their
    work done (a redelivery), IGNORED for a decision with nothing to write."""
    def write(decided: list) -> list[str]:
        changed = mongo.apply_all(db, [d.writes for d in decided])
        return [IGNORED if not d.writes else WROTE if c else ALREADY_DONE
                for d, c in zip(decided, changed, strict=True)]
    return write


def log(msg: str) -> None:
    """One line, stamped with the time: students read these, and the lab's scenarios read
    them back as evidence (boletia.lab.notebook.evidence)."""
    stamp = datetime.now().astimezone().isoformat(timespec="milliseconds")
    print(f"{stamp} {msg}", file=sys.stderr, flush=True)


def _handler(handle: Callable[[str, dict], str] | Batched) -> Callable | Batched:
    """Decode, then handle; a message that does not carry what the design promises is
    permanent (dead-lettered), any other error is transient (retried). A `Batched` pair
    (`decide(topic, doc)`, `write(decisions)`) gets the same treatment in its first step."""
    step = handle.decide if isinstance(handle, Batched) else handle

    def handler(record):
        doc = decode(record)
        try:
            return step(record.topic, doc)
        except InvalidMessage as exc:
            raise PermanentFailure(str(exc)) from None
    return Batched(handler, handle.write) if isinstance(handle, Batched) else handler


def run(group: str, topics: list[str], handle: Callable[[str, dict], str] | Batched,
        settings: config.Settings, design: Design, hooks=None,
        priority: Callable[[], object] | None = None) -> None:
    """`handle(topic, document)` does the work. A message that cannot be decoded, or does not
    carry what the design promises (`InvalidMessage`), or that a service refused for good
    (`PermanentFailure`, raised by an adapter), is dead-lettered; any other error is retried.
    `hooks` (readiness, injected faults) come from whoever starts the consumer: the lab;
    `priority` makes a fresh `consumers.priority.Yield` for each consumer opened; `design`
    says whether a failed message is skipped (the seed) or retried."""
    on_failure = FailurePolicy.SKIP if design.skips_failed_messages else FailurePolicy.RETRY
    # static membership: a stable id lets a restarted process take its partitions back at
    # once; it must be unique per process, or two instances fence each other in a loop
    instance = settings.instance or f"{socket.gethostname()}-{os.getpid()}"

    handler = _handler(handle)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    log(f"{group}: consuming {', '.join(topics)} (design={design.name}, instance {instance})")
    failures, consumer = 0, None
    # the student design may bring its own loop for this group (notebook 06, level "consumer loop")
    student = getattr(design, "consumer_loop", lambda _: None)(group)
    while not stop.is_set():
        consumer = AtLeastOnceConsumer(group, topics, handler, settings.kafka_bootstrap,
                                       on_failure=on_failure, instance=instance, hooks=hooks, log=log,
                                       priority=priority() if priority else None) if student is None \
            else student_loop.StudentConsumer(student, group, topics, handler, settings.kafka_bootstrap,
                                              instance=instance, hooks=hooks, log=log)
        opened = time.monotonic()
        try:
            consumer.run(stop)
        except DeadLetterFailed as exc:
            # Reopening would meet the same message and loop without end: stop, and say so
            # (the runtime then shows this consumer stopped, its health check fails).
            log(f"{group}: STOPPED (unhealthy): {exc}")
            raise SystemExit(3) from None
        except Exception:  # noqa: BLE001 - see below
            # An error outside any one message (the client library, the network) is not a
            # reason to stop consuming: a fresh consumer starts again from the last commit,
            # so nothing is lost, and the traceback stays in the log for whoever reads it.
            # The back-off grows only while failures follow each other closely.
            failures = 1 if time.monotonic() - opened > 60 else failures + 1
            delay = min(30.0, 2.0 ** failures)
            log(f"{group}: the consumer failed (#{failures}), reopening it in {delay:.0f}s:\n"
                f"{traceback.format_exc()}")
            stop.wait(delay)
    log(f"{group}: stopped; {consumer.stats if consumer else 'never opened'}")
