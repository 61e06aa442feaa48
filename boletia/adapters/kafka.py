"""Kafka with kafka-python: admin (brokers, topics, configs, lag) and the at-least-once consumer."""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from typing import NamedTuple

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from boletia.adapters.errors import PermanentFailure
from boletia.config import DEAD_LETTER_TOPIC, HEARTBEAT_TOPIC, TOPICS

REPLICATION = 3
MIN_ISR = 2
PARTITIONS = 3


def admin(bootstrap: str) -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=bootstrap.split(","), client_id="boletia-admin",
                            request_timeout_ms=10000)


def wait_for_brokers(bootstrap: str, count: int, timeout: float = 60.0) -> None:
    """Wait until the cluster metadata lists `count` brokers and a controller."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            a = admin(bootstrap)
            try:
                meta = a.describe_cluster()
            finally:
                a.close()
            if len(meta.get("brokers", [])) >= count and meta.get("controller_id", -1) != -1:
                return
            last = f"{len(meta.get('brokers', []))} brokers registered"
        except KafkaError as exc:
            last = str(exc)
        time.sleep(1)
    raise TimeoutError(f"Kafka cluster did not reach {count} brokers in {timeout:.0f}s ({last})")


LAB_TOPICS = (*TOPICS, DEAD_LETTER_TOPIC, HEARTBEAT_TOPIC)


def ensure_topics(bootstrap: str, topics: tuple[str, ...] = LAB_TOPICS) -> None:
    """Create the lab's topics with RF 3 and min.insync.replicas 2 (no-op when they exist).

    The source connector keys each message by its document's `_id`, so with several
    partitions the changes of one document still arrive in order.
    """
    a = admin(bootstrap)
    try:
        missing = [t for t in topics if t not in set(a.list_topics())]
        if missing:
            try:
                a.create_topics([
                    NewTopic(t, num_partitions=PARTITIONS, replication_factor=REPLICATION,
                             topic_configs={"min.insync.replicas": str(MIN_ISR)})
                    for t in missing
                ])
            except TopicAlreadyExistsError:
                pass
    finally:
        a.close()


def topic_config(bootstrap: str, topic: str) -> dict[str, str]:
    """A topic's effective configuration, name -> value."""
    from kafka.admin import ConfigResource, ConfigResourceType

    a = admin(bootstrap)
    try:
        result = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        a.close()
    entries = result.get("topic", {}).get(topic, {})
    return {name: e.get("value") for name, e in entries.items()}


def partitions(bootstrap: str, topics: list[str]) -> list[dict]:
    """One row per partition: topic, partition, leader, replicas, isr (broker ids)."""
    a = admin(bootstrap)
    try:
        described = a.describe_topics(topics)
    finally:
        a.close()
    rows = []
    for t in described:
        for p in sorted(t["partitions"], key=lambda p: p["partition_index"]):
            rows.append({"topic": t["name"], "partition": p["partition_index"],
                         "leader": p["leader_id"], "replicas": p["replica_nodes"],
                         "isr": p["isr_nodes"]})
    return rows


def java_string_hash(s: str) -> int:
    """Java's `String.hashCode()` (over UTF-16 code units), as a signed 32-bit int."""
    data = s.encode("utf-16-be")
    h = 0
    for unit in struct.unpack(f">{len(data) // 2}H", data):
        h = (31 * h + unit) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def group_coordinator(bootstrap: str, group: str) -> int:
    """The broker id coordinating a consumer group: the leader of the `__consumer_offsets`
    partition the group's id hashes to (Kafka's own rule, `abs(groupId.hashCode()) % n`).
    Its loss is the harshest one-broker fault for a consumer: commits and heartbeats go there."""
    rows = partitions(bootstrap, ["__consumer_offsets"])
    if not rows:
        raise RuntimeError("topic __consumer_offsets does not exist yet: no group has committed")
    return rows[(java_string_hash(group) & 0x7FFFFFFF) % len(rows)]["leader"]


# ---------------------------------------------------------------- at-least-once consumer
# What a handler reports about one message. ALREADY_DONE is a redelivery meeting its own
# earlier work (a duplicate _id, a guard that no longer matches): the proof of idempotency.
WROTE, IGNORED, ALREADY_DONE = "wrote", "ignored", "already-done"


def _outcome(value) -> str:
    if value in (WROTE, IGNORED, ALREADY_DONE):
        return value
    return WROTE if value else IGNORED


class Batched(NamedTuple):
    """A handler in two steps, so that a partition batch's writes reach the store together.

    `decide(record)` decodes and decides one message (it raises as a handler does: a
    PermanentFailure is dead-lettered, anything else is retried from that message);
    `write(decided)` carries out a batch's decisions in order and answers one outcome per
    decision, or raises, and then the whole batch is retried (its writes are idempotent: the
    ones made come back as ALREADY_DONE)."""
    decide: Callable
    write: Callable

    def one(self, record) -> str:
        """The same work for a single message."""
        return self.write([self.decide(record)])[0]


def where(record) -> str:
    """`topic[partition]@offset`: how every log line of the loop names a message."""
    return f"{record.topic}[{record.partition}]@{record.offset}"


# How long a broker may hold a fetch that found nothing new (Kafka's default: 500 ms). The
# consumer keeps one fetch in flight per broker, and a partition whose records it still
# holds is left out of it; the partition's next records then waited for that fetch, held
# for the other partitions of the same broker: a booking's reservation 0.5 s late in most
# 8 s runs at 40/s. At 100 ms, none (README "Measured here"); idle, each consumer asks each
# broker ten times a second.
FETCH_MAX_WAIT_MS = 100


class AtLeastOnceConsumer:
    """The seed's pcKafka consumer, done right (failure mode 1, docs/failure-modes.md).

    - An offset is committed only after the handler succeeded on that message (each
      partition at the last message done, all of a poll's partitions in one commit).
    - A failing message is retried: seek back to it, back off, and never commit past it
      (the seed moved on, and committing N+1 silently dropped N).
    - A poison message goes to the dead-letter topic with the reason, then is committed.
    - `design="seed"` keeps the seed's behaviour: a failed message is skipped, uncommitted,
      and the next success commits past it.

    The handler returns WROTE, IGNORED or ALREADY_DONE (a bool means WROTE or IGNORED); a
    `Batched` handler writes each partition batch at once (not in the seed design, which
    keeps its one-by-one skipping);
    `hooks` lets the lab inject faults between that write and the commit. Every decision
    the loop takes is one log line that starts with its name (`retry`, `dead-letter`,
    `already-done`, `skipped`, `commit-failed`) followed by `topic[partition]@offset`, so a
    student and the lab's scenarios read the same evidence.
    """

    def __init__(self, group: str, topics: list[str], handler, bootstrap: str,
                 design: str = "fixed", dead_letter: str = DEAD_LETTER_TOPIC,
                 max_backoff: float = 5.0, instance: str = "1", hooks=None, log=print,
                 priority=None):
        self.group, self.topics = group, topics
        self.priority = priority  # a consumers.priority.Yield: when to step aside
        self.batched = handler if isinstance(handler, Batched) else None
        self.handler = handler.one if self.batched else handler
        self.bootstrap, self.design, self.dead_letter = bootstrap, design, dead_letter
        self.max_backoff, self.instance, self.hooks, self.log = max_backoff, instance, hooks, log
        self.stats = {"processed": 0, "retried": 0, "dead_lettered": 0, "skipped": 0,
                      "commit_failures": 0, "already_done": 0, "held_s": 0.0}
        self._held_at: float | None = None
        self._pending: dict = {}  # partition -> (offset to commit, its last record done)
        self._consumer = None
        self._producer = None

    def _open(self):
        from kafka import KafkaConsumer, KafkaProducer

        # Static membership (KIP-345): a restarted instance takes its partitions back at
        # once instead of waiting for the dead one's session to time out.
        self._consumer = KafkaConsumer(
            *self.topics, bootstrap_servers=self.bootstrap.split(","), group_id=self.group,
            group_instance_id=f"{self.group}-{self.instance}", client_id=self.group,
            enable_auto_commit=False, auto_offset_reset="earliest",
            max_poll_records=50, session_timeout_ms=10000, heartbeat_interval_ms=3000,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS)
        self._producer = KafkaProducer(bootstrap_servers=self.bootstrap.split(","), acks="all",
                                       retries=5)

    def _mark_done(self, record) -> None:
        """Mark `record` done: its partition is committed up to it at the end of this poll,
        with the other partitions the poll brought (one request instead of one a partition
        batch: at 80 bookings/s `inventario` spent three quarters of its time in commits)."""
        from kafka import TopicPartition
        from kafka.structs import OffsetAndMetadata

        self._pending[TopicPartition(record.topic, record.partition)] = (
            OffsetAndMetadata(record.offset + 1, "", -1), record)

    def _flush(self) -> None:
        """Commit what the poll marked done, in one request. A refused commit (the group
        rebalanced, the coordinator moved with a dying broker) is not a reason to die: the
        messages were processed, and a later commit or a redelivery to whoever owns the
        partition now covers them. (Not waiting for the answer, `commit_async`, was tried:
        kafka-python refused the commits queued past its in-flight limit, 34 in 8 s at
        80 bookings/s, and the reservations came later.)"""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        try:
            self._consumer.commit({tp: meta for tp, (meta, _) in pending.items()})
        except KafkaError as exc:
            self._commit_failed(pending, exc)

    def _commit_failed(self, pending: dict, exc: Exception) -> None:
        self.stats["commit_failures"] += 1
        for _, record in pending.values():
            self.log(f"commit-failed {where(record)}: going on (at worst the message comes "
                     f"back, and handling it is idempotent): {exc!r}")

    def _handle(self, record) -> str:
        """The handler's outcome; poison goes to the dead-letter topic (a failure to publish
        it there raises, and the message is retried like any other failure)."""
        try:
            outcome = _outcome(self.handler(record))
        except PermanentFailure as exc:
            self._dead_letter(record, str(exc))
            return IGNORED
        return self._count(record, outcome)

    def _count(self, record, outcome: str) -> str:
        if outcome == ALREADY_DONE:
            self.stats["already_done"] += 1
            self.log(f"already-done {where(record)}: nothing left to change (its work was "
                     "done before: a redelivery), committing")
        return outcome

    def _seek(self, tp, offset: int) -> None:
        try:
            self._consumer.seek(tp, offset)
        except (ValueError, KafkaError) as exc:  # ValueError: "Unassigned partition"
            # the partition was revoked meanwhile: its new owner starts from the last commit
            self.log(f"could not seek {tp.topic}[{tp.partition}] back to {offset}: {exc!r}")

    def _dead_letter(self, record, reason: str) -> None:
        headers = [("reason", reason.encode()[:1000]), ("topic", record.topic.encode()),
                   ("partition", str(record.partition).encode()),
                   ("offset", str(record.offset).encode()), ("group", self.group.encode())]
        self._producer.send(self.dead_letter, key=record.key, value=record.value,
                            headers=headers).get(timeout=30)
        self.stats["dead_lettered"] += 1
        self.log(f"dead-letter {where(record)}: {reason}")

    def _retry(self, tp, record, exc: Exception, failures: dict) -> None:
        """Back to the failed message, after a back-off that grows with its failures."""
        failures[tp] = failures.get(tp, 0) + 1
        self.stats["retried"] += 1
        delay = min(self.max_backoff, 0.1 * 2 ** min(failures[tp], 6))
        self.log(f"retry {where(record)}: attempt {failures[tp]} failed, again in "
                 f"{delay:.1f}s: {exc!r}")
        self._seek(tp, record.offset)
        self._flush()  # what other partitions finished is not held back by this one's wait
        time.sleep(delay)

    def _done(self, tp, record, outcome: str, failures: dict) -> None:
        failures.pop(tp, None)
        if self.hooks:
            self.hooks.before_commit(record, outcome == WROTE)
        self.stats["processed"] += 1

    def _process_partition(self, tp, records, failures: dict) -> None:
        """Process one partition's batch in order; commit once, at the last message that was
        done (never past a failed one, in the fixed design)."""
        if self.batched is not None and self.design != "seed":
            return self._process_batch(tp, records, failures)
        done = None
        try:
            for record in records:
                if self._holding():  # the rest of the batch waits in Kafka, from this one
                    self._seek(tp, record.offset)
                    return
                try:
                    outcome = self._handle(record)
                except Exception as exc:  # noqa: BLE001 - any other failure is worth a retry
                    if self.design == "seed":
                        self.stats["skipped"] += 1
                        self.log(f"skipped {where(record)}: the handler failed, moving on "
                                 f"(seed): {exc!r}")
                        continue
                    self._retry(tp, record, exc, failures)
                    return  # the rest of this batch waits: nothing past N is committed
                self._done(tp, record, outcome, failures)
                done = record
        finally:
            if done is not None:
                self._mark_done(done)

    def _process_batch(self, tp, records, failures: dict) -> None:
        """The same rules with a `Batched` handler: decide every message up to the first that
        fails, write those decisions at once, then walk them in order (dead-lettering the
        poison among them) and commit; the failed one is retried after. Nothing is
        dead-lettered before the batch's writes are made, so a batch retried whole does
        not dead-letter its poison twice."""
        decided, failed = [], None
        for record in records:
            try:
                decided.append((record, self.batched.decide(record)))
            except PermanentFailure as exc:
                decided.append((record, exc))
            except Exception as exc:  # noqa: BLE001 - any other failure is worth a retry
                failed = (record, exc)
                break
        wanted = [d for _, d in decided if not isinstance(d, PermanentFailure)]
        try:
            outcomes = iter(self.batched.write(wanted) if wanted else [])
        except Exception as exc:  # noqa: BLE001 - the whole batch is retried
            self._retry(tp, decided[0][0], exc, failures)
            return
        done = None
        try:
            for record, d in decided:
                if isinstance(d, PermanentFailure):
                    try:
                        self._dead_letter(record, str(d))
                    except Exception as exc:  # noqa: BLE001 - retried like any failure
                        failed = (record, exc)
                        break
                    outcome = IGNORED
                else:
                    outcome = self._count(record, _outcome(next(outcomes)))
                self._done(tp, record, outcome, failures)
                done = record
        finally:
            if done is not None:
                self._mark_done(done)
        if failed is not None:
            self._retry(tp, *failed, failures)

    def _holding(self) -> bool:
        """Whether the priority policy has the consumer stepped aside now. Asked between two
        messages too, not only between two polls: a poll brings up to 50 emails, and while
        bookings poured in they went at about 10 a second, so a policy asked once a poll
        yielded 7 s into a 5 s burst (notebook 05: the hold then lasted 1 s). The one-by-one
        loop (notificaciones') asks before each message and seeks back to the first it leaves,
        so the rest of the poll is fetched again on resume; a `Batched` handler is asked only
        between polls (none has a priority policy)."""
        if self.priority is None:
            return False
        self._steer()
        return self._held_at is not None

    def _steer(self) -> None:
        """Pause fetching while the priority policy says to hold, resume when it stops. The
        messages wait in Kafka, uncommitted: holding loses nothing. Reading the end offsets
        can fail (a broker away); then the consumer runs, as if no policy were set."""
        now = time.monotonic()
        if not self.priority.due(now):
            return
        assigned = set(self._consumer.assignment())
        try:
            hold = bool(assigned) and self.priority.observe(
                now, self._consumer.end_offsets(list(assigned), timeout_ms=1000))
        except KafkaError:
            self.priority.reset()
            hold = False
        paused = set(self._consumer.paused())
        rate = f"{self.priority.rate:.0f} changes/s arriving"
        if hold and assigned - paused:
            self._consumer.pause(*(assigned - paused))
            if self._held_at is None:
                self._held_at = now
                self.log(f"yield {','.join(self.topics)}: {rate}, above "
                         f"{self.priority.above:g}/s: holding until they slow down (the "
                         "messages wait in Kafka)")
        elif not hold and paused:
            self._consumer.resume(*paused)
        if not hold and self._held_at is not None:
            held = now - self._held_at
            self.stats["held_s"] += held
            self._held_at = None
            self.log(f"resume {','.join(self.topics)}: after {held:.1f}s held ({rate})")

    def run(self, stop) -> None:
        """Consume until `stop` (a threading.Event) is set; then close cleanly."""
        self._open()
        failures: dict = {}
        try:
            while not stop.is_set():
                if self.priority is not None:
                    self._steer()
                try:
                    batches = self._consumer.poll(timeout_ms=500)
                except KafkaError as exc:  # a broker or the coordinator is away: wait, ask again
                    self.log(f"poll failed, retrying in 1 s: {exc!r}")
                    time.sleep(1)
                    continue
                if self.hooks:
                    self.hooks.polled(self._consumer)
                for tp, records in batches.items():
                    if stop.is_set():
                        break
                    self._process_partition(tp, records, failures)
                self._flush()
        finally:
            try:
                self._flush()
            finally:
                self._consumer.close(autocommit=False)
            self._producer.close()


class LagProbe:
    """The lag of several consumer groups, sampled through ONE long-lived admin client (two
    requests a sample, a few milliseconds): end offsets minus each group's committed offsets,
    per topic. A group with no commit on a partition lags by everything the partition holds."""

    def __init__(self, bootstrap: str, groups: dict[str, tuple[str, ...]]):
        from kafka import TopicPartition

        self.groups = groups
        self._bootstrap = bootstrap
        self._admin = admin(bootstrap)
        topics = sorted({t for ts in groups.values() for t in ts})
        described = self._admin.describe_topics(topics)
        self._partitions = [TopicPartition(t["name"], p["partition_index"])
                            for t in described for p in t["partitions"]]

    def sample(self, attempts: int = 5) -> dict[str, dict[str, int]]:
        """group -> topic -> messages not yet committed. A retriable error (a coordinator or
        a leader that moved with a restarted broker) is retried with a short back-off, through
        a new admin client: kafka-python's keeps each group's coordinator cached and asks the
        old one again (seen answering NotCoordinator for 90 s after a broker restart)."""
        for attempt in range(attempts):
            try:
                return self._sample()
            except KafkaError as exc:
                if not getattr(exc, "retriable", False) or attempt == attempts - 1:
                    raise
                time.sleep(0.2 * 2 ** attempt)
                self._reopen()
        raise AssertionError("unreachable")

    def _sample(self) -> dict[str, dict[str, int]]:
        from kafka.admin import OffsetSpec

        ends = self._admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in self._partitions})
        begins = None
        committed = self._admin.list_group_offsets(list(self.groups))
        out: dict[str, dict[str, int]] = {}
        for group, topics in self.groups.items():
            mine = committed.get(group, {})
            per_topic = dict.fromkeys(topics, 0)
            for tp in self._partitions:
                if tp.topic not in per_topic:
                    continue
                done = mine.get(tp)
                if done is None or done.offset < 0:
                    if begins is None:
                        begins = self._admin.list_partition_offsets(
                            {p: OffsetSpec.EARLIEST for p in self._partitions})
                    start = begins[tp].offset
                else:
                    start = done.offset
                per_topic[tp.topic] += max(0, ends[tp].offset - start)
            out[group] = per_topic
        return out

    def _reopen(self) -> None:
        try:
            fresh = admin(self._bootstrap)
        except KafkaError:
            return  # no broker answers now: the next attempt tries the old client again
        try:
            self._admin.close()
        except Exception:  # noqa: BLE001 - the old client may be half broken: that is why
            pass
        self._admin = fresh

    def close(self) -> None:
        self._admin.close()

    def __enter__(self) -> LagProbe:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def lag(bootstrap: str, group: str, topics: list[str]) -> dict[str, int]:
    """Per topic: end offset minus the group's committed offset (all of it if none)."""
    with LagProbe(bootstrap, {group: tuple(topics)}) as probe:
        return probe.sample()[group]
