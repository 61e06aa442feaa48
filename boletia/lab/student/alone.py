"""One function judged alone: a design file whose one student function is judged under its
scenario while the other two are the fixed design's.

Why: a chaos scenario judges a run by its own invariant, and the three functions share one run.
With the stubs' `booking_in` (the seed's lookup) a booking under load may lose its reservation,
and that breaks `tickets-conserved`, the invariant of the refund's scenario: the refund would be
blamed for another function's damage (seen in the grader: a submission with the right refund and
the stubs' other two scored 0 on `consumer-crash-before-commit`). So each scenario runs on a design
that takes only the function it judges from the student, and the other two from the fixed design
(`boletia/domain/decisions.py`, which the lab runs as `fixed`: nothing here a student cannot read).

Two sources for the judged function: the student's file itself (notebook 06, the student's own
machine) or a sandbox around a submission (the grader: `sandbox.Sandboxed`)."""

from __future__ import annotations

from pathlib import Path

from boletia import designs
from boletia.domain import decisions

RULES = ("refund", "booking_in", "email_ledger")


# ---------------------------------------------------------------- the fixed design's three
def refund(reservation: dict) -> list:
    return list(decisions.on_reservas(reservation, designs.get(designs.DEFAULT).refund).writes)


def booking_in(change: dict) -> dict | None:
    return decisions.booking_written(change)


def email_ledger(reserva: str, estado: str) -> tuple[dict, dict]:
    return decisions.ledger_claim(reserva, estado)


# ---------------------------------------------------------------- the design file
def _check(judged: str) -> None:
    if judged not in RULES:
        raise ValueError(f"not a student function: {judged!r} (one of {', '.join(RULES)})")


def _others(judged: str) -> str:
    return "".join(f"{name} = alone.{name}\n" for name in RULES if name != judged)


def design_file(student_file: Path, judged: str, path: Path) -> Path:
    """A design whose `judged` comes from the student's file (loaded by the consumer that uses
    it, afresh at every start), the other two from the fixed design."""
    _check(judged)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'"""Written by the lab: `{judged}` from {Path(student_file).name}, the other two the fixed '
        'design\'s."""\n'
        "from pathlib import Path\n"
        "from boletia.designs import student\n"
        "from boletia.lab.student import alone\n"
        f"{judged} = student.load(Path({str(Path(student_file).resolve())!r})).{judged}\n"
        + _others(judged))
    return path


def sandboxed_file(submission: Path, scratch: Path, judged: str, path: Path) -> Path:
    """The grader's design: `judged` is a call into a sandbox around the submission (the
    submission never runs in a lab process), the other two the fixed design's."""
    _check(judged)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'"""Written by `boletia grade`: `{judged}` from the submission, called through a sandbox; '
        'the other two the fixed design\'s."""\n'
        "import sys\n"
        "from boletia.lab.student import alone\n"
        "from boletia.lab.student.sandbox import Sandboxed\n"
        f"_box = Sandboxed({str(Path(submission).resolve())!r}, {str(Path(scratch).resolve())!r}, "
        "stderr=sys.stderr)\n"
        f"{judged} = _box.function({judged!r})\n"
        + _others(judged))
    return path


def sandboxed_whole(submission: Path, scratch: Path, path: Path) -> Path:
    """The grader's design for the leaderboard: all three decisions are calls into a sandbox
    around the submission (its cost as graded, the sandbox's calls included)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '"""Written by `boletia grade --bench`: the three decisions from the submission, called '
        'through a sandbox."""\n'
        "import sys\n"
        "from boletia.lab.student.sandbox import Sandboxed\n"
        f"_box = Sandboxed({str(Path(submission).resolve())!r}, {str(Path(scratch).resolve())!r}, "
        "stderr=sys.stderr)\n"
        + "".join(f"{name} = _box.function({name!r})\n" for name in RULES))
    return path


# ---------------------------------------------------------------- level "consumer loop"
def load_loop(loop_file: Path) -> type:
    """The student's `ConsumerLoop` class, read afresh from its file; say what is missing."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("student_consumer_loop", loop_file)
    if spec is None or spec.loader is None or not Path(loop_file).exists():
        raise SystemExit(f"the consumer loop level needs its file: {loop_file} does not exist "
                         "(start again from notebooks/exercises/consumer_loop.py)")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    loop = getattr(module, "ConsumerLoop", None)
    if not isinstance(loop, type) or not callable(getattr(loop, "step", None)):
        raise SystemExit(f"{loop_file} has no class ConsumerLoop with a method step(): start "
                         "again from notebooks/exercises/consumer_loop.py")
    return loop


def loop_design_file(loop_file: Path, path: Path) -> Path:
    """A design with the fixed design's three decisions and the student's consumer loop for
    group notificaciones (loaded by that consumer afresh at every start): the loop is judged on
    its own, never blamed for a decision's damage."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'"""Written by the lab: the consumer loop from {Path(loop_file).name}, the three decisions '
        'the fixed design\'s."""\n'
        "from pathlib import Path\n"
        "from boletia.lab.student import alone\n"
        f"ConsumerLoop = alone.load_loop(Path({str(Path(loop_file).resolve())!r}))\n"
        + "".join(f"{name} = alone.{name}\n" for name in RULES))
    return path


# ---------------------------------------------------------------- level "connector"
def fixed_file(path: Path) -> Path:
    """A student design with the fixed design's three decisions: the connector level judges the
    student's connector alone, never a decision's damage."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('"""Written by the lab: the fixed design\'s three decisions (the connector '
                    'level)."""\n'
                    "from boletia.lab.student import alone\n"
                    + "".join(f"{name} = alone.{name}\n" for name in RULES))
    return path
