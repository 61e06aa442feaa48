"""Issue 25.3 end to end: a class whose submissions try to read a file outside, open a socket
elsewhere and fork without end is graded; each attempt fails inside its sandbox, the report
says what was stopped, and the grading goes on (the reference graded after them: full marks)."""

import socket
from contextlib import nullcontext
from pathlib import Path
from types import SimpleNamespace

import pytest

from boletia.lab.student import grading, practice, sandbox

ROOT = Path(__file__).resolve().parents[2]
OTHERS = "refund = email_ledger = booking_in\n"


def _check(module, settings, cases):
    results = []
    for case in cases:
        try:
            passed, detail = case.run(module, None)
        except Exception as exc:  # noqa: BLE001 - what the sandbox refused is the result
            passed, detail = False, f"raised {type(exc).__name__}: {exc}"
        results.append(practice.Result(case, passed, detail))
    return results


@pytest.fixture
def listener():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        s.settimeout(0.2)
        yield s


def test_each_attack_fails_in_its_sandbox_and_the_grading_goes_on(tmp_path, listener):
    sandbox.available()
    port = listener.getsockname()[1]
    secret = tmp_path / "token"
    secret.write_text("s3cret")
    cases = (practice.Case("booking_in", "lookup", "", practice.booking_own_fields),
             practice.Case("booking_in", "plain", "", practice.booking_plain, key=False))
    level = grading.Level("pure", (grading.Part("booking_in", "concurrent-booking-race", "x"),),
                          cases=lambda folder, seed: cases, check=_check,
                          deploy=lambda rt, sub, folder, part: nullcontext())
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a_reader.py").write_text(f"def booking_in(c):\n    return open({str(secret)!r}).read()\n"
                                      + OTHERS)
    (subs / "b_caller.py").write_text(
        "import socket\ndef booking_in(c):\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=2).close()\n"
        "    return c['updateDescription']['updatedFields']['reserva']\n" + OTHERS)
    (subs / "c_forker.py").write_text("import os\ndef booking_in(c):\n    while True:\n"
                                      "        os.fork()\n" + OTHERS)
    (subs / "d_ref.py").write_text((ROOT / "instructor" / "solution.py").read_text())
    rt = SimpleNamespace(status=lambda: [], settings=None)
    rows = {r["submission"]: r for r in grading.grade(subs, tmp_path / "out", seeds=0, seed=1,
                                                       rt=rt, levels=(level,))}
    assert {n: r["total"] for n, r in rows.items()} == {
        "a_reader.py": "0", "b_caller.py": "0", "c_forker.py": "0", "d_ref.py": "1"}
    assert "FileNotFoundError" in rows["a_reader.py"]["notes"]
    assert "ConnectionRefusedError" in rows["b_caller.py"]["notes"]
    assert "BlockingIOError" in rows["c_forker.py"]["notes"]
    assert not rows["d_ref.py"]["notes"]
    with pytest.raises(TimeoutError):   # nothing ever reached the port outside
        listener.accept()
    assert "s3cret" not in (tmp_path / "out" / "a_reader" / "report.md").read_text()
