"""Every invariant the checker (and a scenario) can report has its unit in a lesson's words."""

from boletia.lab.experiments import chaos, checker
from boletia.lab.notebook.violations import UNITS, in_words


def test_every_kind_has_a_unit():
    missing = (set(checker.KINDS) | set(chaos.SCENARIO_KINDS)) - set(UNITS)
    assert not missing, missing


def test_counts_read_with_their_unit():
    assert in_words("tickets-conserved", 3) == "3 events whose tickets do not add up"
    assert in_words("booking-has-reservation", 1) == "1 booking answered 200 with no reservation"
    assert in_words("something-new", 2) == "2 × something-new"
