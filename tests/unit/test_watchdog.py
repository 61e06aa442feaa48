"""The connector watchdog's rules, on scripted statuses and a scripted clock (no I/O)."""

from __future__ import annotations

import pytest

from boletia.lab.setup import watchdog
from boletia.lab.setup.watchdog import (
    STALL_AFTER,
    ConnectorWatchdog,
    ConsumerWatch,
    ProgressWatch,
    read_stalled,
)

TRACE = "org.apache.kafka.connect.errors.ConnectException: boom\n at x"
FAILED = {"connector": {"state": "RUNNING"}, "tasks": [{"id": 0, "state": "FAILED", "trace": TRACE}]}
RUNNING = {"connector": {"state": "RUNNING"}, "tasks": [{"id": 0, "state": "RUNNING"}]}


def make():
    now = [0.0]
    logged, restarted = [], []
    dog = ConnectorWatchdog("http://connect", log=logged.append, clock=lambda: now[0])
    dog.restart = restarted.append
    return dog, now, logged, restarted


def test_a_failed_task_is_restarted_with_a_growing_back_off():
    dog, now, logged, restarted = make()
    times = []
    for t in range(0, 40):
        now[0] = float(t)
        before = len(restarted)
        dog.check({"mongo-source": FAILED})
        if len(restarted) > before:
            times.append(t)
    assert times == [0, 5, 15, 35]  # waits 5, 10, 20 s between restarts
    assert "restart mongo-source (task 0 FAILED; attempt 1, next in 5s" in logged[0]
    assert "ConnectException: boom" in logged[0]


def test_a_connector_that_ran_two_minutes_starts_its_back_off_again():
    dog, now, logged, restarted = make()
    dog.check({"s": FAILED})
    now[0] = 1
    dog.check({"s": RUNNING})
    now[0] = 1 + watchdog.HEALTHY_AFTER
    dog.check({"s": RUNNING})
    assert any(line.startswith("recovered s") for line in logged)
    now[0] += 1
    dog.check({"s": FAILED})
    assert "attempt 1," in logged[-1] and len(restarted) == 2


def test_running_connectors_are_left_alone():
    dog, _, logged, restarted = make()
    dog.check({"a": RUNNING, "b": RUNNING})
    assert not restarted and not logged


def test_a_failed_connector_itself_is_named():
    status = {"connector": {"state": "FAILED", "trace": "bad uri"}, "tasks": []}
    assert watchdog.failed_parts(status) == ["connector"]
    assert watchdog.first_trace_line(status) == "bad uri"


# ---------------------------------------------------------------- the consumers' progress

P = "boletia.inventario[0]"


def _positions(committed: int, end: int, group: str = "inventario") -> dict:
    return {group: {P: (committed, end)}}


def test_a_consumer_that_commits_nothing_while_messages_wait_is_stalled_then_progressing():
    w = ProgressWatch()
    assert w.observe(0, _positions(10, 12)) == []
    assert w.observe(STALL_AFTER - 1, _positions(10, 20)) == [] and not w.stalled
    (line,) = w.observe(STALL_AFTER, _positions(10, 30))
    assert line.startswith(f"stalled inventario {P}: no commit past offset 10")
    assert "20 message(s) wait, grew from 2" in line and P in w.stalled["inventario"]
    assert w.observe(STALL_AFTER + 5, _positions(10, 31)) == []  # said once
    (line,) = w.observe(STALL_AFTER + 10, _positions(31, 31))
    assert line.startswith(f"progressing inventario {P}: committed 31") and not w.stalled


@pytest.mark.parametrize("steps", [
    [(10, 10), (10, 10)],          # idle, nothing waits: healthy however long
    [(10, 20), (15, 40)],          # commits move: busy, not stalled
    [(-1, 0), (-1, 0)],            # a new group on an empty partition
])
def test_a_consumer_with_nothing_waiting_or_that_moves_is_not_stalled(steps):
    w = ProgressWatch()
    for i, (committed, end) in enumerate(steps):
        assert w.observe(i * STALL_AFTER, _positions(committed, end)) == []
    assert not w.stalled


def test_the_stalled_file_is_written_and_cleared(tmp_path):
    now = [0.0]
    logged: list[str] = []
    watch = ConsumerWatch("localhost:1", {"inventario": ("boletia.inventario",)}, tmp_path,
                          log=logged.append, clock=lambda: now[0])
    feed = iter([_positions(3, 9), _positions(3, 9), _positions(9, 9)])
    watch.positions = lambda: next(feed)
    watch.check()
    now[0] = STALL_AFTER
    watch.check()
    assert "no commit past offset 3" in read_stalled(tmp_path, "inventario")
    now[0] += 1
    watch.check()
    assert read_stalled(tmp_path, "inventario") == ""
    assert [m.split()[0] for m in logged] == ["stalled", "progressing"]


def test_offsets_that_cannot_be_read_judge_nothing(tmp_path):
    logged: list[str] = []
    watch = ConsumerWatch("localhost:1", {"inventario": ("boletia.inventario",)}, tmp_path,
                          log=logged.append)

    def away():
        raise OSError("no broker")
    watch.positions = away
    watch.check()
    assert read_stalled(tmp_path, "inventario") == "" and "retrying" in logged[0]
