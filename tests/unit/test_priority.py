"""The email path steps aside while bookings arrive fast, and never for good: the policy on
its own (time and end offsets given), then the loop pausing and resuming a scripted
kafka-python consumer. No I/O."""

from __future__ import annotations

import threading

import pytest
from kafka import TopicPartition
from kafka.errors import KafkaTimeoutError

from boletia.adapters import at_least_once as adapter
from boletia.adapters.at_least_once import AtLeastOnceConsumer
from boletia.consumers.priority import Yield
from tests.unit.test_consumer_loop import TP, Producer, ScriptedConsumer, records

TP1 = TopicPartition(TP.topic, 1)


def test_holds_while_arrivals_pass_the_threshold_and_runs_once_they_stayed_slow():
    y = Yield(above=50, calm=2)
    assert y.observe(0.0, {TP: 0}) is False          # one sample: no rate yet
    assert y.observe(1.0, {TP: 80}) is True          # 80/s
    assert y.rate == 80
    assert y.observe(2.0, {TP: 130}) is True         # 50/s: not above, for 1 s only
    assert y.observe(3.0, {TP: 130}) is False        # 2 s at or below 50/s: runs
    assert y.observe(4.0, {TP: 130}) is False


def test_a_quiet_second_between_two_lumps_does_not_end_the_hold():
    # Connect publishes a poll's worth of changes at once: 120, nothing, 120, then nothing
    lumps = ((1.0, 120), (2.0, 120), (3.0, 240), (4.0, 240), (5.0, 240), (6.0, 240))

    def held(calm):
        y = Yield(above=50, calm=calm)
        y.observe(0.0, {TP: 0})
        return [y.observe(t, {TP: end}) for t, end in lumps]
    assert held(calm=2) == [True, True, True, True, False, False]
    assert held(calm=1) == [True, False, True, False, False, False]  # without: it flaps


def test_counts_arrivals_over_every_partition():
    y = Yield(above=50)
    y.observe(0.0, {TP: 0, TP1: 0})
    assert y.observe(1.0, {TP: 30, TP1: 30}) is True  # 30/s each, 60/s in all


def test_a_partition_gained_in_a_rebalance_is_not_an_arrival():
    y = Yield(above=50)
    y.observe(0.0, {TP: 0})
    assert y.observe(1.0, {TP: 10, TP1: 5000}) is False
    assert y.rate == 10


def test_never_holds_longer_than_max_hold_then_runs_for_run_for():
    y = Yield(above=10, max_hold=3, run_for=2)
    y.observe(0.0, {TP: 0})
    held = [y.observe(t, {TP: 100 * t}) for t in (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0)]
    # held from 1 s; at 4 s it has held 3 s: it runs until 6 s, then holds again
    assert held == [True, True, True, False, False, True, True]


def test_due_once_per_interval():
    y = Yield(above=10, interval=1.0)
    assert y.due(0.0)
    y.observe(0.0, {TP: 0})
    assert not y.due(0.5)
    assert y.due(1.0)


class Steerable(ScriptedConsumer):
    """The scripted consumer, with end offsets that grow as a clock says, and pause state."""

    def __init__(self, steps, stop, ends):
        super().__init__(steps, stop)
        self.ends, self.calls, self._paused = list(ends), 0, set()
        self.history: list[bool] = []

    def end_offsets(self, partitions, timeout_ms=None):
        end = self.ends.pop(0)
        if isinstance(end, Exception):
            raise end
        return dict.fromkeys(partitions, end)

    def poll(self, timeout_ms=0):
        self.history.append(bool(self._paused))
        if self._paused and self.steps and self.steps[0]:
            return {}  # paused: nothing fetched, the step waits
        return super().poll(timeout_ms)

    def pause(self, *tps):
        self._paused |= set(tps)

    def resume(self, *tps):
        self._paused -= set(tps)

    def paused(self):
        return set(self._paused)


@pytest.fixture
def clock(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(adapter.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(adapter.time, "sleep", lambda s: None)
    return now


def steer(clock, steps, ends, handler=lambda r: True):
    stop = threading.Event()
    k = Steerable(steps, stop, ends)
    logs: list[str] = []
    c = AtLeastOnceConsumer("g", [TP.topic], handler, "localhost:1", log=logs.append,
                            priority=Yield(above=50, interval=1.0))
    c._open = lambda: None
    c._consumer, c._producer = k, Producer()
    real_poll = k.poll

    def tick(timeout_ms=0):
        clock[0] += 1.0  # each poll takes the policy's interval
        return real_poll(timeout_ms)
    k.poll = tick
    c.run(stop)
    return c, k, logs


def test_the_loop_pauses_while_bookings_pour_in_and_loses_nothing(clock):
    seen = []
    # 0 s: first sample; 1 s: +100 (hold); 2 s: +100 (hold); 3 s: +0 (slow for 1 s: hold);
    # 4 s: +0 (slow for 2 s: resume)
    c, k, logs = steer(clock, [{}, {TP: records(0, 1)}],
                       [0, 100, 200, 200, 200, 200, 200, 200],
                       handler=lambda r: seen.append(r.offset) or True)
    assert k.history[:5] == [False, True, True, True, False]  # paused while 100/s came
    assert seen == [0, 1]                             # then everything was handled once
    assert k.commits == [(TP.topic, 0, 2)]
    assert [m.split()[0] for m in logs] == ["yield", "resume"]
    assert "100 changes/s arriving, above 50/s" in logs[0]
    assert c.stats["held_s"] == 3.0


def test_a_hold_decided_in_the_middle_of_a_poll_leaves_the_rest_in_kafka(clock):
    """Emails went at about 10 a second during a burst: a poll's 50 took 5 s, and a policy
    asked only between polls stepped aside after the burst. Asked between messages, it stops
    at once; the rest of the poll is sought back to, fetched again on resume, handled once."""
    seen = []

    def slow_email(record):
        seen.append(record.offset)
        clock[0] += 1.0  # a second an email, while bookings pour in
        return True
    # samples: 0 s first; 1 s +10 and 2 s +10 (run); 3 s +100 (hold, after offset 0 was
    # handled); 4 s +100; 5 s and 6 s +0 (slow for 2 s: resume); then nothing new
    c, k, logs = steer(clock, [{}, {TP: records(0, 1, 2, 3, 4)}, {TP: records(1, 2, 3, 4)}],
                       [0, 10, 20, 120, 220] + [220] * 20, handler=slow_email)
    assert k.seeks == [(TP.topic, 0, 1)]              # back to the first one not handled
    assert seen == [0, 1, 2, 3, 4]                    # each handled once, none lost
    assert k.commits == [(TP.topic, 0, 1), (TP.topic, 0, 5)]  # never past one not handled
    assert [m.split()[0] for m in logs] == ["yield", "resume"]


def test_end_offsets_that_cannot_be_read_mean_run(clock):
    seen = []
    c, k, logs = steer(clock, [{}, {}, {TP: records(0)}],
                       [0, 100, KafkaTimeoutError("no leader"), 100, 100],
                       handler=lambda r: seen.append(r.offset) or True)
    assert seen == [0]
    assert k.paused() == set()
    assert [m.split()[0] for m in logs] == ["yield", "resume"]


@pytest.mark.parametrize("name, value, says", [
    ("BOLETIA_EMAIL_YIELD_ABOVE", "-1", "greater than or equal to 0"),
    ("BOLETIA_EMAIL_MAX_HOLD", "0", "greater than 0"),
    ("BOLETIA_EMAIL_MAX_HOLD", "soon", "valid number"),
    ("BOLETIA_EMAIL_CALM", "-2", "greater than or equal to 0")])
def test_a_bad_yield_setting_is_named_and_refused(monkeypatch, name, value, says):
    from boletia import config

    monkeypatch.setenv(name, value)
    config.settings.cache_clear()
    try:
        with pytest.raises(config.SettingsError) as err:
            config.settings()
    finally:
        monkeypatch.undo()
        config.settings.cache_clear()
    assert name in str(err.value) and says in str(err.value)
    assert "designs are" not in str(err.value)  # the design is not what is wrong
