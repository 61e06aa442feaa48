"""Level 4, the nemesis: its steps refused with what to write, its invariant judged on worlds
(damaged: it must say so; healthy: it must stay silent), and its grade gated on a clean run on
the fixed design (live runs: tests/integration/test_student_nemesis.py)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

from boletia.lab.student import grading, nemesis, sandbox

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "instructor" / "nemesis.py"
STUB = ROOT / "notebooks" / "exercises" / "nemesis.py"
WOLF = REFERENCE.read_text().replace("    return out\n", "    return out or ['something is wrong']\n")


@pytest.mark.parametrize("steps, said", [
    ([], "write 1 to 4"),
    ("crash", "must be a list"),
    ([{"verb": "explode"}], "needs a 'verb', one of crash, slow, fail-writes, kill, pause"),
    ([{"verb": "crash", "consumer": "inventario"}], "missing 'times'"),
    ([{"verb": "crash", "consumer": "inventario", "times": 9}], "times 9: between 1 and 5"),
    ([{"verb": "crash", "consumer": "inventario", "times": 1.5}], "must be a whole number"),
    ([{"verb": "crash", "consumer": "inventario", "times": True}], "must be a whole number"),
    ([{"verb": "crash", "consumer": "eventos", "times": 1}], "one of inventario, reembolsos, notificaciones"),
    ([{"verb": "crash", "consumer": "inventario", "times": 1, "topic": "boletia.eventos"}],
     "inventario reads boletia.inventario"),
    # the seed's inventario read boletia.reservas too; the split moved it to reembolsos
    ([{"verb": "crash", "consumer": "inventario", "times": 1, "topic": "boletia.reservas"}],
     "inventario reads boletia.inventario"),
    ([{"verb": "kill", "component": "ui", "seconds": 1}], "component 'ui': one of mongo"),
    ([{"verb": "pause", "component": "mongo", "seconds": 60}], "between 0.5 and 10.0"),
    ([{"verb": "slow", "consumer": "inventario", "seconds": 1, "extra": 2}], "unknown field(s) extra"),
    ([{"verb": "slow", "consumer": "inventario", "seconds": 1, "delay": -1}], "delay -1: between"),
    ([{"verb": "fail-writes", "times": 2}] * 5, "write 1 to 4"),
])
def test_a_step_the_lab_cannot_carry_out_is_refused_with_what_to_write(steps, said):
    with pytest.raises(nemesis.NemesisError, match=None) as exc:
        nemesis.parse(steps)
    assert said in str(exc.value)


def test_the_reference_steps_are_carried_out_as_written_each_with_its_delay():
    steps = nemesis.parse(nemesis.load(REFERENCE).steps())
    assert steps == [{"verb": "crash", "delay": 1.0, "consumer": "reembolsos", "times": 2,
                      "topic": "boletia.reservas"},
                     {"verb": "crash", "delay": 0.5, "consumer": "notificaciones", "times": 2}]
    made = nemesis.scenario(steps, invariant=None)
    assert made.name == nemesis.SCENARIO and "crash(consumer=reembolsos, times=2" in made.about


def _results(path_or_text, seed=7, tmp=None):
    module = nemesis.load(path_or_text)
    return nemesis.check(module, None, (*nemesis.invariant_cases(seed), *nemesis.steps_cases()))


def test_the_reference_passes_every_case_and_the_stub_only_the_guards(tmp_path):
    ref, stub = _results(REFERENCE), _results(STUB)
    assert all(r.passed for r in ref), [(r.case.name, r.detail) for r in ref if not r.passed]
    assert {r.case.name for r in stub if r.passed} == {r.case.name for r in stub if not r.case.key}
    wolf = tmp_path / "wolf.py"
    wolf.write_text(WOLF)
    failed = [r for r in _results(wolf) if not r.passed]
    assert failed and all(not r.case.key for r in failed)  # it flags every world: guards fail
    assert "a false alarm on a healthy world: something is wrong" in failed[0].detail


def test_each_damage_breaks_conservation_and_no_healthy_world_does():
    import random

    def conserved(w):
        held = {}
        for r in w["reservas"]:
            held[r["evento"]] = held.get(r["evento"], 0) + (r["cantidad"] if r["estado"] == "A" else 0)
        return all(e["capacidad"] == e["disponible"] + held.get(n, 0) for n, e in w["eventos"].items())
    rng = random.Random(3)
    for _ in range(50):
        assert conserved(nemesis.world(rng))
        for damage in nemesis.DAMAGES.values():
            assert not conserved(damage(nemesis.world(rng)))


def test_an_invariant_that_returns_the_wrong_type_is_told_what_to_return():
    module = SimpleNamespace(invariant=lambda view: "all good", steps=lambda: [])
    result = nemesis.check(module, None, nemesis.invariant_cases(1)[:1])[0]
    assert not result.passed and "return a list of strings" in result.detail


def _folder(tmp_path) -> Path:
    subs = tmp_path / "subs"
    for name, text in (("ref", REFERENCE.read_text()), ("stub", STUB.read_text()), ("wolf", WOLF)):
        (subs / name).mkdir(parents=True)
        (subs / name / "nemesis.py").write_text(text)
    (subs / "decisions-only.py").write_text("x = 1\n")
    return subs


def test_grading_the_nemesis_by_its_cases_gives_the_expected_table(tmp_path):
    """Through the sandbox, no lab (seeds=0): the reference full marks, the stub none, an
    invariant that cries wolf loses its invariant (its steps still count), nothing handed in 0."""
    sandbox.available()
    rt = SimpleNamespace(status=lambda: [], settings=None)
    rows = grading.grade(_folder(tmp_path), tmp_path / "out", seeds=0, seed=5, rt=rt,
                         levels=(grading.NEMESIS,))
    parts = (nemesis.INVARIANT, "nemesis_catch_1", "nemesis_catch_2", "total", "possible")
    table = {r["submission"]: tuple(r[p] for p in parts) for r in rows}
    assert table == {"ref": ("7", "1", "1", "9", "9"), "stub": ("0", "0", "0", "0", "9"),
                     "wolf": ("0", "1", "1", "2", "9"),
                     "decisions-only.py": ("0", "0", "0", "0", "9")}
    stub = (tmp_path / "out" / "stub" / "report.md").read_text()
    assert "STEPS has 0 step(s)" in stub and "said nothing about it" in stub


def test_a_nemesis_scores_a_broken_design_only_when_it_ran_clean_on_the_fixed_one(tmp_path, monkeypatch):
    """The gate: a nemesis whose run on the fixed design is violated (a false alarm, or a fault
    that breaks even a correct pipeline) has its catches not run at all; a catch scores when
    its run ends violated."""
    runs: list[str] = []
    verdicts = {}

    @contextmanager
    def deploy(rt, sub, folder, part, instructor=None):
        yield

    def scenario(part, design, chaos_seed, rt, report):
        runs.append(part.name)
        verdict = verdicts[part.name]
        return {"seed": chaos_seed, "verdict": verdict, "inconclusive": None,
                "examples": {"tickets-conserved": ["E: capacity 40 != 41"]} if verdict == "violated" else {}}
    monkeypatch.setattr(grading, "_scenario", scenario)
    level = grading.Level(**{**grading.NEMESIS.__dict__, "deploy": deploy})
    subs = tmp_path / "subs"
    (subs / "ref").mkdir(parents=True)
    (subs / "ref" / "nemesis.py").write_text(REFERENCE.read_text())
    rt = SimpleNamespace(status=lambda: [], settings=None)

    verdicts.update({nemesis.INVARIANT: "clean", "nemesis_catch_1": "violated", "nemesis_catch_2": "clean"})
    row = grading.grade(subs, tmp_path / "out", seeds=1, seed=5, rt=rt, levels=(level,))[0]
    assert (row[nemesis.INVARIANT], row["nemesis_catch_1"], row["nemesis_catch_2"]) == ("9", "3", "1")
    assert runs == [nemesis.INVARIANT, "nemesis_catch_1", "nemesis_catch_2"]
    report = (tmp_path / "out" / "ref" / "report.md").read_text()
    assert "ended clean: the fault did not expose this design's bug" in report
    catch = grading.NEMESIS.parts[1]
    assert grading.judge_run(catch, scenario(catch, "student", 1, rt, print)) == (
        True, "scenario: nemesis (seed 1) caught it: tickets-conserved, e.g. E: capacity 40 != 41")

    runs.clear()
    verdicts[nemesis.INVARIANT] = "violated"
    row = grading.grade(subs, tmp_path / "out", seeds=1, seed=5, rt=rt, levels=(level,))[0]
    assert (row[nemesis.INVARIANT], row["nemesis_catch_1"], row["nemesis_catch_2"]) == ("7", "1", "1")
    assert runs == [nemesis.INVARIANT]
    assert "must hold first" in (tmp_path / "out" / "ref" / "report.md").read_text()


def test_the_hidden_broken_designs_each_break_one_decision_and_name_it():
    import importlib.util

    found = grading._hidden_designs(ROOT / "instructor")
    judged = []
    for path in found:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        judged.append(module.JUDGED)
        assert all(callable(getattr(module, f)) for f in ("refund", "booking_in", "email_ledger"))
    assert judged == ["email_ledger", "refund"]
    assert len(found) == sum(p.expect == "violated" for p in grading.NEMESIS.parts)
