"""The consumer loop written by a student (notebook 06, level "consumer loop"): the lab runs the
student's class in place of its own loop for one consumer group, `notificaciones`.

The student writes the decisions of the at-least-once loop (when to commit, what to retry,
what to dead-letter: notebooks/exercises/consumer_loop.py); the mechanics stay here, in
`Kafka`, the one object the student's class is given. Every step it takes is one log line in
the form the lab's scenarios read back (`retry`, `dead-letter`, `already-done`,
`commit-failed`, and the fault hooks' `crash`), so the same scenarios judge the student's loop
and the lab's own (boletia/adapters/at_least_once.py).

The student's class is loaded from its file when the consumer process starts: every restart
(a crash fault, `boletia lab design student`) runs the file as it is now.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from kafka.errors import KafkaError

from boletia.adapters.at_least_once import ALREADY_DONE, FETCH_MAX_WAIT_MS, IGNORED, WROTE, where
from boletia.adapters.kafka import security
from boletia.config import DEAD_LETTER_TOPIC

GROUP = "notificaciones"  # the consumer group whose loop the student writes


def _outcome(value) -> str:
    """A handler's answer as one of WROTE, IGNORED, ALREADY_DONE (a bool: WROTE or IGNORED)."""
    if value in (WROTE, IGNORED, ALREADY_DONE):
        return value
    return WROTE if value else IGNORED


class CommitFailed(Exception):
    """Kafka refused the commit (the group rebalanced, its coordinator moved or died). The
    messages were handled: at worst they come back."""


@dataclass(frozen=True)
class Message:
    """One Kafka record as the student sees it; `where` names it in every log line."""
    topic: str
    partition: int
    offset: int
    record: Any

    @property
    def where(self) -> str:
        return where(self.record)

    def __str__(self) -> str:
        return self.where


class Kafka:
    """What the student's loop may do: `poll`, `handle`, `commit`, `retry`, `dead_letter`, `log`.

    `poll()` answers the messages of ONE partition, in order (a Kafka poll brings several
    partitions; they are handed out one at a time), so going back to a message with `retry`
    never loses the ones after it."""

    def __init__(self, consumer, producer, handler, group: str, stop: threading.Event,
                 hooks=None, log=print, max_backoff: float = 5.0):
        self._consumer, self._producer, self._handler = consumer, producer, handler
        self._group, self._stop, self._hooks, self._log = group, stop, hooks, log
        self._max_backoff = max_backoff
        self._batches: list[list] = []
        self._attempts: dict[tuple[str, int, int], int] = {}
        self.stats = {"processed": 0, "retried": 0, "dead_lettered": 0, "commits": 0,
                      "commit_failures": 0, "already_done": 0}

    def poll(self) -> list[Message]:
        """The next messages of one partition (an empty list when nothing came in 0.5 s)."""
        if not self._batches:
            try:
                polled = self._consumer.poll(timeout_ms=500)
            except KafkaError as exc:  # a broker or the coordinator is away: wait, ask again
                self._log(f"poll failed, retrying in 1 s: {exc!r}")
                self._stop.wait(1)
                return []
            if self._hooks:
                self._hooks.polled(self._consumer)
            self._batches = [b for b in polled.values() if b]
        if not self._batches:
            return []
        return [Message(r.topic, r.partition, r.offset, r) for r in self._batches.pop(0)]

    def handle(self, message: Message) -> str:
        """Do the message's work (send its email). Returns "wrote", "ignored" or "already-done".
        Raises `PermanentFailure` when the message can never succeed (a bad address, a
        document that is not one), any other exception when a later attempt may pass."""
        outcome = _outcome(self._handler(message.record))
        self._attempts.pop((message.topic, message.partition, message.offset), None)
        self.stats["processed"] += 1
        if outcome == ALREADY_DONE:
            self.stats["already_done"] += 1
            self._log(f"already-done {message.where}: nothing left to change (its work was done "
                      "before: a redelivery)")
        if self._hooks:  # the lab's crash fault fires here: after the work
            self._hooks.before_commit(message.record, outcome == WROTE)
        return outcome

    def commit(self, *messages: Message) -> None:
        """Tell Kafka the group is done with these messages: for each partition, a restart
        resumes AFTER the last one given. Raises `CommitFailed` if Kafka refused."""
        from kafka import TopicPartition
        from kafka.structs import OffsetAndMetadata

        last: dict = {}
        for m in messages:
            tp = TopicPartition(m.topic, m.partition)
            last[tp] = max(last.get(tp, -1), m.offset)
        if not last:
            return
        try:
            self._consumer.commit({tp: OffsetAndMetadata(o + 1, "", -1) for tp, o in last.items()})
        except KafkaError as exc:
            self.stats["commit_failures"] += 1
            for tp, o in last.items():
                self._log(f"commit-failed {tp.topic}[{tp.partition}]@{o}: {exc!r}")
            raise CommitFailed(str(exc)) from None  # "CommitFailedError: why"
        self.stats["commits"] += 1

    def retry(self, message: Message, error: Exception) -> None:
        """Try `message` again later: the next `poll` of its partition starts from it, after a
        back-off that grows with its failures. Nothing is committed by this."""
        from kafka import TopicPartition

        key = (message.topic, message.partition, message.offset)
        self._attempts[key] = attempt = self._attempts.get(key, 0) + 1
        self.stats["retried"] += 1
        delay = min(self._max_backoff, 0.1 * 2 ** min(attempt, 6))
        self._log(f"retry {message.where}: attempt {attempt} failed, again in {delay:.1f}s: "
                  f"{error!r}")
        try:
            self._consumer.seek(TopicPartition(message.topic, message.partition), message.offset)
        except (ValueError, KafkaError) as exc:  # revoked meanwhile: its new owner resumes it
            self._log(f"could not seek {message.where} back: {exc!r}")
        self._stop.wait(delay)

    def dead_letter(self, message: Message, reason: str) -> None:
        """Put `message` on the dead-letter topic with `reason`, for a person to look at."""
        r = message.record
        headers = [("reason", reason.encode()[:1000]), ("topic", r.topic.encode()),
                   ("partition", str(r.partition).encode()),
                   ("offset", str(r.offset).encode()), ("group", self._group.encode())]
        self._producer.send(DEAD_LETTER_TOPIC, key=r.key, value=r.value,
                            headers=headers).get(timeout=30)
        self.stats["dead_lettered"] += 1
        self._log(f"dead-letter {message.where}: {reason}")

    def log(self, text: str) -> None:
        """One line in the consumer's log (`boletia lab logs notificaciones`)."""
        self._log(text)


class StudentConsumer:
    """Runs the student's loop class as the runner runs its own loop: `run(stop)`, `stats`."""

    def __init__(self, loop_class: type, group: str, topics: list[str], handler, bootstrap: str,
                 instance: str = "1", hooks=None, log=print):
        self.loop_class, self.group, self.topics, self.handler = loop_class, group, topics, handler
        self.bootstrap, self.instance, self.hooks, self.log = bootstrap, instance, hooks, log
        self.stats: dict = {}

    def run(self, stop: threading.Event) -> None:
        from kafka import KafkaConsumer, KafkaProducer

        consumer = KafkaConsumer(
            *self.topics, bootstrap_servers=self.bootstrap.split(","), group_id=self.group,
            group_instance_id=f"{self.group}-{self.instance}", client_id=self.group,
            enable_auto_commit=False, auto_offset_reset="earliest", max_poll_records=50,
            session_timeout_ms=10000, heartbeat_interval_ms=3000,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS, **security())
        producer = KafkaProducer(bootstrap_servers=self.bootstrap.split(","), acks="all", retries=5,
                                 **security())
        kafka = Kafka(consumer, producer, self.handler, self.group, stop, self.hooks, self.log)
        self.stats = kafka.stats
        self.log(f"{self.group}: running the student's {self.loop_class.__name__}")
        loop = None
        try:
            loop = self.loop_class(kafka)
            while not stop.is_set():
                loop.step()
        finally:
            try:
                consumer.close(autocommit=False)
            finally:
                producer.close()
                if callable(close := getattr(loop, "close", None)):  # a sandbox around it
                    close()
