"""The failure matrix: every scenario passes with the fixed design, and the seed design is
caught where SPEC §5 says it breaks (the checker proves it can fail)."""

from __future__ import annotations

import pytest

from boletia.lab.experiments import chaos

pytestmark = pytest.mark.integration

SEED_BREAKS = {  # scenario -> an invariant the seed design must violate there
    "concurrent-booking-race": "booking-has-reservation",
    "db-write-failures": "booking-has-reservation",
    "sink-replay": "tickets-conserved",
    "connect-restart": "booking-has-reservation",
    "notification-redelivery": "one-email-per-state",
    "consumer-crash-before-commit": "tickets-conserved",
}


@pytest.fixture
def runtime(lab):
    yield lab
    lab.clear_faults()
    if lab.design() != "fixed":
        lab.set_design("fixed")


@pytest.mark.parametrize("name", list(chaos.SCENARIOS))
def test_fixed_design_passes(runtime, name):
    summary = chaos.run(name, "fixed", seed=5, rt=runtime)
    assert summary["drained"], summary
    assert summary["ok"], summary["examples"]
    assert summary["operations"]["bookings_ok"] > 0


@pytest.mark.parametrize("name", list(SEED_BREAKS))
def test_seed_design_is_caught(runtime, name):
    summary = chaos.run(name, "seed", seed=5, rt=runtime)
    assert not summary["ok"], f"the checker did not catch the seed design in {name}"
    assert SEED_BREAKS[name] in summary["violations"], summary["violations"]


def test_unknown_scenario_is_refused(runtime):
    from boletia.lab.errors import LabError

    with pytest.raises(LabError, match="unknown scenario"):
        chaos.run("earthquake", "fixed", rt=runtime)


def test_checker_refuses_an_empty_or_foreign_database(lab, mongo_client):
    from boletia.lab.experiments import checker

    foreign = mongo_client["not_boletia"]
    foreign.things.insert_one({"x": 1})
    try:
        with pytest.raises(checker.CheckError, match="is this Boletia's database"):
            checker.check(foreign, "fixed")
    finally:
        mongo_client.drop_database("not_boletia")
    with pytest.raises(checker.CheckError, match="no events to check"):
        checker.check(mongo_client["boletia"], "fixed", events=["no such event"])


def _cli(*args: str):
    import subprocess
    import sys
    from pathlib import Path

    return subprocess.run([str(Path(sys.executable).parent / "boletia"), *args],
                          capture_output=True, text=True, timeout=120)


def test_cli_faults_refuse_what_does_not_exist(lab):
    out = _cli("chaos", "run", "earthquake")
    assert out.returncode == 1 and "unknown scenario 'earthquake'" in out.stderr
    out = _cli("chaos", "run", "broker-kill", "--design", "prototype")
    assert out.returncode == 1 and "unknown design" in out.stderr
    out = _cli("lab", "crash", "kafka-1")
    assert out.returncode == 1 and "kafka-1 is not a consumer" in out.stderr
    out = _cli("lab", "fail-writes", "3", "--service", "nadie")
    assert out.returncode == 1 and "unknown component 'nadie'" in out.stderr
    out = _cli("check", "--run", "/nonexistent/record.json")
    assert out.returncode == 1 and "no record at" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_fault_on_a_stopped_component_is_refused(lab):
    from boletia.lab.errors import LabError

    lab.kill("notificaciones")
    try:
        with pytest.raises(LabError, match="notificaciones is not running"):
            lab.pause("notificaciones")
        with pytest.raises(LabError, match="is not running"):
            lab.crash_consumer("notificaciones")
        with pytest.raises(LabError, match=r"not fully running \(notificaciones\)[\s\S]*"
                                           r"last lines of notificaciones's log"):
            chaos.run("broker-kill", "fixed", rt=lab)
    finally:
        lab.start("notificaciones")


def test_load_and_check_from_the_cli(lab):
    import json

    out = _cli("load", "--events", "2", "--customers", "3", "--operations", "4", "--seed", "9")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["events"] == 2 and summary["operations"] == 2 + 3 * 4
    checked = _cli("check", "--run", summary["record"])
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr
    report = json.loads(checked.stdout)
    assert report["ok"] and report["bookings_checked"] == summary["bookings_ok"]
