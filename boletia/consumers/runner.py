"""Run one consumer process: decode -> decide -> adapter, inside the at-least-once loop."""

from __future__ import annotations

import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import datetime

from bson import json_util
from bson.errors import InvalidBSON

from boletia import config
from boletia.adapters.kafka import AtLeastOnceConsumer, PermanentFailure


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


def log(msg: str) -> None:
    """One line, stamped with the time: students read these, and the lab's scenarios read
    them back as evidence (boletia.lab.notebook.evidence)."""
    stamp = datetime.now().astimezone().isoformat(timespec="milliseconds")
    print(f"{stamp} {msg}", file=sys.stderr, flush=True)


def run(group: str, topics: list[str], handle: Callable[[str, dict], bool], hooks=None) -> None:
    """`handle(topic, document)` does the work; KeyError/TypeError there mean the message
    lacks what the design promises, so it is poison, not a reason to retry forever.
    `hooks` (readiness, injected faults) come from whoever starts the consumer: the lab."""
    s = config.settings()
    design = config.design()

    def handler(record) -> str:
        doc = decode(record)
        try:
            return handle(record.topic, doc)
        except (KeyError, TypeError) as exc:
            raise PermanentFailure(f"{type(exc).__name__}: {exc}") from None

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    log(f"{group}: consuming {', '.join(topics)} (design={design})")
    failures, consumer = 0, None
    while not stop.is_set():
        consumer = AtLeastOnceConsumer(group, topics, handler, s.kafka_bootstrap, design=design,
                                       hooks=hooks, log=log)
        opened = time.monotonic()
        try:
            consumer.run(stop)
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
