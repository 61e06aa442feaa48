"""The failure matrix: every scenario passes with the fixed design, and the seed design is
caught where SPEC §5 says it breaks (the checker proves it can fail)."""

from __future__ import annotations

import pytest

from boletia.lab import chaos

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
    from boletia.lab.runtime import LabError

    with pytest.raises(LabError, match="unknown scenario"):
        chaos.run("earthquake", "fixed", rt=runtime)
