"""Level 3 (the connector) and the exercises' own evidence: the pure parts, no lab."""

import json
from pathlib import Path

import pytest

from boletia.lab.errors import LabError
from boletia.lab.student import connector, feedback, grading

ROOT = Path(__file__).resolve().parents[2]
STUB = ROOT / "notebooks" / "exercises" / "inventory_connector.json"
REFERENCE = ROOT / "instructor" / "connector.json"


def _instant(source) -> dict[str, bool]:
    return {r.case.name: r.passed for r in connector.instant(connector.load(source))}


def test_the_reference_passes_every_instant_check_and_is_the_labs_own():
    assert all(_instant(REFERENCE).values()), _instant(REFERENCE)
    assert connector.load(REFERENCE) == connector.load(connector.reference_file())


def test_the_stub_fails_every_key_instant_check_and_no_guard():
    results = connector.instant(connector.load(STUB))
    assert [r.case.name for r in results if r.case.key and r.passed] == []
    assert all(r.passed for r in results if not r.case.key)


@pytest.mark.parametrize("change, failed", [
    ({"publish.full.document.only": "true"}, "the topic gets change events"),
    ({"change.stream.full.document": "default"}, "an update comes with its document"),
    ({"pipeline": '[{"$match": {"ns.coll": {"$in": ["inventario", "reservas"]}}}]'},
     "the pipeline lets through inventario alone"),
    ({"change.stream.document.key.as.key": "false"}, "keyed by the document"),
    ({"errors.tolerance": "all"}, "a change it cannot publish stops it"),
    ({"value.converter": "org.apache.kafka.connect.json.JsonConverter"}, "key and value are JSON text"),
])
def test_each_instant_check_catches_its_mistake_and_names_the_idea(change, failed, tmp_path):
    spec = json.loads(REFERENCE.read_text())
    spec["config"].update(change)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(spec))
    got = _instant(path)
    assert [n for n, ok in got.items() if not ok] == [failed]


def test_a_pipeline_beyond_the_quick_check_is_left_to_the_live_comparison():
    assert connector._matched('[{"$match": {"operationType": "insert"}}]') is None
    assert connector._matched('[{"$match": {"ns.coll": "inventario"}}]') == {"inventario"}
    assert connector._matched("[]") == set(connector.COLLECTIONS)


def test_a_file_that_is_not_json_says_where(tmp_path):
    bad = tmp_path / "c.json"
    bad.write_text('{"config": {"a": 1,}}')
    with pytest.raises(LabError, match="line 1"):
        connector.load(bad)
    results = connector.check(bad, None, connector.practice_cases())
    assert not any(r.passed for r in results) and "not valid JSON" in results[0].detail


def test_the_diff_names_the_write_and_the_field():
    want = {"key": {"_id": 1}, "operationType": "update", "ns": {"coll": "inventario"},
            "documentKey": {"_id": 1}, "fullDocument": {"nombre": "Opera"},
            "updateDescription": {"updatedFields": {"vendidos": 2}, "removedFields": []}}
    seen = connector.Seen(
        student={"inventario": [{"key": {"_id": 1}, "nombre": "Opera", "vendidos": 2},
                                {**want, "updateDescription": {"updatedFields": {"vendidos": 3},
                                                               "removedFields": []}}]},
        reference={"inventario": [want, want]},
        labels={"inventario": ["the booking of R1 (2 tickets)", "the refund of R1", "the sink's copy"]})
    assert connector.diff(seen) == [
        'the booking of R1 (2 tickets): your topic got the document alone (its fields nombre, '
        'vendidos); expected the change event: operationType \'update\', '
        'updateDescription.updatedFields {"vendidos": 2}',
        'the refund of R1: updateDescription.updatedFields: expected {"vendidos": 2}, got {"vendidos": 3}',
        "the sink's copy: expected an event, nothing reached your topic"]


def test_the_grade_draws_the_writes_from_the_instructors_folder():
    a, b = (grading._drawn_connector_cases(ROOT / "instructor", s) for s in (1, 2))
    assert a.plan.writes != b.plan.writes
    assert {c.exercise for c in a} == {"connector_events", "connector_scope"}
    assert "connector" in [lv.name for lv in grading.levels_named("decisions,connector")]


def _run(at, done=(), examples=()):
    return {"evidence": [{"fact": feedback.CRASHED, "at": list(at),
                          "redelivery_found_work_done": list(done)}],
            "examples": {"tickets-conserved": list(examples)}}


def test_the_refund_is_told_which_reservation_was_refunded_twice():
    docs = {"boletia.reservas[1]@7": {"_id": "R9", "evento": "E 1", "cantidad": 2},
            "boletia.inventario[0]@3": {"nombre": "E 1"}}
    run = _run(docs, examples=["E 1: capacity 40 != available 15 + held 29 (+4 tickets)"])
    lines = feedback.refunded_twice(run, docs.get)
    assert lines == ["'E 1' ended with 4 tickets too many: reservation R9 (2 tickets) refunded twice "
                     "(the consumer crashed after the refund, before its commit, and the cancel that came "
                     "back was refunded again); the other 2 tickets from cancels redelivered with it (a "
                     "crash before the commit brings back the whole batch)"]
    # the figures add up when the crashed cancels are all there is
    exact = _run(docs, examples=["E 1: capacity 40 != available 13 + held 29 (+2 tickets)"])
    assert feedback.refunded_twice(exact, docs.get) == [
        "'E 1' ended with 2 tickets too many: reservation R9 (2 tickets) refunded twice (the consumer "
        "crashed after the refund, before its commit, and the cancel that came back was refunded again)"]
    # its redelivery found the refund done, or nothing appeared: no such claim
    assert feedback.refunded_twice(_run(docs, done=list(docs), examples=run["examples"]
                                        ["tickets-conserved"]), docs.get) == []
    assert feedback.refunded_twice(_run(docs), docs.get) == []


def test_the_level_one_checks_read_the_file_afresh_even_an_edit_of_one_digit_in_the_same_second(tmp_path):
    """Issue 25.4: an edit is tested at once, whatever Python caches (the same size and mtime)."""
    import os

    from boletia.lab.student import practice

    path = tmp_path / "student_design.py"
    text = (ROOT / "notebooks" / "exercises" / "student_design.py").read_text() + "\nVALUE = 1\n"
    path.write_text(text)
    before = path.stat()
    assert practice.load(path).VALUE == 1
    path.write_text(text.replace("VALUE = 1", "VALUE = 2"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert practice.load(path).VALUE == 2


def test_a_scenario_runs_the_students_pipeline_behind_a_guard_for_the_labs_topics():
    stub = connector.load(STUB)["pipeline"]
    assert json.loads(connector.guarded(stub)) == [connector.GUARD, *json.loads(stub)]
    assert connector.guarded("not json") == "not json"


def test_the_feedback_puts_each_finding_on_its_line_and_each_hint_once():
    """Seen in lesson 06: three findings joined on one 700-character line, each of four failed
    cases followed by the same 200-character hint."""
    from boletia.lab.student.practice import Case, Result, show

    hint = "the change event, not the document"
    cases = [Case("connector_events", f"case {i}", hint, lambda c, s: (False, "")) for i in range(3)]
    shown = show([Result(cases[0], False, "the booking of R1: one\nthe booking of R2: two"),
                  Result(cases[1], True, ""), Result(cases[2], False, "the refund: three")])
    assert shown.splitlines() == [
        "✗ [connector_events] case 0", "    the booking of R1: one", "    the booking of R2: two",
        f"    hint: {hint}", "✓ [connector_events] case 1", "✗ [connector_events] case 2",
        "    the refund: three", "    hint: as for “case 0” above", "1/3 cases pass"]


def test_a_cancel_crashed_on_again_after_its_redelivery_is_named_once_with_its_count():
    """Seen in lesson 06: the crash fault fired twice on one cancel (crashed, redelivered,
    crashed again), and the reservation was listed twice, 'refunded twice'."""
    where = "boletia.reservas[1]@7"
    run = {"evidence": [{"fact": feedback.CRASHED, "at": [where, where],
                         "redelivery_found_work_done": []}],
           "examples": {"tickets-conserved": ["E 1: capacity 40 != available 15 + held 27 (+2 tickets)"]}}
    lines = feedback.refunded_twice(run, {where: {"_id": "R9", "evento": "E 1", "cantidad": 1}}.get)
    assert lines == ["'E 1' ended with 2 tickets too many: reservation R9 (1 ticket) refunded 3 times "
                     "(the consumer crashed after the refund, before its commit, and the cancel that came "
                     "back was refunded again)"]
