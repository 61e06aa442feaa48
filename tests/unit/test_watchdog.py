"""The connector watchdog's rules, on scripted statuses and a scripted clock (no I/O)."""

from __future__ import annotations

from boletia.lab.setup import watchdog
from boletia.lab.setup.watchdog import ConnectorWatchdog

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
