"""The at-least-once loop's decisions: what is committed, retried, skipped or survived.

Kafka itself is exercised by the integration tests; here a scripted stand-in for the
kafka-python consumer only replays what it returned and raised, so each rule of the loop
is checked on its own: no I/O.
"""

from __future__ import annotations

import threading
from collections import namedtuple

import pytest
from kafka import TopicPartition
from kafka.errors import (
    CommitFailedError,
    CoordinatorNotAvailableError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
)

from boletia import config
from boletia.adapters import at_least_once as adapter
from boletia.adapters.at_least_once import AtLeastOnceConsumer, Batched, FailurePolicy
from boletia.adapters.errors import PermanentFailure

Record = namedtuple("Record", "topic partition offset key value")
TP = TopicPartition("boletia.reservas", 0)


def records(*offsets: int, tp: TopicPartition = TP) -> list[Record]:
    return [Record(tp.topic, tp.partition, o, b"k", f"m{o}".encode()) for o in offsets]


class ScriptedConsumer:
    """Each poll returns (or raises) the next scripted step; the run stops after the last."""

    def __init__(self, steps, stop: threading.Event, commit_errors=()):
        self.steps, self.stop = list(steps), stop
        self.commit_errors = list(commit_errors)
        self.commits: list[tuple[str, int, int]] = []
        self.requests = 0  # commit calls: each is one request to the group coordinator
        self.seeks: list[tuple[str, int, int]] = []

    def poll(self, timeout_ms=0):
        if not self.steps:
            self.stop.set()
            return {}
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    def commit(self, offsets):
        self.requests += 1
        if self.commit_errors:
            raise self.commit_errors.pop(0)
        for tp, meta in offsets.items():
            self.commits.append((tp.topic, tp.partition, meta.offset))

    def seek(self, tp, offset):
        self.seeks.append((tp.topic, tp.partition, offset))

    def assignment(self):
        return {TP}

    def close(self, autocommit=False):
        pass


class Producer:
    """`fail`: every send fails (True) or the first N do; `max_size`: a larger value is refused
    as Kafka refuses a record over its request size."""

    def __init__(self, fail: bool | int = False, max_size: int | None = None):
        self.fail, self.sent, self.max_size = fail, [], max_size

    def send(self, topic, key=None, value=None, headers=None):
        if self.fail is True or (self.fail and not isinstance(self.fail, bool)):
            if not isinstance(self.fail, bool):
                self.fail -= 1
            raise KafkaTimeoutError("dead-letter topic unavailable")
        if self.max_size is not None and len(value or b"") > self.max_size:
            raise MessageSizeTooLargeError("The message is too large")
        self.sent.append((topic, value, dict(headers)))
        return self

    def get(self, timeout=None):
        return None

    def close(self):
        pass


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(adapter.time, "sleep", lambda s: None)


def consume(steps, handler, on_failure=FailurePolicy.RETRY, commit_errors=(), producer=None):
    stop = threading.Event()
    kafka_consumer = ScriptedConsumer(steps, stop, commit_errors)
    c = AtLeastOnceConsumer("g", [TP.topic], handler, "localhost:1", on_failure=on_failure,
                            log=lambda m: None)
    c._open = lambda: None
    c._consumer, c._producer = kafka_consumer, producer or Producer()
    c.run(stop)
    return c, kafka_consumer


def test_commits_once_per_batch_at_the_last_message_done():
    seen = []
    c, k = consume([{TP: records(0, 1, 2)}], lambda r: seen.append(r.offset) or True)
    assert seen == [0, 1, 2]
    assert k.commits == [(TP.topic, 0, 3)]
    assert c.stats["processed"] == 3


TP1 = TopicPartition("boletia.reservas", 1)


def test_the_partitions_of_one_poll_are_committed_in_one_request():
    c, k = consume([{TP: records(0, 1), TP1: records(5, 6, 7, tp=TP1)}, {TP: records(2)}],
                   lambda r: True)
    assert sorted(k.commits) == [(TP.topic, 0, 2), (TP.topic, 0, 3), (TP.topic, 1, 8)]
    assert k.requests == 2  # one a poll, not one a partition batch


def test_a_commit_left_when_the_loop_ends_is_made():
    stop = threading.Event()
    k = ScriptedConsumer([], stop)
    c = AtLeastOnceConsumer("g", [TP.topic], lambda r: True, "localhost:1", log=lambda m: None)
    c._open = lambda: None
    c._consumer, c._producer = k, Producer()
    c._mark_done(records(4)[0])  # done, then the loop ends before the poll's commit
    stop.set()
    c.run(stop)
    assert k.commits == [(TP.topic, 0, 5)]


def test_a_partition_that_fails_does_not_hold_back_the_others_commit(monkeypatch):
    def handler(r):
        if r.partition == 0:
            raise RuntimeError("store away")
        return True
    stop = threading.Event()
    k = ScriptedConsumer([{TP1: records(5, 6, tp=TP1), TP: records(0, 1)}], stop)
    committed_at_backoff = []
    monkeypatch.setattr(adapter.time, "sleep", lambda s: committed_at_backoff.append(list(k.commits)))
    c = AtLeastOnceConsumer("g", [TP.topic], handler, "localhost:1", log=lambda m: None)
    c._open = lambda: None
    c._consumer, c._producer = k, Producer()
    c.run(stop)
    # partition 1 is committed before partition 0's back-off, not after it
    assert committed_at_backoff == [[(TP.topic, 1, 7)]]
    assert k.commits == [(TP.topic, 1, 7)] and k.seeks == [(TP.topic, 0, 0)]


def test_a_refused_commit_names_every_partition_it_covered():
    lines = []
    stop = threading.Event()
    k = ScriptedConsumer([{TP: records(0), TP1: records(4, tp=TP1)}], stop,
                         [CommitFailedError("group rebalanced")])
    c = AtLeastOnceConsumer("g", [TP.topic], lambda r: True, "localhost:1", log=lines.append)
    c._open = lambda: None
    c._consumer, c._producer = k, Producer()
    c.run(stop)
    failed = [line for line in lines if line.startswith("commit-failed")]
    assert sorted(line.split(":")[0] for line in failed) == [
        "commit-failed boletia.reservas[0]@0", "commit-failed boletia.reservas[1]@4"]
    assert c.stats["commit_failures"] == 1 and k.commits == []


def test_fixed_design_retries_a_failed_message_and_never_commits_past_it():
    attempts = {}

    def handler(r):
        attempts[r.offset] = attempts.get(r.offset, 0) + 1
        if r.offset == 1 and attempts[1] == 1:
            raise RuntimeError("write failed")
        return True

    c, k = consume([{TP: records(0, 1, 2)}, {TP: records(1, 2)}], handler)
    assert k.seeks == [(TP.topic, 0, 1)]          # back to the failed message
    assert k.commits == [(TP.topic, 0, 1), (TP.topic, 0, 3)]  # 0 done, then 1 and 2
    assert attempts == {0: 1, 1: 2, 2: 1}
    assert c.stats["retried"] == 1


def test_seed_design_moves_on_and_its_next_commit_skips_the_failed_message():
    def handler(r):
        if r.offset == 1:
            raise RuntimeError("write failed")
        return True

    c, k = consume([{TP: records(0, 1, 2)}], handler, on_failure=FailurePolicy.SKIP)
    assert k.seeks == []
    assert k.commits == [(TP.topic, 0, 3)]  # offset 1 is committed without being done
    assert c.stats["skipped"] == 1


def test_a_refused_commit_does_not_stop_the_consumer():
    # a broker dies and the group coordinator moves: the commit is refused, the next works
    seen = []
    c, k = consume([{TP: records(0, 1)}, {TP: records(2)}],
                   lambda r: seen.append(r.offset) or True,
                   commit_errors=[CommitFailedError("group rebalanced")])
    assert seen == [0, 1, 2]
    assert k.commits == [(TP.topic, 0, 3)]  # the later commit covers the refused one
    assert c.stats["commit_failures"] == 1


def test_a_failed_poll_is_retried():
    seen = []
    c, k = consume([CoordinatorNotAvailableError(), KafkaTimeoutError("coordinator away"),
                    {TP: records(0)}], lambda r: seen.append(r.offset) or True)
    assert seen == [0] and k.commits == [(TP.topic, 0, 1)]


def test_poison_goes_to_the_dead_letter_topic_with_its_reason_and_is_committed():
    def handler(r):
        raise PermanentFailure("not extended JSON")

    producer = Producer()
    c, k = consume([{TP: records(0)}], handler, producer=producer)
    (topic, value, headers), = producer.sent
    assert topic == adapter.DEAD_LETTER_TOPIC and value == b"m0"
    assert headers["reason"] == b"not extended JSON" and headers["offset"] == b"0"
    assert k.commits == [(TP.topic, 0, 1)]


def test_poison_that_cannot_be_dead_lettered_is_retried_not_dropped():
    def handler(r):
        raise PermanentFailure("not extended JSON")

    c, k = consume([{TP: records(0)}], handler, producer=Producer(fail=True))
    assert k.commits == [] and k.seeks == [(TP.topic, 0, 0)]
    assert c.stats["retried"] == 1 and c.stats["dead_lettered"] == 0


def _poison(r):
    raise PermanentFailure("not extended JSON")


def test_a_dead_letter_that_never_publishes_stops_the_consumer_after_bounded_attempts():
    """Issue 28.4: retried forever, it wedged its partition silently. Now a bounded number of
    attempts, then DeadLetterFailed (the runner stops the process and says so); the message
    is never committed past, so nothing is lost."""
    polls = [{TP: records(0)}] * (adapter.DEAD_LETTER_ATTEMPTS + 3)
    with pytest.raises(adapter.DeadLetterFailed, match=r"boletia.reservas\[0\]@0 after 5 attempts"):
        consume(polls, _poison, producer=Producer(fail=True))


def test_a_batch_whose_dead_letter_never_publishes_stops_and_commits_what_was_done():
    store = Store(poison={1})
    stop = threading.Event()
    kafka_consumer = ScriptedConsumer([{TP: records(0, 1, 2)}]
                                      + [{TP: records(1, 2)}] * adapter.DEAD_LETTER_ATTEMPTS, stop)
    c = AtLeastOnceConsumer("g", [TP.topic], store.handler(), "localhost:1", log=lambda m: None)
    c._open = lambda: None
    c._consumer, c._producer = kafka_consumer, Producer(fail=True)
    with pytest.raises(adapter.DeadLetterFailed):
        c.run(stop)
    assert kafka_consumer.commits == [(TP.topic, 0, 1)]  # 0 done; never past the poison


def test_a_dead_letter_that_publishes_on_a_later_attempt_is_committed():
    producer = Producer(fail=adapter.DEAD_LETTER_ATTEMPTS - 1)
    c, k = consume([{TP: records(0)}] * adapter.DEAD_LETTER_ATTEMPTS, _poison, producer=producer)
    assert c.stats["dead_lettered"] == 1 and k.commits == [(TP.topic, 0, 1)]
    assert c._dead_letter_failures == {}


def test_an_oversized_message_is_dead_lettered_by_reference():
    big = Record(TP.topic, 0, 7, b"k", b"x" * (adapter.DEAD_LETTER_MAX_BODY + 1))
    producer = Producer()
    c, k = consume([{TP: [big]}], _poison, producer=producer)
    (topic, value, headers), = producer.sent
    assert value is None and headers["body"] == b"by-reference"
    assert headers["size"] == str(len(big.value) + 1).encode() and headers["offset"] == b"7"
    assert headers["reason"] == b"not extended JSON" and k.commits == [(TP.topic, 0, 8)]


def test_a_dead_letter_kafka_refuses_as_too_large_is_sent_by_reference():
    producer = Producer(max_size=1)
    c, k = consume([{TP: records(0)}], _poison, producer=producer)
    (_, value, headers), = producer.sent
    assert value is None and headers["body"] == b"by-reference" and k.commits == [(TP.topic, 0, 1)]


class Store:
    """A `Batched` handler's two steps over a list standing in for the store: decide is the
    record's offset (or a scripted failure), write records each call's batch."""

    def __init__(self, decide_fails=(), write_fails=0, poison=()):
        self.decide_fails, self.write_fails = set(decide_fails), write_fails
        self.poison, self.calls, self.written = set(poison), [], set()

    def decide(self, r):
        if r.offset in self.poison:
            raise PermanentFailure("not extended JSON")
        if r.offset in self.decide_fails:
            self.decide_fails.discard(r.offset)
            raise RuntimeError("decision failed")
        return r.offset

    def write(self, offsets):
        self.calls.append(list(offsets))
        if self.write_fails:
            self.write_fails -= 1
            raise RuntimeError("store away")
        out = [adapter.ALREADY_DONE if o in self.written else adapter.WROTE for o in offsets]
        self.written.update(offsets)
        return out

    def handler(self):
        return Batched(self.decide, self.write)


def test_a_batched_handler_writes_a_partition_batch_at_once_and_commits_once():
    store = Store()
    c, k = consume([{TP: records(0, 1, 2)}], store.handler())
    assert store.calls == [[0, 1, 2]]
    assert k.commits == [(TP.topic, 0, 3)] and c.stats["processed"] == 3


def test_a_batch_whose_write_failed_is_retried_whole_and_nothing_is_committed_first():
    store = Store(write_fails=1)
    c, k = consume([{TP: records(0, 1, 2)}, {TP: records(0, 1, 2)}], store.handler())
    assert store.calls == [[0, 1, 2], [0, 1, 2]]
    assert k.seeks == [(TP.topic, 0, 0)]
    assert k.commits == [(TP.topic, 0, 3)] and c.stats["retried"] == 1


def test_a_redelivered_batch_reports_its_work_as_already_done():
    store = Store()
    c, k = consume([{TP: records(0, 1)}, {TP: records(0, 1, 2)}], store.handler())
    assert c.stats["already_done"] == 2
    assert k.commits == [(TP.topic, 0, 2), (TP.topic, 0, 3)]


def test_a_decision_that_fails_commits_the_messages_before_it_and_retries_from_it():
    store = Store(decide_fails={1})
    c, k = consume([{TP: records(0, 1, 2)}, {TP: records(1, 2)}], store.handler())
    assert store.calls == [[0], [1, 2]]
    assert k.seeks == [(TP.topic, 0, 1)]
    assert k.commits == [(TP.topic, 0, 1), (TP.topic, 0, 3)]


def test_poison_in_a_batch_is_dead_lettered_and_the_rest_written():
    store, producer = Store(poison={1}), Producer()
    c, k = consume([{TP: records(0, 1, 2)}], store.handler(), producer=producer)
    assert store.calls == [[0, 2]]
    assert [h["offset"] for _, _, h in producer.sent] == [b"1"]
    assert k.commits == [(TP.topic, 0, 3)]


def test_poison_that_cannot_be_dead_lettered_is_where_the_batch_stops_committing():
    store = Store(poison={1})
    c, k = consume([{TP: records(0, 1, 2)}], store.handler(), producer=Producer(fail=True))
    assert store.calls == [[0, 2]]          # 2 was written: it comes back as already done
    assert k.commits == [(TP.topic, 0, 1)] and k.seeks == [(TP.topic, 0, 1)]


def test_a_batch_retried_whole_dead_letters_its_poison_once():
    store, producer = Store(poison={1}, write_fails=1), Producer()
    c, k = consume([{TP: records(0, 1, 2)}, {TP: records(0, 1, 2)}], store.handler(),
                   producer=producer)
    assert [h["offset"] for _, _, h in producer.sent] == [b"1"]
    assert k.commits == [(TP.topic, 0, 3)]


def test_the_seed_design_keeps_writing_one_by_one_and_skipping():
    store = Store(decide_fails={1})
    c, k = consume([{TP: records(0, 1, 2)}], store.handler(), on_failure=FailurePolicy.SKIP)
    assert store.calls == [[0], [2]]
    assert k.commits == [(TP.topic, 0, 3)] and c.stats["skipped"] == 1


def test_the_runner_reopens_a_consumer_that_failed_outside_any_message(monkeypatch):
    from boletia import designs
    from boletia.consumers import runner

    opened, logged = [], []

    class Failing:
        def __init__(self, group, topics, handler, bootstrap, on_failure, hooks, log, instance,
                     priority=None):
            self.stats = {"processed": 0}
            opened.append(self)

        def run(self, stop):
            if len(opened) == 1:
                raise RuntimeError("client library fell over")
            stop.set()

    monkeypatch.setattr(runner, "AtLeastOnceConsumer", Failing)
    monkeypatch.setattr(runner.signal, "signal", lambda *a: None)
    monkeypatch.setattr(runner, "log", logged.append)
    monkeypatch.setattr(threading.Event, "wait", lambda self, t=None: True)
    runner.run("g", [TP.topic], lambda topic, doc: True, config.Settings(), designs.get("fixed"))
    assert len(opened) == 2
    assert any("failed (#1), reopening" in m and "client library fell over" in m for m in logged)
    assert logged[-1].startswith("g: stopped")


def test_the_runner_stops_when_a_dead_letter_cannot_be_published(monkeypatch):
    """Not reopened (it would meet the same message again, in a loop nobody sees): the process
    exits non-zero, and its last line says why."""
    from boletia import designs
    from boletia.consumers import runner

    opened, logged = [], []

    class Wedged:
        def __init__(self, *a, **kw):
            self.stats = {}
            opened.append(self)

        def run(self, stop):
            if len(opened) > 1:  # reopened: the old behaviour, ended here
                stop.set()
            raise adapter.DeadLetterFailed("could not dead-letter boletia.reservas[0]@3")

    monkeypatch.setattr(runner, "AtLeastOnceConsumer", Wedged)
    monkeypatch.setattr(runner.signal, "signal", lambda *a: None)
    monkeypatch.setattr(runner, "log", logged.append)
    with pytest.raises(SystemExit) as exited:
        runner.run("g", [TP.topic], lambda topic, doc: True, config.Settings(), designs.get("fixed"))
    assert exited.value.code != 0 and len(opened) == 1
    assert "STOPPED (unhealthy)" in logged[-1] and "boletia.reservas[0]@3" in logged[-1]


def test_a_broker_holds_an_empty_fetch_100_ms_not_500(monkeypatch):
    """Kafka's default 500 ms delayed a partition's records left out of the fetch in flight."""
    import kafka

    opened = {}

    class Recorder:
        def __init__(self, *topics, **config):
            opened.update(config)

        def subscribe(self, topics, listener=None):
            opened.update(topics=topics, listener=listener)

    monkeypatch.setattr(kafka, "KafkaConsumer", Recorder)
    monkeypatch.setattr(kafka, "KafkaProducer", lambda **config: None)
    AtLeastOnceConsumer("g", [TP.topic], lambda r: True, "localhost:1")._open()
    assert opened["fetch_max_wait_ms"] == adapter.FETCH_MAX_WAIT_MS == 100


def test_the_consumer_joins_with_the_chosen_assignor_only(monkeypatch):
    """One assignor, never mixed: kafka-python refuses eager and cooperative ones together, and
    the group's members must all offer the one they share (docs/architecture.md says which)."""
    import kafka

    opened = {}

    class Recorder:
        def __init__(self, *topics, **config):
            opened.update(config)

        def subscribe(self, topics, listener=None):
            opened.update(topics=topics, listener=listener)

    monkeypatch.setattr(kafka, "KafkaConsumer", Recorder)
    monkeypatch.setattr(kafka, "KafkaProducer", lambda **config: None)
    AtLeastOnceConsumer("g", [TP.topic], lambda r: True, "localhost:1")._open()
    [chosen] = opened["partition_assignment_strategy"]
    assert chosen.name == adapter.ASSIGNOR
    AtLeastOnceConsumer("g", [TP.topic], lambda r: True, "localhost:1", assignor="range")._open()
    assert [c.name for c in opened["partition_assignment_strategy"]] == ["range"]
    assert opened["topics"] == [TP.topic] and opened["listener"] is not None


def test_each_rebalance_is_one_log_line_with_the_partitions_that_moved():
    """What a student reads to see a rebalance (and the scale scenarios prove theirs with)."""
    logged = []
    c = AtLeastOnceConsumer("g", [TP.topic], lambda r: True, "localhost:1", log=logged.append)
    held = {TP, TopicPartition(TP.topic, 2)}

    class Generation:
        generation_id = 7

    class Coordinator:
        _generation = Generation()

    class Consumer:
        _coordinator = Coordinator()

        def assignment(self):
            return held
    c._consumer = Consumer()
    listener = adapter._Rebalances(c)
    listener.on_partitions_revoked(set())  # nothing taken: nothing said
    listener.on_partitions_revoked({TopicPartition(TP.topic, 1)})
    listener.on_partitions_assigned({TopicPartition(TP.topic, 2)})
    assert logged == [
        f"rebalance revoked boletia.reservas[1] (they stop here until the group assigns them "
        f"again; {adapter.ASSIGNOR})",
        f"rebalance generation 7 assigned boletia.reservas[2]; holds boletia.reservas[0],"
        f"boletia.reservas[2] ({adapter.ASSIGNOR})"]


def test_every_assignor_name_is_kafka_pythons_and_an_unknown_one_is_named():
    assert [adapter.assignor_class(n).name for n in adapter.ASSIGNORS] == list(adapter.ASSIGNORS)
    with pytest.raises(ValueError, match="unknown assignor 'sticky-ish'.*cooperative-sticky"):
        adapter.assignor_class("sticky-ish")


def test_the_partitions_no_member_holds_are_found_and_an_unreadable_group_is_not_judged():
    parts = {"t": {0, 1, 2}}
    row = {"instance": "g-local", "group_state": "Stable", "partitions": [("t", 0)]}
    assert adapter.unowned(parts, [row]) == [("t", 1), ("t", 2)]
    assert adapter.unowned(parts, [row, {**row, "partitions": [("t", 1), ("t", 2)]}]) == []
    assert adapter.unowned(parts, []) is None                                   # nobody listed
    assert adapter.unowned(parts, [{**row, "partitions": None}]) is None        # undecodable
    assert adapter.unowned(parts, [{**row, "group_state": "PreparingRebalance"}]) is None


class IdleConsumer:
    """A member holding nothing, of a topic of three partitions; counts the rejoins it is asked."""

    def __init__(self):
        self.rejoins = 0
        outer = self

        class Coordinator:
            def request_rejoin(self):
                outer.rejoins += 1
        self._coordinator = Coordinator()

    def assignment(self):
        return set()

    def partitions_for_topic(self, topic):
        return {0, 1, 2}


def idle_member(monkeypatch, described):
    """A loop whose member holds none, its group described as `described` (a list of rows, or
    an exception to raise), and a clock the test moves: (loop, consumer, log, clock)."""
    clock, logged, asked = [100.0], [], []
    monkeypatch.setattr(adapter.time, "monotonic", lambda: clock[0])

    def group_members(bootstrap, groups):
        asked.append(clock[0])
        if isinstance(described, Exception):
            raise described
        return {groups[0]: described}
    monkeypatch.setattr(adapter, "group_members", group_members)
    c = AtLeastOnceConsumer("inventario", ["t"], lambda r: True, "localhost:1", log=logged.append,
                            instance="local")
    c._consumer = IdleConsumer()
    return c, c._consumer, logged, clock, asked


def tick(c, clock, until: float, step: float = 0.5):
    while clock[0] < until:
        c._check_idle()
        clock[0] += step


def test_a_member_left_with_none_while_its_partitions_have_no_owner_asks_the_group_again(monkeypatch):
    me = {"instance": "inventario-local", "host": "/127.0.0.1", "group_state": "Stable",
          "partitions": []}
    c, consumer, logged, clock, asked = idle_member(monkeypatch, [me])
    tick(c, clock, 104.5)
    assert consumer.rejoins == 0 and asked == []          # not before IDLE_CHECK_S
    tick(c, clock, 106)
    assert consumer.rejoins == 1 and asked == [105.0]
    assert logged == ["rejoin inventario: t[0],t[1],t[2] held by no member of the group, this one "
                      "holding none (inventario-local (/127.0.0.1) holds none); asking for a new "
                      "assignment"]
    tick(c, clock, 200)                                   # then at doubling intervals, 60 s at most
    assert asked == [105.0, 115.0, 135.0, 175.0]


def test_a_member_idle_in_a_group_that_holds_every_partition_says_so_once_and_never_rejoins(
        monkeypatch):
    rows = [{"instance": f"inventario-local{k}", "host": "/127.0.0.1", "group_state": "Stable",
             "partitions": held} for k, held in (("", []), ("-2", [("t", 0), ("t", 1)]),
                                                  ("-3", [("t", 2)]))]
    c, consumer, logged, clock, asked = idle_member(monkeypatch, rows)
    tick(c, clock, 400)
    assert consumer.rejoins == 0 and len(asked) > 3
    assert logged == ["idle t: every partition has an owner (inventario-local (/127.0.0.1) holds "
                      "none; inventario-local-2 (/127.0.0.1) holds t[0],t[1]; inventario-local-3 "
                      "(/127.0.0.1) holds t[2])"]


@pytest.mark.parametrize("described", [
    [{"instance": "inventario-local", "group_state": "CompletingRebalance", "partitions": []}],
    [{"instance": "inventario-local-2", "group_state": "Stable", "partitions": []}],  # not us yet
    [{"instance": "inventario-local", "group_state": "Stable", "partitions": None}],
], ids=["rebalancing", "not-a-member-yet", "undecodable"])
def test_a_group_that_cannot_be_judged_is_asked_again_later_without_a_rejoin(monkeypatch, described):
    c, consumer, logged, clock, asked = idle_member(monkeypatch, described)
    tick(c, clock, 140)
    assert consumer.rejoins == 0 and logged == [] and len(asked) == 3


def test_a_check_that_could_not_ask_the_group_says_so_and_asks_later(monkeypatch):
    c, consumer, logged, clock, asked = idle_member(
        monkeypatch, CoordinatorNotAvailableError("coordinator moved"))
    tick(c, clock, 116)
    assert consumer.rejoins == 0 and asked == [105.0, 115.0]
    assert logged[0].startswith("idle t: could not ask group inventario who holds its partitions "
                                "(CoordinatorNotAvailableError")


def test_a_member_given_partitions_ends_its_idle_stretch(monkeypatch):
    c, consumer, logged, clock, asked = idle_member(monkeypatch, [])
    tick(c, clock, 103)
    consumer.assignment = lambda: {TP}
    tick(c, clock, 200)
    assert asked == [] and c._idle is None


def test_a_member_the_group_records_as_holding_partitions_it_was_not_given_asks_again(monkeypatch):
    """Seen in the docker lab's CI: a restarted static member given none while the coordinator
    recorded that same instance as holding all three partitions."""
    me = {"instance": "inventario-local", "host": "/172.20.0.12", "group_state": "Stable",
          "partitions": [("t", 0), ("t", 1), ("t", 2)]}
    c, consumer, logged, clock, asked = idle_member(monkeypatch, [me])
    tick(c, clock, 106)
    assert consumer.rejoins == 1
    assert logged == ["rejoin inventario: the group says this member holds t[0],t[1],t[2], yet it was "
                      "given none (inventario-local (/172.20.0.12) holds t[0],t[1],t[2]); asking for "
                      "a new assignment"]
