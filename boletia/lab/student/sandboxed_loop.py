"""A submitted consumer loop, run in the sandbox (`sandbox.py`) while the lab's consumer runs it.

The grader never runs a student's loop in a lab process: the consumer `notificaciones` runs
`loop_class(...)`, whose `step()` calls the submission's `step` in a sandboxed worker; every
`kafka.poll()`, `handle`, `commit`, `retry`, `dead_letter` or `log` the student's code makes
there comes back over the worker's pipe to the lab's real `Kafka` object
(boletia/consumers/student_loop.py), and its answer (or its exception: `PermanentFailure`,
`CommitFailed`, any other as RuntimeError) goes back in. The worker has no network: only the
lab's side touches Kafka. The same worker runs the level's instant cases (`worker_cases`).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from boletia.adapters.errors import PermanentFailure
from boletia.consumers.student_loop import CommitFailed

KEEP = 5000  # messages remembered for the student's later calls about them


# ---------------------------------------------------------------- the lab's side
def loop_class(wrapper: Path, scratch: Path) -> type:
    """A loop class the lab's consumer runs; each instance drives one sandboxed worker."""
    from boletia.lab.student.sandbox import Sandboxed

    class SandboxedLoop:
        def __init__(self, kafka):
            self.kafka, self.messages = kafka, {}
            self.box = Sandboxed(wrapper, scratch, timeout=30.0, stderr=sys.stderr)

        def step(self) -> None:
            self.box.call("step", on_request=self.serve)

        def close(self) -> None:
            self.box.close()

        def serve(self, request: dict) -> dict:
            method, args = request["call"], request.get("args") or []
            try:
                if method == "poll":
                    polled = self.kafka.poll()
                    if len(self.messages) > KEEP:
                        self.messages.clear()
                    self.messages.update({(m.topic, m.partition, m.offset): m for m in polled})
                    return {"value": [[m.topic, m.partition, m.offset] for m in polled]}
                if method == "log":
                    self.kafka.log(str(args[0])[:2000])
                    return {"value": None}
                found = [self.messages[tuple(a)] for a in args[0]]
                if method == "handle":
                    return {"value": self.kafka.handle(found[0])}
                if method == "commit":
                    self.kafka.commit(*found)
                elif method == "retry":
                    self.kafka.retry(found[0], RuntimeError(str(args[1])[:2000]))
                elif method == "dead_letter":
                    self.kafka.dead_letter(found[0], str(args[1])[:1000])
                else:
                    return {"raise": "RuntimeError", "message": f"kafka has no {method!r}"}
                return {"value": None}
            except KeyError:
                return {"raise": "RuntimeError", "message": "not a message this loop polled"}
            except PermanentFailure as exc:
                return {"raise": "PermanentFailure", "message": str(exc)}
            except CommitFailed as exc:
                return {"raise": "CommitFailed", "message": str(exc)}
            except Exception as exc:  # noqa: BLE001 - the student's loop decides what to do
                return {"raise": "RuntimeError", "message": repr(exc)}

    return SandboxedLoop


# ---------------------------------------------------------------- inside the worker
@dataclass(frozen=True)
class RemoteMessage:
    topic: str
    partition: int
    offset: int

    @property
    def where(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"

    def __str__(self) -> str:
        return self.where


RAISES = {"PermanentFailure": PermanentFailure, "CommitFailed": CommitFailed}


class RemoteKafka:
    """The `kafka` a sandboxed loop is given: each call asks the lab's side."""

    def _ask(self, method: str, *args):
        from boletia.lab.student import sandbox

        answers, requests = sandbox.CHANNEL
        answers.write(json.dumps({"call": method, "args": list(args)}) + "\n")
        answers.flush()
        reply = json.loads(requests.readline())
        if "raise" in reply:
            raise RAISES.get(reply["raise"], RuntimeError)(reply["message"])
        return reply.get("value")

    @staticmethod
    def _key(m) -> list:
        return [m.topic, m.partition, m.offset]

    def poll(self) -> list[RemoteMessage]:
        return [RemoteMessage(*m) for m in self._ask("poll")]

    def handle(self, message) -> str:
        return self._ask("handle", [self._key(message)])

    def commit(self, *messages) -> None:
        self._ask("commit", [self._key(m) for m in messages])

    def retry(self, message, error: Exception) -> None:
        self._ask("retry", [self._key(message)], repr(error))

    def dead_letter(self, message, reason: str) -> None:
        self._ask("dead_letter", [self._key(message)], str(reason))

    def log(self, text: str) -> None:
        self._ask("log", str(text))


_loop = None


def worker_step(loop_file: Path) -> None:
    """One step of the submission's loop (built at the first step, from its file)."""
    global _loop
    if _loop is None:
        from boletia.lab.student.alone import load_loop
        _loop = load_loop(loop_file)(RemoteKafka())
    _loop.step()


def worker_cases(loop_file: Path, seed: int | None = None) -> list[list]:
    """The level's cases (drawn from `seed`) on the submission: [[part, name, passed, detail]]."""
    from boletia.lab.student import loop_cases

    return [[r.case.exercise, r.case.name, r.passed, r.detail]
            for r in loop_cases.check(Path(loop_file), loop_cases.cases(seed))]


def wrapper_file(loop_file: Path, path: Path) -> Path:
    """What the sandbox's worker loads: the fixed design's three decisions (its loader wants
    them) and `step` / `cases` on the submitted loop. Beside the submission (the folder the
    sandbox mounts)."""
    path.write_text(
        '"""Written by `boletia grade`: the submitted consumer loop, served from the sandbox."""\n'
        "from pathlib import Path\n"
        "from boletia.lab.student import alone, sandboxed_loop\n"
        "refund, booking_in, email_ledger = alone.refund, alone.booking_in, alone.email_ledger\n"
        f"LOOP = Path({str(Path(loop_file).resolve())!r})\n\n\n"
        "def step():\n    sandboxed_loop.worker_step(LOOP)\n\n\n"
        "def cases(seed=None):\n    return sandboxed_loop.worker_cases(LOOP, seed)\n")
    return path


def design_file(wrapper: Path, scratch: Path, path: Path) -> Path:
    """The lab's design for a graded loop: the fixed decisions, and a `ConsumerLoop` that
    drives the sandboxed submission."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '"""Written by `boletia grade`: the consumer loop from a submission, in a sandbox."""\n'
        "from pathlib import Path\n"
        "from boletia.lab.student import alone, sandboxed_loop\n"
        "refund, booking_in, email_ledger = alone.refund, alone.booking_in, alone.email_ledger\n"
        f"ConsumerLoop = sandboxed_loop.loop_class(Path({str(Path(wrapper).resolve())!r}), "
        f"Path({str(Path(scratch).resolve())!r}))\n")
    return path
