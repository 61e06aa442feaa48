"""The grader without the lab: the sandbox refuses what a submission must not do and grading
goes on; the wire carries writes, never code; scores come from key cases gated by guards; a
level is one entry (a made-up level grades a folder end to end here)."""

from __future__ import annotations

import csv
import socket
from contextlib import nullcontext
from pathlib import Path
from types import SimpleNamespace

import pytest
from bson import ObjectId

from boletia.domain.decisions import FindAndModify, InsertOne, Transaction
from boletia.lab.student import alone, grading, practice, sandbox
from boletia.lab.student.sandbox import Sandboxed, SandboxError, StudentError

ROOT = Path(__file__).resolve().parents[2]
ATTACK = '''
import os, socket
def refund(reservation):
    return open(reservation["path"]).read()
def booking_in(change):
    socket.create_connection(("127.0.0.1", change["port"]), timeout=2).close()
    return {"reached": True}
def email_ledger(reserva, estado):
    if estado == "forever":
        while True:
            pass
    if estado == "memory":
        return len(bytearray(3 << 30))
    while True:
        os.fork()
'''


@pytest.fixture
def attacker(tmp_path):
    sub = tmp_path / "sub" / "student_design.py"
    sub.parent.mkdir()
    sub.write_text(ATTACK)
    box = Sandboxed(sub, tmp_path / "scratch", timeout=3)
    yield box
    box.close()


def test_reading_a_file_outside_fails_and_the_worker_goes_on(attacker, tmp_path):
    secret = tmp_path / "token"
    secret.write_text("s3cret")
    assert Path(secret).read_text() == "s3cret"   # readable here, outside
    for path in (secret, ROOT / "instructor" / "solution.py", Path.home() / ".bashrc"):
        with pytest.raises(StudentError, match="FileNotFoundError|PermissionError"):
            attacker.call("refund", {"path": str(path)})
    other = tmp_path / "others" / "ana.py"   # another submission, beside its own folder
    other.parent.mkdir()
    other.write_text("def refund(r): ...")
    with pytest.raises(StudentError, match="No such file"):
        attacker.call("refund", {"path": str(other)})
    assert attacker.call("refund", {"path": str(attacker.submission)})  # its own file: yes


def test_a_socket_to_a_loopback_port_that_is_not_the_labs_is_refused(attacker):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        socket.create_connection(("127.0.0.1", port), timeout=2).close()   # reachable from here
        with pytest.raises(StudentError, match="ConnectionRefusedError"):
            attacker.call("booking_in", {"port": port})


def test_a_fork_bomb_meets_the_process_limit_and_the_next_call_is_answered(attacker, tmp_path):
    with pytest.raises(StudentError, match="BlockingIOError"):
        attacker.call("email_ledger", "r1", "A")
    with pytest.raises(StudentError, match="FileNotFoundError"):
        attacker.call("refund", {"path": str(tmp_path / "nothing")})


def test_time_and_memory_are_bounded(attacker):
    with pytest.raises(SandboxError, match="did not answer within 3 s"):
        attacker.call("email_ledger", "r1", "forever")
    assert attacker.incidents == ["email_ledger did not answer within 3 s"]
    with pytest.raises(StudentError, match="MemoryError"):
        attacker.call("email_ledger", "r1", "memory")   # a new worker, after the killed one


def test_an_import_that_never_ends_is_bounded_apart_from_the_calls(tmp_path):
    sub = tmp_path / "sub" / "student_design.py"
    sub.parent.mkdir()
    sub.write_text("while True:\n    pass\n")
    box = Sandboxed(sub, tmp_path / "scratch", timeout=1, startup=2)
    try:
        with pytest.raises(SandboxError, match="did not start within 2 s"):
            box.call("refund", {})
    finally:
        box.close()
    sub.write_text("import time\ntime.sleep(1.5)\nrefund = booking_in = email_ledger = len\n")
    box = Sandboxed(sub, tmp_path / "scratch", timeout=1, startup=5)
    try:   # a slow import does not eat the call's second
        assert box.call("refund", [1, 2]) == 2
    finally:
        box.close()


def test_the_scratch_is_writable_and_the_tree_is_not(tmp_path):
    sub = tmp_path / "sub" / "student_design.py"
    sub.parent.mkdir()
    sub.write_text("import os\ndef refund(r):\n    open(r['path'], 'w').write('x')\n    return []\n"
                   "booking_in = email_ledger = refund\n")
    box = Sandboxed(sub, tmp_path / "scratch")
    try:
        assert box.call("refund", {"path": str(tmp_path / "scratch" / "notes")}) == []
        for path in (ROOT / "boletia" / "x.py", sub.parent / "other.py"):
            with pytest.raises(StudentError, match="Read-only file system|Permission"):
                box.call("refund", {"path": str(path)})
    finally:
        box.close()


def test_the_stubs_answer_through_the_sandbox_as_they_do_in_process(tmp_path):
    stubs = ROOT / "notebooks" / "exercises" / "student_design.py"
    box = Sandboxed(stubs, tmp_path / "scratch")
    reservation = {"_id": ObjectId(), "evento": "Opera", "cantidad": 2}
    try:
        got = box.call("refund", reservation)
        assert got == practice.seed_refund(reservation)
        assert box.module().email_ledger("r", "A") == [{"_id": "r:A"}, {"$inc": {"intentos": 1}}]
    finally:
        box.close()


def test_the_wire_carries_writes_as_data():
    oid = ObjectId()
    writes = [Transaction((InsertOne("reembolsos", {"_id": oid}),
                           FindAndModify("inventario", {"nombre": "x"}, {"$inc": {"vendidos": -1}})))]
    assert sandbox.decode(sandbox.encode({"value": writes})) == {"value": writes}
    with pytest.raises(ValueError, match="not a write"):
        sandbox.decode('{"$write": "SendEmail", "to": "a@x.es"}')


def test_the_command_mounts_only_what_it_names(tmp_path):
    argv = sandbox.command("/venv/bin/python", tmp_path / "sub" / "f.py", tmp_path / "scratch", as_root=True)
    assert "--unshare-net" in argv and "--share-net" not in argv
    mounted = {argv[i + 1] for i, a in enumerate(argv) if a in ("--bind", "--ro-bind")}
    assert str(Path.home()) not in mounted and "/" not in mounted and "/etc" not in mounted
    writable = [argv[i + 1] for i, a in enumerate(argv) if a == "--bind"]
    assert writable == [str(tmp_path / "scratch")]
    assert argv[argv.index("--") + 1] == "bwrap" and f"--reuid={sandbox.SANDBOX_UID}" in argv


# ---------------------------------------------------------------- scores
def _results(outcomes: dict[tuple[str, bool], bool]):
    return [practice.Result(practice.Case("refund", name, "", None, key=key), passed, f"{name} detail")
            for (name, key), passed in outcomes.items()]


PART = grading.DECISIONS.parts[0]


def test_key_cases_score_only_when_the_guards_hold():
    def score(a, b, guard):
        return grading.score_cases(PART, _results({("a", True): a, ("b", True): b, ("g", False): guard}), 2)
    right = score(True, True, True)
    assert (right.cases, right.cases_possible, right.chaos_possible) == (2, 2, 4) and not right.failed
    stubs = score(False, False, True)
    assert stubs.cases == 0 and len(stubs.failed) == 2
    nothing = score(True, False, False)
    assert nothing.cases == 0 and "guard" in nothing.failed[-1]


def test_a_run_counts_for_its_part_by_its_own_invariant():
    run = {"seed": 7, "verdict": "violated", "inconclusive": None,
           "examples": {"email-duplicate": ["r1:A"]}}
    assert grading.judge_run(PART, run)[0]   # another part's damage
    run["examples"]["tickets-conserved"] = ["Opera s7: 3 sold, 2 booked"]
    ok, line = grading.judge_run(PART, run)
    assert not ok and "tickets-conserved, e.g. Opera s7" in line
    ok, line = grading.judge_run(PART, {**run, "verdict": "inconclusive", "inconclusive": "no crash"})
    assert not ok and "re-grade" in line


# ---------------------------------------------------------------- a level is one entry
def _pure_check(module, settings, cases):
    results = []
    for case in cases:
        try:
            passed, detail = case.run(module, None)
        except Exception as exc:  # noqa: BLE001
            passed, detail = False, f"raised {type(exc).__name__}: {exc}"
        results.append(practice.Result(case, passed, detail))
    return results


def test_a_made_up_level_grades_a_folder_and_says_what_the_sandbox_stopped(tmp_path):
    echo = (practice.Case("booking_in", "lookup", "", practice.booking_own_fields),
            practice.Case("booking_in", "echo", "", practice.booking_refund_echo),
            practice.Case("booking_in", "plain", "", practice.booking_plain, key=False))
    level = grading.Level("pure", (grading.Part("booking_in", "concurrent-booking-race", "the echo"),),
                          cases=lambda folder, seed: echo, check=_pure_check,
                          deploy=lambda rt, sub, folder, part: nullcontext())
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ref.py").write_text((ROOT / "instructor" / "solution.py").read_text())
    (subs / "stubs.py").write_text((ROOT / "notebooks" / "exercises" / "student_design.py").read_text())
    (subs / "thief.py").write_text("def booking_in(c):\n    return open('/root/.bashrc').read()\n"
                                   "refund = email_ledger = booking_in\n")
    rt = SimpleNamespace(status=lambda: [], settings=None)
    rows = grading.grade(subs, tmp_path / "out", seeds=0, seed=1, rt=rt, levels=(level,))
    table = {r["submission"]: (r["booking_in"], r["total"], r["possible"]) for r in rows}
    assert table == {"ref.py": ("2", "2", "2"), "stubs.py": ("0", "0", "2"), "thief.py": ("0", "0", "2")}
    notes = {r["submission"]: r["notes"] for r in rows}
    assert "FileNotFoundError" in notes["thief.py"] and not notes["ref.py"]
    report = (tmp_path / "out" / "stubs" / "report.md").read_text()
    assert "case: a booking" not in report and "case: lookup — a change that booked R1" in report
    assert list(csv.DictReader(open(tmp_path / "out" / "grades.csv")))[0]["submission"] == "ref.py"


@pytest.mark.parametrize("once, deploys", [(True, [["a", "b"], ["c"]]), (False, [["a"], ["b"], ["c"]])])
def test_a_level_deployed_once_shares_it_while_its_parts_hold(tmp_path, monkeypatch, once, deploys):
    """Each design switch restarts every service: a level whose deploy is the same for every
    part keeps one for the next part, but never after a part that failed (it may have left the
    lab wedged)."""
    from contextlib import contextmanager

    echo = (practice.Case("booking_in", "lookup", "", practice.booking_own_fields),)
    parts = tuple(grading.Part("booking_in", scenario, "", whole_verdict=True)
                  for scenario in ("notification-redelivery", "broker-kill", "poison-message"))
    seen: list[list[str]] = []

    @contextmanager
    def deploy(rt, sub, folder, part):
        seen.append([])
        yield

    def scenario(part, design, chaos_seed, rt, report):
        seen[-1].append({"notification-redelivery": "a", "broker-kill": "b"}.get(part.scenario, "c"))
        return {"seed": chaos_seed, "verdict": "violated" if part.scenario == "broker-kill" else "clean",
                "inconclusive": None, "examples": {"email-missing": ["r1:A"]}}
    monkeypatch.setattr(grading, "_scenario", scenario)
    level = grading.Level("made-up", parts, cases=lambda folder, seed: echo, check=_pure_check,
                          deploy=deploy, deploy_once=once)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ref.py").write_text((ROOT / "instructor" / "solution.py").read_text())
    rt = SimpleNamespace(status=lambda: [], settings=None)
    grading.grade(subs, tmp_path / "out", seeds=1, seed=1, rt=rt, levels=(level,))
    assert seen == deploys


# ---------------------------------------------------------------- a part judged alone
MINE = '''
def refund(reservation):
    return ["mine"]
def booking_in(change):
    return {"mine": True}
def email_ledger(reserva, estado):
    return ({"mine": reserva}, {})
'''
CANCEL = {"_id": ObjectId(), "evento": "Opera", "email": "a@x.es", "cantidad": 2, "estado": "X"}
BOOKING = {"operationType": "update", "fullDocument": {"nombre": "Opera", "reserva": {"id": "later"}},
           "updateDescription": {"updatedFields": {"reserva": {"id": "mine", "cantidad": 1}}}}


def _design(path: Path):
    from boletia.designs import student
    return student.load(path)


@pytest.mark.parametrize("judged", alone.RULES)
def test_a_design_takes_only_the_judged_function_from_the_student(tmp_path, judged):
    """The other two are the fixed design's, so a scenario's run judges one function."""
    (tmp_path / "mine.py").write_text(MINE)
    design = _design(alone.design_file(tmp_path / "mine.py", judged, tmp_path / "d.py"))
    mine = {"refund": design.refund(CANCEL) == ["mine"],
            "booking_in": design.booking_in(BOOKING) == {"mine": True},
            "email_ledger": design.email_ledger("r1", "A")[0] == {"mine": "r1"}}
    assert mine == {name: name == judged for name in alone.RULES}
    # the fixed design's answers, where the function is not the student's
    assert alone.booking_in(BOOKING) == {"id": "mine", "cantidad": 1}
    assert alone.refund(CANCEL)[0].writes[0] == InsertOne("reembolsos", {"_id": CANCEL["_id"],
                                                                         "evento": "Opera", "cantidad": 2})
    assert alone.email_ledger("r1", "A")[0] == {"_id": "r1:A", "enviado": {"$ne": True}}


def test_the_graders_design_calls_the_judged_function_through_the_sandbox(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mine.py").write_text(MINE)
    design = _design(alone.sandboxed_file(tmp_path / "sub" / "mine.py", tmp_path / "scratch", "booking_in",
                                          tmp_path / "d.py"))
    try:
        assert design.booking_in(BOOKING) == {"mine": True}     # answered by the sandbox's worker
        assert design.booking_in.__module__ == "boletia.lab.student.sandbox"
        assert design.refund is alone.refund and design.email_ledger is alone.email_ledger
    finally:
        design._box.close()
    with pytest.raises(ValueError):
        alone.design_file(tmp_path / "mine.py", "refunds", tmp_path / "x.py")


def test_the_leaderboards_design_calls_all_three_through_the_sandbox(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mine.py").write_text(MINE)
    design = _design(alone.sandboxed_whole(tmp_path / "sub" / "mine.py", tmp_path / "scratch",
                                           tmp_path / "d.py"))
    try:
        assert design.booking_in(BOOKING) == {"mine": True} and design.refund(CANCEL) == ["mine"]
        assert design.email_ledger("r1", "A")[0] == {"mine": "r1"}
        assert design.refund.__module__ == "boletia.lab.student.sandbox"
    finally:
        design._box.close()


# ---------------------------------------------------------------- the leaderboard column
def test_the_leaderboard_keeps_the_highest_rate_sustained_with_every_lower_one():
    board = grading.Leaderboard([(10, True, 120.0), (20, True, 340.4), (40, False, 2900.0)])
    assert board.best() == (20, 340.4)
    assert board.columns() == {"bench_sustained_per_s": "20", "bench_p99_ms": "340"}
    assert "sustains 20 bookings/s" in board.said() and "40/s NOT sustained" in board.said()
    # a rate that holds after one that did not is noise: the board stops at the first miss
    assert grading.Leaderboard([(10, False, 1500.0), (20, True, 300.0)]).best() is None
    none = grading.Leaderboard([(10, False, 1500.0)])
    assert none.columns() == {"bench_sustained_per_s": "", "bench_p99_ms": ""}
    assert "sustains none" in none.said()
    assert grading.Leaderboard(skipped="the cases of refund fail first").said().startswith("not measured")


def test_grade_with_bench_measures_only_the_designs_whose_cases_all_pass(tmp_path, monkeypatch):
    """The benchmark is a column beside the grade: a design whose cases fail is not measured
    (its bookings would be lost for a reason the grade already names), and says why."""
    measured = []

    def leaderboard(rt, own, folder, rates, report=None):
        measured.append(own.parent.parent.name)
        return grading.Leaderboard([(r, r < 40, 200.0) for r in rates])
    monkeypatch.setattr(grading, "leaderboard", leaderboard)
    def own_booking(module, db):   # pure, so no database: the stubs fail it, the solution passes
        found = module.booking_in(BOOKING)
        return found == {"id": "mine", "cantidad": 1}, f"-> {found}"
    cases = tuple(practice.Case(name, "own booking", "", own_booking) for name in alone.RULES)
    level = grading.Level("decisions", grading.DECISIONS.parts,
                          cases=lambda folder, seed: cases, check=_pure_check,
                          deploy=lambda rt, sub, folder, part: nullcontext())
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ref.py").write_text((ROOT / "instructor" / "solution.py").read_text())
    (subs / "stubs.py").write_text((ROOT / "notebooks" / "exercises" / "student_design.py").read_text())
    rt = SimpleNamespace(status=lambda: [], settings=None)
    rows = grading.grade(subs, tmp_path / "out", seeds=0, seed=1, rt=rt, levels=(level,),
                         bench=grading.BENCH_RATES)
    table = {r["submission"]: (r["bench_sustained_per_s"], r["bench_p99_ms"]) for r in rows}
    assert measured == ["ref"] and table == {"ref.py": ("20", "200"), "stubs.py": ("", "")}
    assert "Leaderboard (not graded)" in (tmp_path / "out" / "ref" / "report.md").read_text()
    assert "not measured: the cases of refund, booking_in, email_ledger fail first" in \
        (tmp_path / "out" / "stubs" / "report.md").read_text()
    assert list(csv.DictReader(open(tmp_path / "out" / "grades.csv")))[1]["bench_sustained_per_s"] == ""
