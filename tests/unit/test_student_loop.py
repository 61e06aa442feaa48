"""The consumer-loop level's instant cases (no lab): the reference passes every one, the stub
(the seed's loop) fails every key case and passes the guard, and a few half-right loops fail
exactly the case of the idea they miss."""

from __future__ import annotations

from pathlib import Path

from boletia.lab.student import loop_cases

ROOT = Path(__file__).resolve().parents[2]
STUB = ROOT / "notebooks" / "exercises" / "consumer_loop.py"
REFERENCE = ROOT / "instructor" / "consumer_loop.py"


def failed(loop) -> set[str]:
    return {r.case.name for r in loop_cases.check(loop) if not r.passed}


def test_the_reference_passes_every_case():
    assert failed(REFERENCE) == set()


def test_the_stub_fails_every_key_case_and_passes_the_guard():
    keys = {c.name for c in loop_cases.CASES if c.key}
    assert failed(STUB) == keys


def variant(tmp_path, old: str, new: str) -> Path:
    text = REFERENCE.read_text()
    assert old in text
    path = tmp_path / "loop.py"
    path.write_text(text.replace(old, new))
    return path


def test_a_loop_that_does_nothing_fails_the_guard(tmp_path):
    path = tmp_path / "loop.py"
    path.write_text("class ConsumerLoop:\n    def __init__(self, kafka):\n        pass\n"
                    "    def step(self):\n        pass\n")
    assert "plain-run" in failed(path)


def test_retrying_the_poison_forever_fails_the_poison_case(tmp_path):
    path = variant(tmp_path, "except PermanentFailure as exc:", "except ZeroDivisionError as exc:")
    assert failed(path) == {"poison"}


def test_skipping_a_transient_failure_fails_its_case(tmp_path):
    path = variant(tmp_path, "self.kafka.retry(message, exc)\n                    return",
                   "continue")
    assert failed(path) == {"transient-failure"}


def test_letting_a_refused_commit_out_fails_its_case(tmp_path):
    path = variant(tmp_path, "except CommitFailed as exc:", "except ZeroDivisionError as exc:")
    assert failed(path) == {"commit-refused"}


def test_a_file_without_the_class_says_what_is_missing(tmp_path):
    path = tmp_path / "loop.py"
    path.write_text("x = 1\n")
    try:
        loop_cases.check(path)
    except SystemExit as exc:
        assert "no class ConsumerLoop" in str(exc)
    else:
        raise AssertionError("a file without ConsumerLoop was accepted")


def test_the_student_design_runs_the_loop_only_for_notificaciones_and_only_when_given(tmp_path):
    from boletia.designs import student
    from boletia.lab.student import alone

    design = student.DESIGN.prepared(alone.loop_design_file(STUB, tmp_path / "design.py"))
    assert design.consumer_loop("notificaciones").__name__ == "ConsumerLoop"
    assert design.consumer_loop("inventario") is None
    plain = student.DESIGN.prepared(ROOT / "notebooks" / "exercises" / "student_design.py")
    assert plain.consumer_loop("notificaciones") is None   # level 1 alone: the lab's own loop


def boxed(tmp_path, loop: Path) -> tuple[Path, Path]:
    from boletia.lab.student import sandboxed_loop

    sub = tmp_path / "submission"
    sub.mkdir()
    (sub / "consumer_loop.py").write_text(loop.read_text())
    wrapper = sandboxed_loop.wrapper_file(sub / "consumer_loop.py", sub / "loop_wrapper.py")
    return wrapper, tmp_path / "scratch"


def test_a_sandboxed_loop_answers_the_cases_as_it_does_in_process(tmp_path):
    from boletia.lab.student.sandbox import Sandboxed

    wrapper, scratch = boxed(tmp_path, STUB)
    box = Sandboxed(wrapper, scratch, timeout=30)
    try:
        answered = {name: passed for _, name, passed, _ in box.call("cases")}
    finally:
        box.close()
    assert answered == {r.case.name: r.passed for r in loop_cases.check(STUB)}


def test_the_lab_drives_a_sandboxed_loop_through_its_own_kafka_object(tmp_path):
    """poll, handle, retry, dead_letter and commit cross the sandbox's pipe both ways, and the
    lab's exceptions come back as the student's loop expects them (PermanentFailure, CommitFailed)."""
    from boletia.lab.student import sandboxed_loop

    cls = sandboxed_loop.loop_class(*boxed(tmp_path, REFERENCE))
    for case in (loop_cases.plain, loop_cases.transient_failure, loop_cases.poison,
                 loop_cases.commit_refused):
        assert case(cls)[0], case.__name__


# ---------------------------------------------------------------- grading the level
def submissions(root: Path) -> Path:
    """Three made-up submissions: the reference, the untouched stub, one half right (the
    reference with the poison retried forever)."""
    subs = root / "subs"
    for name, text in (("ref", REFERENCE.read_text()), ("stub", STUB.read_text()),
                       ("half", REFERENCE.read_text().replace("except PermanentFailure as exc:",
                                                              "except ZeroDivisionError as exc:"))):
        (subs / name).mkdir(parents=True)
        (subs / name / "consumer_loop.py").write_text(text)
    (subs / "decisions-only.py").write_text("x = 1\n")   # level 1 handed in, level 2 not
    return subs


def test_grading_the_loop_level_by_its_cases_gives_the_expected_table(tmp_path):
    import csv
    from types import SimpleNamespace

    from boletia.lab.student import grading

    rt = SimpleNamespace(status=lambda: [], settings=None)
    rows = grading.grade(submissions(tmp_path), tmp_path / "out", seeds=0, seed=5, rt=rt,
                         levels=(grading.LOOP,))
    parts = ("loop_commit", "loop_retry", "loop_poison", "total", "possible")
    table = {r["submission"]: tuple(r[p] for p in parts) for r in rows}
    assert table == {"ref": ("1", "2", "1", "4", "4"), "stub": ("0", "0", "0", "0", "4"),
                     "half": ("1", "2", "0", "3", "4"), "decisions-only.py": ("0", "0", "0", "0", "4")}
    assert [r["submission"] for r in csv.DictReader(open(tmp_path / "out" / "grades.csv"))] == \
        ["decisions-only.py", "half", "ref", "stub"]
    half = (tmp_path / "out" / "half" / "report.md").read_text()
    assert "case: poison — poison1 can never be sent" in half and "dead-lettered nothing" in half
    assert "no consumer_loop.py" in (tmp_path / "out" / "decisions-only" / "report.md").read_text()


def test_levels_are_chosen_by_name():
    from boletia.lab.errors import LabError
    from boletia.lab.student import grading

    assert [lv.name for lv in grading.levels_named("loop")] == ["loop"]
    assert grading.levels_named(None) == grading.LEVELS
    try:
        grading.levels_named("decisions,nemesys")
    except LabError as exc:
        assert "no level nemesys" in str(exc) and "nemesis" in str(exc)
    else:
        raise AssertionError("an unknown level was accepted")


def test_the_seed_loop_kept_in_the_package_is_the_stub_and_loses_four_of_five():
    from boletia.lab.student.loop_cases import SeedLoop, seed_lost_on_crash

    assert failed(SeedLoop) == failed(STUB)
    assert seed_lost_on_crash(5) == 4


def test_the_scenarios_supervisor_restarts_a_consumer_its_last_crash_left_down():
    """A loop that committed before its work ends notification-redelivery at once: the last
    crash is the scenario's own and must not be reported as a death (seen in 06 on the stub)."""
    from types import SimpleNamespace

    from boletia.lab.experiments import chaos

    started = []
    state = {"notificaciones": "running"}
    rt = SimpleNamespace(
        state=lambda c: state[c], start=lambda c: (started.append(c), state.update({c: "running"})),
        logs=lambda c, n=0, since=None: "2026-01-01T00:00:00+00:00 crash boletia.reservas[0]@5: "
                                        "fault fired after the write, before its commit\n")
    ctx = SimpleNamespace(rt=rt, died={}, marks={"notificaciones": 0},
                          events=lambda c: chaos.Context.events(ctx, c))
    state["notificaciones"] = "stopped"        # the crash came after the supervisor's last turn
    sup = chaos._Supervisor(ctx, "notificaciones")
    sup.stop.set()          # its watching thread ends before any turn: only the exit is left
    sup.thread.start()
    sup.__exit__(None, None, None)
    assert started == ["notificaciones"] and not ctx.died
