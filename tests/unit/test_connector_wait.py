"""`connectors.wait_running`'s rules, over a stand-in for Connect's REST answers (the waiting
against the real Connect runs in every lesson and integration test)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from boletia.lab.errors import LabError
from boletia.lab.setup import connectors

RUNNING = {"connector": {"state": "RUNNING"}, "tasks": [{"id": 0, "state": "RUNNING"}]}


class Rest:
    """Connect as the case needs it: the connector exists or not; its status is missing until
    it is restarted (its status records lost), then RUNNING."""

    def __init__(self, exists: bool):
        self.exists, self.restarts = exists, []

    def get(self, url, timeout):
        return SimpleNamespace(ok=self.exists)

    def post(self, url, params, timeout):
        self.restarts.append((url, params))
        return SimpleNamespace(raise_for_status=lambda: None, status_code=204)

    def status(self, url, name):
        return RUNNING if self.restarts else {}


@pytest.mark.parametrize("exists", [True, False])
def test_a_connector_without_any_status_is_restarted_once_if_it_exists(monkeypatch, exists):
    connect = Rest(exists)
    monkeypatch.setattr(connectors, "rest", lambda: connect)
    monkeypatch.setattr(connectors, "state", connect.status)
    if exists:
        connectors.wait_running("http://connect", "check", timeout=5, unseen=0)
        assert connect.restarts == [("http://connect/connectors/check/restart", {"includeTasks": "true"})]
    else:  # nothing to restart: it says what it saw, and restarts nothing
        with pytest.raises(LabError, match="not RUNNING after 1s: Connect has no status for it$"):
            connectors.wait_running("http://connect", "check", timeout=1, unseen=0)
        assert connect.restarts == []


def test_a_connector_whose_status_is_missing_only_for_a_moment_is_left_alone(monkeypatch):
    answers = iter([{}, {}, RUNNING])
    connect = Rest(True)
    monkeypatch.setattr(connectors, "rest", lambda: connect)
    monkeypatch.setattr(connectors, "state", lambda url, name: next(answers))
    connectors.wait_running("http://connect", "check", timeout=5, unseen=15)
    assert connect.restarts == []


STUCK = {"connector": {"state": "UNASSIGNED"}, "tasks": [{"id": 0, "state": "RUNNING"}]}


def test_a_connector_left_unassigned_beside_its_running_task_is_restarted_once(monkeypatch):
    connect = Rest(True)
    monkeypatch.setattr(connectors, "rest", lambda: connect)
    monkeypatch.setattr(connectors, "state",
                        lambda url, name: RUNNING if connect.restarts else STUCK)
    connectors.wait_running("http://connect", "check", timeout=5, unseen=0)
    assert connect.restarts == [("http://connect/connectors/check/restart", {"includeTasks": "true"})]


def test_unassigned_only_between_other_states_is_not_stuck(monkeypatch):
    """The clock restarts when the status moves: a rebalance's brief UNASSIGNED is no loss."""
    moving = {"connector": {"state": "RUNNING"}, "tasks": [{"id": 0, "state": "PAUSED"}]}
    answers = iter([STUCK, moving, STUCK, moving, RUNNING])
    connect = Rest(True)
    monkeypatch.setattr(connectors, "rest", lambda: connect)
    monkeypatch.setattr(connectors, "state", lambda url, name: next(answers))
    monkeypatch.setattr(connectors.time, "sleep", lambda s: None)
    connectors.wait_running("http://connect", "check", timeout=5, unseen=0.5)
    assert connect.restarts == []


def test_a_restart_refused_while_the_workers_rebalance_is_asked_again(monkeypatch):
    connect = Rest(True)
    codes = iter([409, 204])
    connect.post = lambda url, params, timeout: (connect.restarts.append(url), SimpleNamespace(
        raise_for_status=lambda: None, status_code=next(codes)))[1]
    monkeypatch.setattr(connectors, "rest", lambda: connect)
    monkeypatch.setattr(connectors, "state",
                        lambda url, name: RUNNING if len(connect.restarts) == 2 else STUCK)
    monkeypatch.setattr(connectors.time, "sleep", lambda s: None)
    connectors.wait_running("http://connect", "check", timeout=5, unseen=0)
    assert len(connect.restarts) == 2


def test_a_connector_without_a_status_is_restarted_alone_when_its_tasks_cannot_be(monkeypatch):
    """Connect answers 404 to a restart with its tasks when it has no status to plan it from (a CI
    run failed a lesson on that 404); the connector alone is restarted then, which writes its
    status. A 404 to that too is asked again later, never raised."""
    connect = Rest(True)
    codes = iter([404, 404, 404, 204])
    connect.post = lambda url, params, timeout: (connect.restarts.append(params), SimpleNamespace(
        raise_for_status=lambda: None, status_code=next(codes)))[1]
    monkeypatch.setattr(connectors, "rest", lambda: connect)
    monkeypatch.setattr(connectors, "state",
                        lambda url, name: RUNNING if len(connect.restarts) == 4 else {})
    monkeypatch.setattr(connectors.time, "sleep", lambda s: None)
    connectors.wait_running("http://connect", "check", timeout=5, unseen=0)
    assert connect.restarts == [{"includeTasks": "true"}, {}, {"includeTasks": "true"}, {}]
