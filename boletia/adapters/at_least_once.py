"""The at-least-once consumer loop (kafka-python): commit after the work, retry or skip what
failed, dead-letter the poison, step aside when a priority policy says so (failure mode 1,
docs/failure-modes.md)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from kafka import ConsumerRebalanceListener
from kafka.errors import KafkaError, MessageSizeTooLargeError

from boletia.adapters.errors import PermanentFailure
from boletia.adapters.kafka import group_members, security
from boletia.config import DEAD_LETTER_TOPIC

# What a handler reports about one message. ALREADY_DONE is a redelivery meeting its own
# earlier work (a duplicate _id, a guard that no longer matches): the proof of idempotency.
WROTE, IGNORED, ALREADY_DONE = "wrote", "ignored", "already-done"


class FailurePolicy(Enum):
    """What the loop does with a message whose handler failed (not a permanent failure: that
    one is dead-lettered under either policy). A design says which (Design.skips_failed_messages)."""
    RETRY = "retry"  # seek back to it, back off, commit nothing past it (the fixed designs)
    SKIP = "skip"    # move on, uncommitted; the next success commits past it (the seed: mode 1)


# A dead letter that cannot be published is tried this many times (the loop's back-off between
# them, about 6 s in all); then the consumer stops and says why. Retrying it forever held
# every message behind it on its partition, and nothing showed it but the lag.
DEAD_LETTER_ATTEMPTS = 5
# A body larger than this is dead-lettered by reference (topic, partition, offset, size): a
# record near Kafka's 1 MB limit plus the reason headers no longer fits in one request.
DEAD_LETTER_MAX_BODY = 256 * 1024


class DeadLetterFailed(Exception):
    """The dead-letter topic refused a message DEAD_LETTER_ATTEMPTS times: the consumer stops
    (its partition cannot move past the message without losing it), and says so."""


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

# The partition assignors kafka-python offers, by the name the group description shows:
# `range` and `roundrobin` (its default pair) and `sticky` are eager: at every rebalance each
# member gives up all its partitions before any is handed out again; `cooperative-sticky`
# (KIP-429) moves only the partitions that change owner, in two rounds. Measured here
# (benchmarks/rebalance.py), kafka-python's cooperative rebalance stopped the whole group
# longer, not shorter: its poll blocks through each join round, and the second round waits
# for the other members to notice it at their next heartbeat (3 s): 3.4 s with nothing handled
# on a scale-up, against 0.3-0.6 s for range. So the consumers stay on range
# (docs/architecture.md, "Rebalances").
ASSIGNORS = ("range", "roundrobin", "sticky", "cooperative-sticky")
ASSIGNOR = "range"


def assignor_class(name: str):
    """The kafka-python class of an assignor named as in ASSIGNORS (a ValueError names them)."""
    from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
    from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor

    classes = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor,
               "sticky": StickyPartitionAssignor, "cooperative-sticky": CooperativeStickyAssignor}
    if name not in classes:
        raise ValueError(f"unknown assignor {name!r}; kafka-python offers {', '.join(ASSIGNORS)}")
    return classes[name]


def _names(partitions) -> str:
    return ",".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(partitions)) or "none"


def _names_of(pairs) -> str:
    return ",".join(f"{t}[{p}]" for t, p in pairs) or "none"


class _Rebalances(ConsumerRebalanceListener):
    """One `rebalance` log line each time the group takes partitions from this member or gives
    it some, with the group's generation: what a student (and the scale scenarios) read to see
    a rebalance happen and which partitions moved."""

    def __init__(self, loop: AtLeastOnceConsumer):
        self.loop = loop

    def _generation(self) -> str:
        coordinator = getattr(self.loop._consumer, "_coordinator", None)  # kafka-python's own
        generation = getattr(getattr(coordinator, "_generation", None), "generation_id", None)
        return "?" if generation is None else str(generation)

    def on_partitions_revoked(self, revoked):
        if revoked:
            self.loop.log(f"rebalance revoked {_names(revoked)} (they stop here until the group "
                          f"assigns them again; {self.loop.assignor.name})")

    def on_partitions_assigned(self, assigned):
        held = self.loop._consumer.assignment()
        self.loop.log(f"rebalance generation {self._generation()} assigned {_names(assigned)}; "
                      f"holds {_names(held)} ({self.loop.assignor.name})")


# How often the consumer asks for its topics' metadata (kafka-python's default: 5 minutes). A
# consumer that joined a fresh cluster before its topics' partitions reached the broker it asked
# was assigned none ("assigned none; holds none"), and only a metadata change makes it rejoin:
# seen in CI, where inventario then missed its 60 s start-up; the same refresh lets a topic that
# `lab partitions` grew be read within seconds.
METADATA_MAX_AGE_MS = 5000


# A member that holds no partition asks its group, this long after, then at doubling intervals
# up to the most, whether every partition of its topics has an owner; if one has none, it asks
# for a new assignment. Kafka-python rejoins by itself when its topics' metadata changes, yet in
# CI `inventario`, alone in a fresh group with a 3-partition topic, was assigned none at
# generation 1 and never rejoined: the lab's start-up waited 60 s for it. (Why, its log could not
# say: kafka-python logs to a NullHandler unless the process sets one.)
# The same for a member the group records as holding partitions it was not given (seen in the
# docker lab's CI after a design switch restarted a static member: "every partition has an owner",
# the owner being this very member, which held none).
# A member idle because the group has more members than partitions finds them all held and
# says so once (`idle ...`), with who holds what: the evidence a stuck start never left.
IDLE_CHECK_S = 5.0
IDLE_CHECK_MOST_S = 60.0


@dataclass
class _Idle:
    due: float        # when to ask the group next
    checks: int = 0   # asked so far in this idle stretch
    said: bool = False  # the `idle ...` line, once a stretch


def unowned(partitions: dict[str, set[int]], members: list[dict]) -> list[tuple[str, int]] | None:
    """The partitions of `partitions` (topic -> its partition numbers) that no member of the
    group holds, sorted; None when it cannot be told: a member's assignment unknown, or the
    group between two assignments (not Stable), or no member listed."""
    if not members or any(m.get("partitions") is None
                          or m.get("group_state") not in (None, "Stable") for m in members):
        return None
    held = {tuple(tp) for m in members for tp in m["partitions"]}
    return sorted((t, p) for t, ps in partitions.items() for p in ps if (t, p) not in held)


def holders(members: list[dict]) -> str:
    """`instance (host) holds t[0],t[1]; ...`: who the group says holds what."""
    return "; ".join(
        f"{m.get('instance') or m.get('member_id')} ({m.get('host') or '?'}) holds "
        f"{_names_of(m['partitions'] or [])}"
        for m in sorted(members, key=lambda m: m.get("instance") or m.get("member_id") or "")
    ) or "no member"


class AtLeastOnceConsumer:
    """The seed's pcKafka consumer, done right (failure mode 1, docs/failure-modes.md).

    - An offset is committed only after the handler succeeded on that message (each
      partition at the last message done, all of a poll's partitions in one commit).
    - A failing message is retried: seek back to it, back off, and never commit past it
      (the seed moved on, and committing N+1 silently dropped N).
    - A poison message goes to the dead-letter topic with the reason, then is committed.
    - `on_failure=FailurePolicy.SKIP` keeps the seed's behaviour: a failed message is skipped,
      uncommitted, and the next success commits past it.

    The handler returns WROTE, IGNORED or ALREADY_DONE (a bool means WROTE or IGNORED); a
    `Batched` handler writes each partition batch at once (not under SKIP, which keeps the
    seed's one-by-one skipping);
    `hooks` lets the lab inject faults between that write and the commit. Every decision
    the loop takes is one log line that starts with its name (`retry`, `dead-letter`,
    `already-done`, `skipped`, `commit-failed`) followed by `topic[partition]@offset`, so a
    student and the lab's scenarios read the same evidence.
    """

    def __init__(self, group: str, topics: list[str], handler, bootstrap: str,
                 on_failure: FailurePolicy = FailurePolicy.RETRY, dead_letter: str = DEAD_LETTER_TOPIC,
                 max_backoff: float = 5.0, instance: str = "1", hooks=None, log=print,
                 priority=None, assignor: str = ASSIGNOR):
        self.group, self.topics = group, topics
        self.assignor = assignor_class(assignor)
        self.priority = priority  # a consumers.priority.Yield: when to step aside
        self.batched = handler if isinstance(handler, Batched) else None
        self.handler = handler.one if self.batched else handler
        self.bootstrap, self.on_failure, self.dead_letter = bootstrap, on_failure, dead_letter
        self.max_backoff, self.instance, self.hooks, self.log = max_backoff, instance, hooks, log
        self.stats = {"processed": 0, "retried": 0, "dead_lettered": 0, "skipped": 0,
                      "commit_failures": 0, "already_done": 0, "held_s": 0.0}
        self._held_at: float | None = None
        self._pending: dict = {}  # partition -> (offset to commit, its last record done)
        self._dead_letter_failures: dict[tuple, int] = {}  # (topic, partition, offset) -> count
        self._consumer = None
        self._producer = None
        self._idle: _Idle | None = None  # while this member holds no partition

    def _open(self):
        from kafka import KafkaConsumer, KafkaProducer

        # Static membership (KIP-345): a restarted instance takes its partitions back at
        # once instead of waiting for the dead one's session to time out.
        self._consumer = KafkaConsumer(
            bootstrap_servers=self.bootstrap.split(","), group_id=self.group,
            group_instance_id=self.instance_id, client_id=self.group,
            enable_auto_commit=False, auto_offset_reset="earliest",
            max_poll_records=50, session_timeout_ms=10000, heartbeat_interval_ms=3000,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS, partition_assignment_strategy=[self.assignor],
            metadata_max_age_ms=METADATA_MAX_AGE_MS, **security())
        self._consumer.subscribe(self.topics, listener=_Rebalances(self))
        self._producer = KafkaProducer(bootstrap_servers=self.bootstrap.split(","), acks="all",
                                       retries=5, **security())

    @property
    def instance_id(self) -> str:
        return f"{self.group}-{self.instance}"

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
        """Publish `record` on the dead-letter topic with its reason. A failure raises (the
        message is retried like any other failure) until DEAD_LETTER_ATTEMPTS, then
        DeadLetterFailed, which stops the consumer."""
        key = (record.topic, record.partition, record.offset)
        try:
            by_reference = self._send_dead_letter(record, reason)
        except Exception as exc:  # noqa: BLE001 - counted, then re-raised
            attempts = self._dead_letter_failures.get(key, 0) + 1
            self._dead_letter_failures[key] = attempts
            if attempts >= DEAD_LETTER_ATTEMPTS:
                raise DeadLetterFailed(
                    f"could not dead-letter {where(record)} after {attempts} attempts ({exc!r}); "
                    f"its partition cannot move past it without losing it. Check the topic "
                    f"{self.dead_letter} (`boletia lab dead-letters`, the brokers' logs), then "
                    f"start this consumer again: it resumes from that message") from exc
            raise
        self._dead_letter_failures.pop(key, None)
        self.stats["dead_lettered"] += 1
        note = " (by reference: its body is too large to copy)" if by_reference else ""
        self.log(f"dead-letter {where(record)}: {reason}{note}")

    def _send_dead_letter(self, record, reason: str) -> bool:
        """Send the dead letter; True when sent by reference, without the original body."""
        headers = [("reason", reason.encode()[:1000]), ("topic", record.topic.encode()),
                   ("partition", str(record.partition).encode()),
                   ("offset", str(record.offset).encode()), ("group", self.group.encode())]
        size = len(record.value or b"") + len(record.key or b"")
        if size <= DEAD_LETTER_MAX_BODY:
            try:
                self._producer.send(self.dead_letter, key=record.key, value=record.value,
                                    headers=headers).get(timeout=30)
                return False
            except MessageSizeTooLargeError:
                pass  # the reason headers tipped it over: by reference, as a large one
        self._producer.send(self.dead_letter, key=None, value=None,
                            headers=[*headers, ("size", str(size).encode()),
                                     ("body", b"by-reference")]).get(timeout=30)
        return True

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
        done (never past a failed one, unless the policy skips it)."""
        if self.batched is not None and self.on_failure is FailurePolicy.RETRY:
            return self._process_batch(tp, records, failures)
        done = None
        try:
            for record in records:
                if self._holding():  # the rest of the batch waits in Kafka, from this one
                    self._seek(tp, record.offset)
                    return
                try:
                    outcome = self._handle(record)
                except DeadLetterFailed:
                    raise
                except Exception as exc:  # noqa: BLE001 - any other failure is worth a retry
                    if self.on_failure is FailurePolicy.SKIP:
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
                    except DeadLetterFailed:
                        raise
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

    def _check_idle(self) -> None:
        """While this member holds no partition, ask the group now and then whether each
        partition of its topics has an owner (IDLE_CHECK_S); none has: rejoin, and say why."""
        now = time.monotonic()
        if self._consumer.assignment():
            self._idle = None
            return
        if self._idle is None:
            self._idle = _Idle(due=now + IDLE_CHECK_S)
            return
        idle = self._idle
        if now < idle.due:
            return
        idle.checks += 1
        idle.due = now + min(IDLE_CHECK_MOST_S, IDLE_CHECK_S * 2 ** idle.checks)
        try:
            partitions = {t: set(self._consumer.partitions_for_topic(t)) for t in self.topics}
            members = group_members(self.bootstrap, [self.group]).get(self.group, [])
        except Exception as exc:  # noqa: BLE001 - a check that could not ask is asked later
            self.log(f"idle {','.join(self.topics)}: could not ask group {self.group} who holds "
                     f"its partitions ({exc!r}); asking again later")
            return
        if not any(m.get("instance") == self.instance_id for m in members):
            return  # still joining: the group does not list this member yet
        lost = unowned(partitions, members)
        if lost is None:
            return
        # the docker lab's CI once showed this one: a restarted static member given none, while
        # the group's coordinator recorded it as holding all three partitions
        mine = sorted(tuple(tp) for m in members if m.get("instance") == self.instance_id
                      for tp in m["partitions"])
        if mine or lost:
            why = (f"the group says this member holds {_names_of(mine)}, yet it was given none"
                   if mine else f"{_names_of(lost)} held by no member of the group, this one "
                                "holding none")
            self.log(f"rejoin {self.group}: {why} ({holders(members)}); asking for a new "
                     "assignment")
            self._consumer._coordinator.request_rejoin()  # kafka-python's own; no public call
        elif not idle.said:
            idle.said = True
            self.log(f"idle {','.join(self.topics)}: every partition has an owner "
                     f"({holders(members)})")

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
                self._check_idle()
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


