"""The designs' registry: one list of names, one module per design, validation in one place,
and no code that compares a design's name instead of asking the design."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import boletia
from boletia import config, designs
from boletia.adapters.at_least_once import FailurePolicy
from boletia.designs.base import Design
from boletia.domain import decisions
from boletia.domain.model import NewBooking

PACKAGE = Path(boletia.__file__).parent
BOOKING = NewBooking(evento="Opera", cantidad=2, email="p@d.com")


def test_the_registry_is_the_one_list_of_names_and_each_has_its_module():
    assert config.DESIGNS == designs.NAMES
    modules = {p.stem for p in (PACKAGE / "designs").glob("*.py")} - {"__init__", "base"}
    assert modules == set(designs.NAMES)
    for name in designs.NAMES:
        design = designs.get(name)
        assert isinstance(design, Design) and design.name == name and design.summary
        assert (PACKAGE.parent / "connect" / design.connectors).is_dir() or \
            (Path(boletia.resources.connect_dir()) / design.connectors).is_dir()


@pytest.mark.parametrize("bad", ["nope", "seeds", 3, None])
def test_an_unknown_design_is_refused_in_one_place_with_the_registrys_names(bad):
    with pytest.raises(designs.UnknownDesign) as err:
        designs.get(bad)
    for name in designs.NAMES:
        assert name in str(err.value)


def test_names_are_normalised_and_empty_means_the_default():
    assert designs.check(" SEED ") == "seed" and designs.check("") == designs.DEFAULT


def test_settings_validate_the_design_through_the_registry(monkeypatch):
    monkeypatch.setenv("BOLETIA_DESIGN", "Txn")
    assert config.Settings().design == "txn"
    monkeypatch.setenv("BOLETIA_DESIGN", "nope")
    config.settings.cache_clear()
    try:
        with pytest.raises(config.SettingsError) as err:
            config.settings()
    finally:
        config.settings.cache_clear()
    assert "BOLETIA_DESIGN" in str(err.value)
    assert all(name in str(err.value) for name in designs.NAMES)


def test_what_each_design_supplies():
    fixed, seed, txn, student = (designs.get(n) for n in ("fixed", "seed", "txn", "student"))
    assert seed.skips_failed_messages and not fixed.skips_failed_messages
    assert not seed.email_yields and fixed.email_yields and txn.email_yields
    assert seed.connectors == "seed" and {fixed.connectors, txn.connectors, student.connectors} == {"fixed"}
    assert seed.email_claim("R1", "A") is None
    assert fixed.email_claim("R1", "A", "p@d.com") == decisions.ledger_claim("R1", "A", "p@d.com")
    assert isinstance(txn.book(BOOKING, "R1"), decisions.Transaction)
    assert isinstance(fixed.book(BOOKING, "R1"), decisions.FindAndModify)
    doc = {"capacidad": 10, "vendidos": 3}
    assert fixed.available(doc) == txn.available(doc) == 7 and seed.available(doc) == 10
    assert not student.available_on_containers and fixed.available_on_containers
    assert fixed.records_refunds and txn.records_refunds
    assert not seed.records_refunds and not student.records_refunds  # the student may refund another way
    assert not seed.keeps_email_ledger and fixed.keeps_email_ledger and student.keeps_email_ledger
    assert seed.bounds_cancelled_events and not fixed.bounds_cancelled_events
    assert not seed.durable_connect_offsets and fixed.durable_connect_offsets


def test_the_runner_turns_the_designs_answer_into_the_loops_failure_policy(monkeypatch):
    from boletia.consumers import runner

    seen = []

    class Loop:
        stats: dict = {}

        def __init__(self, *a, on_failure, **kw):
            seen.append(on_failure)

        def run(self, stop):
            stop.set()

    monkeypatch.setattr(runner, "AtLeastOnceConsumer", Loop)
    monkeypatch.setattr(runner.signal, "signal", lambda *a: None)
    monkeypatch.setattr(runner, "log", lambda m: None)
    for name in ("seed", "fixed"):
        runner.run("g", ["t"], lambda topic, doc: True, config.Settings(), designs.get(name))
    assert seen == [FailurePolicy.SKIP, FailurePolicy.RETRY]


STUDENT = '''
from boletia.domain import decisions
def booking_in(change):
    return decisions.booking_written(change)
def refund(doc):
    return [decisions.FindAndModify("inventario", {"nombre": doc["evento"]}, {"$inc": {"vendidos": -1}})]
def email_ledger(reserva, estado):
    return {"_id": f"{reserva}:{estado}"}, {"$inc": {"intentos": 1}}
'''


def test_the_student_design_takes_three_decisions_from_the_students_file(tmp_path):
    path = tmp_path / "student_design.py"
    path.write_text(STUDENT)
    student = designs.get("student").prepared(path)
    (write,) = student.on_reservas({"_id": "R1", "evento": "Opera", "estado": "X", "cantidad": 2}).writes
    assert write.update == {"$inc": {"vendidos": -1}}
    filt, update = student.email_claim("R1", "A")
    assert filt == {"_id": "R1:A"} and update["$setOnInsert"] == {"reserva": "R1", "estado": "A"}
    path.write_text("def refund(doc):\n    return []\n")
    with pytest.raises(SystemExit, match="booking_in, email_ledger"):
        designs.get("student").prepared(path)
    with pytest.raises(SystemExit, match="does not exist"):
        designs.get("student").prepared(tmp_path / "absent.py")


def _name_comparisons(tree: ast.AST) -> list[int]:
    """Lines comparing something called *design* (a name, an attribute, a call's result
    such as `ctx.design`) with one of the registry's names, or testing it against a
    collection of them."""
    def about_design(node: ast.AST) -> bool:
        return "design" in ast.unparse(node).lower()

    def a_name(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            return node.value in designs.NAMES
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return any(a_name(e) for e in node.elts)
        return False

    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(a_name(s) for s in sides) and any(about_design(s) and not a_name(s) for s in sides):
                lines.append(node.lineno)
    return sorted(lines)


def test_no_code_compares_a_designs_name():
    found = {str(p.relative_to(PACKAGE.parent)): lines for p in sorted(PACKAGE.rglob("*.py"))
             if (lines := _name_comparisons(ast.parse(p.read_text())))}
    assert found == {}, f"ask the design (boletia/designs/) instead of comparing its name: {found}"


def test_the_name_check_sees_the_comparisons_it_forbids():
    src = ('if design == "seed": pass\nif s.design != "seed": pass\n'
           'x = a if ctx.design in ("fixed", "txn") else b\nif "student" == design: pass\n')
    assert _name_comparisons(ast.parse(src)) == [1, 2, 3, 4]
    assert _name_comparisons(ast.parse('if mode == "seed": pass\nif design.skips: pass')) == []
