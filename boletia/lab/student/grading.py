"""Grading a class: every submission judged by the cases (the practice ones and the grader's
own, drawn from a seed at grade time) and by the chaos verdicts over seeds the student never
ran, each submission in a sandbox (`sandbox.py`), into one table and one short report each.

The grade is made of levels (`LEVELS`), each of parts: the three decisions, the consumer loop,
the connector (its configuration is data: checked as it is, no sandbox), the nemesis (a fault
and an invariant of the student's: its runs must end clean on the fixed design and violated on
broken designs the student has not seen).
A part is one function of the student's and one failure mode: its points are

- its key cases (the seed fails them): a point each, counted only if its guard cases (ordinary
  behaviour the seed has) also pass: returning nothing fixes no failure mode; untouched stubs
  score 0 here;
- its chaos scenario over each grade seed: CHAOS_POINTS each when the fault fired and the
  scenario's own invariant held. The scenario runs on a design that takes only this part's
  function from the submission, the others from the fixed design (`alone.py`): a part is judged
  on its own code, never blamed for another part's damage in the same run. The scenarios run
  only once the part passes all its cases (the tests first, as in MIT 6.5840): a part that fails
  them is not worth a 15-second run.

A new level is one more `Level` in LEVELS: its parts, how its cases are drawn, how a submission
is checked against them, and how the lab is put on a submission for its scenarios
(docs/instructor-guide.md, "Adding a level").

Otter-grader was dropped for this runner: otter runs the submission in the grader's own process
(no sandbox), keeps its hidden tests in the folder the students check against (readable), scores
a question all-or-nothing (the stubs scored 2 of 9 on the cases they already pass), and knows
nothing of a chaos verdict. What was left of it was a zip and a results.json to parse.
"""

from __future__ import annotations

import csv
import importlib.util
import random
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from boletia.lab.errors import LabError
from boletia.lab.student import (
    alone,
    connector,
    loop_cases,
    nemesis,
    practice,
    sandbox,
    sandboxed_loop,
)

INSTRUCTOR = Path(__file__).resolve().parents[3] / "instructor"
CHAOS_POINTS = 2
RERUNS = 1   # an inconclusive scenario (its fault did not fire: e.g. the load ended before a broker
#              kill on a busy machine) runs once more before the report says "re-grade this one"
RULES_CALLS = ("refund", "booking_in", "email_ledger")


@dataclass(frozen=True)
class Part:
    name: str        # a column of grades.csv; the exercise its cases name
    scenario: str    # the chaos scenario of its failure mode (judged by its own invariant)
    idea: str        # what the part is about, for the report
    whole_verdict: bool = False  # judged by the scenario's whole verdict, not one invariant
    #                              (a loop's failure shows wherever the lost message leads)
    expect: str = "clean"   # "violated": the run must find something (a nemesis on a broken design)


@dataclass(frozen=True)
class Level:
    name: str
    parts: tuple[Part, ...]
    cases: Callable[[Path, int], tuple]            # (instructor folder, seed) -> every case
    check: Callable[..., list]                     # (submission's functions, settings, cases) -> results
    deploy: Callable[..., object]  # (runtime, submission, folder, part) -> context manager: the lab
    #                                 on the submission's `part` alone
    design: str = "student"
    file: str = "student_design.py"   # the level's file in a submission folder
    serve: Callable[[Path], Path] | None = None  # the file the sandbox loads, made from it
    calls: tuple[str, ...] = RULES_CALLS      # the functions the sandbox answers
    deploy_once: bool = False  # the deploy is the same for every part: the parts share one
    #                            while they hold (each design switch restarts every service)
    sandboxed: bool = True   # False: the file is data the lab reads (the connector's JSON),
    #                          checked as it is: no code of the student's runs
    gate: str = ""   # a part whose scenarios must all hold before the others' run at all
    needs_instructor: bool = False   # its deploy reads the instructor's folder (`instructor=`)


def _instructor_module(path: Path):
    """A file of the instructor's folder, imported afresh (never from the package: students
    read the package)."""
    spec = importlib.util.spec_from_file_location(f"boletia_instructor_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _decision_cases(instructor: Path, seed: int) -> tuple:
    hidden = instructor / "hidden_cases.py"
    if not hidden.exists():
        raise LabError(f"no hidden cases at {hidden}: grade from a checkout with the instructor's "
                       "folder, or point --instructor at your copy")
    return (*practice.CASES, *_instructor_module(hidden).cases(seed))


@contextmanager
def _student_design(rt, submission: Path, folder: Path, part: Part) -> Iterator[None]:
    """The lab on the student design, whose consumers call the submission's `part` through a
    sandbox and take the other two decisions from the fixed design."""
    proxy = alone.sandboxed_file(submission, folder / "scratch", part.name,
                                 folder / f"design-{part.name}.py")
    found = rt.design()
    rt.set_design("student", student_module=proxy)
    try:
        yield
    finally:
        rt.set_design(found if found != "student" else "fixed")


DECISIONS = Level(
    "decisions",
    (Part("refund", "consumer-crash-before-commit", "at-least-once and atomicity: a redelivered "
          "cancel refunds once"),
     Part("booking_in", "concurrent-booking-race", "the lookup and the echo: the booking this "
          "write made, and no booking in what is not one"),
     Part("email_ledger", "notification-redelivery", "at-least-once at the edge: one email per "
          "state, a resend counted")),
    _decision_cases, practice.check, _student_design)

# ---------------------------------------------------------------- level 2: the consumer loop
def _loop_check(module, settings, cases) -> list:
    """Run the drawn cases on the submission in its sandbox; an answer that is not the cases'
    (the loop hung, the worker died) fails every case with the reason."""
    seed = getattr(cases, "seed", None)
    by_name = {(c.exercise, c.name): c for c in cases}
    try:
        answered = module.cases(seed)
    except Exception as exc:  # noqa: BLE001 - the sandbox stopped it, or the file did not load
        return [loop_cases.Result(c, False, f"raised {exc}"[:300]) for c in cases]
    return [loop_cases.Result(by_name[(part, name)], bool(passed), str(detail))
            for part, name, passed, detail in answered if (part, name) in by_name]


class _Drawn(tuple):
    """The cases with the seed they were drawn from (the sandbox draws them again from it)."""
    seed: int | None = None


def _drawn_loop_cases(instructor: Path, seed: int) -> tuple:
    """Drawn from the grade's seed; the sandbox draws and runs the same ones on the submission
    (`sandboxed_loop.worker_cases`): here their names, parts and hints, for the report."""
    out = _Drawn(loop_cases.cases(seed))
    out.seed = seed
    return out


@contextmanager
def _student_loop(rt, submission: Path, folder: Path, part: Part) -> Iterator[None]:
    """The lab on the student design with the fixed decisions and the submission's loop for
    group notificaciones, the loop running in a sandbox (`sandboxed_loop`)."""
    wrapper = sandboxed_loop.wrapper_file(submission, submission.parent / "loop_wrapper.py")
    design = sandboxed_loop.design_file(wrapper, folder / "loop-scratch", folder / "design-loop.py")
    found = rt.design()
    rt.set_design("student", student_module=design)
    try:
        yield
    finally:
        rt.set_design(found if found != "student" else "fixed")


LOOP = Level(
    "loop",
    (Part("loop_commit", "notification-redelivery", "at-least-once: commit only after the work; "
          "a crash before the commit brings the message back", whole_verdict=True),
     Part("loop_retry", "broker-kill", "a failure that may pass is retried, nothing committed past "
          "it; a refused commit is no reason to stop", whole_verdict=True),
     Part("loop_poison", "poison-message", "a message that can never succeed is dead-lettered, "
          "and the ones after it go on", whole_verdict=True)),
    _drawn_loop_cases, _loop_check, _student_loop, file="consumer_loop.py",
    serve=lambda own: sandboxed_loop.wrapper_file(own, own.parent / "loop_wrapper.py"),
    calls=("cases",), deploy_once=True)   # the whole loop runs: the same deploy for each part

# ---------------------------------------------------------------- level 3: the connector
def _drawn_connector_cases(instructor: Path, seed: int) -> tuple:
    """The instant checks and the live comparison's cases over writes drawn from the grade's
    seed by the instructor's folder (`connector_cases.py`)."""
    hidden = instructor / "connector_cases.py"
    if not hidden.exists():
        raise LabError(f"no connector cases at {hidden}: grade from a checkout with the "
                       "instructor's folder, or point --instructor at your copy")
    plan = _instructor_module(hidden).plan(seed)
    out = connector.Drawn((*connector.INSTANT, *connector.live_cases(plan)))
    out.plan = plan
    return out


def _connector_check(own: Path, settings, cases) -> list:
    return connector.check(own, settings, cases)


@contextmanager
def _student_connector(rt, submission: Path, folder: Path, part: Part) -> Iterator[None]:
    """The lab on the student design with the fixed decisions, its publisher of inventario
    replaced by the submission's configuration (a refused or failed one is what the run
    judges: its connectors-running invariant names it); the lab's own put back after."""
    design = alone.fixed_file(folder / "design-connector.py")
    found = rt.design()
    rt.set_design("student", student_module=design)
    try:
        try:
            connector.install(rt.settings, submission)
        except LabError as exc:
            (folder / "connector-install.txt").write_text(str(exc))
        yield
    finally:
        rt.set_design(found if found != "student" else "fixed")


CONNECTOR = Level(
    "connector",
    (Part("connector_events", "concurrent-booking-race", "the change event, not the document: "
          "what this write did (updateDescription), with its post-image", whole_verdict=True),
     #   whole verdict: a connector whose events the consumer cannot read loses every booking
     #   (booking-has-reservation), and the checker's canary is dropped (pipeline-drained)
     Part("connector_scope", "connect-restart", "what the pipeline lets through, the key, the "
          "source's resume point: every change published once, by its publisher",
          whole_verdict=True)),
    _drawn_connector_cases, _connector_check, _student_connector, file="inventory_connector.json",
    calls=(), sandboxed=False)

# ---------------------------------------------------------------- level 4: the nemesis
def _hidden_designs(instructor: Path) -> list[Path]:
    found = sorted((instructor / "nemesis_designs").glob("*.py"))
    if not found:
        raise LabError(f"no broken designs in {instructor / 'nemesis_designs'}: grade from a "
                       "checkout with the instructor's folder, or point --instructor at your copy")
    return found


def _drawn_nemesis_cases(instructor: Path, seed: int) -> tuple:
    """The invariant on worlds drawn from the grade's seed (not the practice seed), and the
    steps' own check in every part (each part's runs carry them out)."""
    steps = [practice.Case(p.name, c.name, c.hint, c.run) for p in NEMESIS.parts
             for c in nemesis.steps_cases()]
    return (*nemesis.invariant_cases(seed), *steps)


def _nemesis_check(module, settings, cases) -> list:
    return nemesis.check(module, settings, cases)


@contextmanager
def _student_nemesis(rt, submission: Path, folder: Path, part: Part,
                     instructor: Path = INSTRUCTOR) -> Iterator[None]:
    """The lab on the fixed design (the gate: no false alarm) or on hidden broken design k
    (the instructor's `nemesis_designs/`, one decision broken, the others the fixed design's),
    and the submission's nemesis registered as scenario `nemesis`: its steps read once, its
    invariant called through a sandbox at the end of each run."""
    if part.expect == "violated":
        hidden = _hidden_designs(instructor)[int(part.name.rsplit("_", 1)[-1]) - 1]
        design = alone.design_file(hidden, _instructor_module(hidden).JUDGED,
                                   folder / f"design-{part.name}.py")
    else:
        design = alone.fixed_file(folder / "design-nemesis-fixed.py")
    box = sandbox.Sandboxed(nemesis.wrapper_file(submission, submission.parent / "nemesis_wrapper.py"),
                            folder / "scratch", timeout=30.0)
    found = rt.design()
    try:
        made = nemesis.scenario(box.call("steps"), box.function("invariant"))
        rt.set_design("student", student_module=design)
        with nemesis.registered(made):
            yield
    finally:
        box.close()
        rt.set_design(found if found != "student" else "fixed")


NEMESIS = Level(
    "nemesis",
    (Part(nemesis.INVARIANT, nemesis.SCENARIO, "no false alarm: on the fixed design the fault "
          "fires and the run ends clean, your invariant included", whole_verdict=True),
     Part("nemesis_catch_1", nemesis.SCENARIO, "a broken design you have not seen: your fault "
          "makes its bug show, so the run ends violated", whole_verdict=True, expect="violated"),
     Part("nemesis_catch_2", nemesis.SCENARIO, "another broken design you have not seen",
          whole_verdict=True, expect="violated")),
    _drawn_nemesis_cases, _nemesis_check, _student_nemesis, file="nemesis.py",
    serve=lambda own: nemesis.wrapper_file(own, own.parent / "nemesis_wrapper.py"),
    calls=("steps", "invariant"), gate=nemesis.INVARIANT, needs_instructor=True)

LEVELS: tuple[Level, ...] = (DECISIONS, LOOP, CONNECTOR, NEMESIS)


def levels_named(names: str | None) -> tuple[Level, ...]:
    """`decisions,loop` -> those levels (None: every one): a class graded on what it did."""
    if not names:
        return LEVELS
    by_name = {lv.name: lv for lv in LEVELS}
    unknown = [n for n in names.split(",") if n.strip() not in by_name]
    if unknown:
        raise LabError(f"no level {', '.join(unknown)}: the levels are {', '.join(by_name)}")
    return tuple(by_name[n.strip()] for n in names.split(","))


# ---------------------------------------------------------------- scores
@dataclass
class PartScore:
    part: Part
    cases: float = 0
    cases_possible: int = 0
    chaos: float = 0
    chaos_possible: int = 0
    failed: list[str] = field(default_factory=list)   # one line each: the case or scenario, one example

    @property
    def points(self) -> float:
        return self.cases + self.chaos

    @property
    def possible(self) -> int:
        return self.cases_possible + self.chaos_possible


def score_cases(part: Part, results: list, seeds: int) -> PartScore:
    mine = [r for r in results if r.case.exercise == part.name]
    keys = [r for r in mine if r.case.key]
    guards_hold = all(r.passed for r in mine if not r.case.key)
    score = PartScore(part, cases_possible=len(keys), chaos_possible=CHAOS_POINTS * seeds)
    score.cases = sum(r.passed for r in keys) if guards_hold else 0
    score.failed = [f"case: {r.case.name} — {r.detail}" for r in mine if not r.passed]
    if not guards_hold:
        score.failed.append("(a guard case fails: the key cases of this part count 0)")
    return score


def judge_run(part: Part, run: dict) -> tuple[bool, str]:
    """A scenario's run counts for a part when its fault fired and its own invariant held."""
    from boletia.lab.experiments import chaos

    own = chaos.SCENARIOS[part.scenario].seed_violates if part.scenario in chaos.SCENARIOS else ""
    name = f"scenario: {part.scenario} (seed {run['seed']})"
    if run["verdict"] == chaos.INCONCLUSIVE:
        return False, f"{name} inconclusive ({run['inconclusive']}): re-grade this one"
    if part.expect == "violated":
        if run["verdict"] == chaos.VIOLATED:
            kind, examples = next(iter(run["examples"].items()), ("?", ["?"]))
            return True, f"{name} caught it: {kind}, e.g. {examples[0]}"
        return False, f"{name} ended clean: the fault did not expose this design's bug"
    if part.whole_verdict:
        if run["verdict"] == chaos.CLEAN:
            return True, f"{name} clean"
        kind, examples = next(iter(run["examples"].items()), ("?", ["?"]))
        return False, f"{name} found {kind}, e.g. {examples[0]}"
    if own in run["examples"]:
        return False, f"{name} found {own}, e.g. {run['examples'][own][0]}"
    return True, f"{name} clean on {own}"


# ---------------------------------------------------------------- the run
@dataclass
class Graded:
    submission: str
    parts: list[PartScore]
    notes: list[str]
    bench: Leaderboard | None = None   # with --bench: the design's cost, beside the grade

    def row(self) -> dict:
        row: dict = {"submission": self.submission}
        row.update({p.part.name: f"{p.points:g}" for p in self.parts})
        row["total"] = f"{sum(p.points for p in self.parts):g}"
        row["possible"] = str(sum(p.possible for p in self.parts))
        if self.bench is not None:
            row.update(self.bench.columns())
        row["notes"] = "; ".join(self.notes)[:500]
        return row

    def report(self, seed: int, seeds: list[int]) -> str:
        lines = [f"# {self.submission}: {self.row()['total']} of {self.row()['possible']}", "",
                 f"Cases drawn from grade seed {seed}; chaos scenarios over seeds {seeds}.", ""]
        for p in self.parts:
            lines.append(f"## {p.part.name}: {p.points:g} of {p.possible} "
                         f"(cases {p.cases:g}/{p.cases_possible}, scenarios {p.chaos:g}/{p.chaos_possible})")
            lines.append(f"*{p.part.idea}*")
            lines += [f"- {f}" for f in p.failed] or ["- nothing failed"]
            lines.append("")
        if self.bench is not None:
            lines += ["## Leaderboard (not graded)", self.bench.said(), ""]
        if self.notes:
            lines += ["## What the sandbox stopped", *[f"- {n}" for n in self.notes]]
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the leaderboard column
BENCH_RATES = (10.0, 20.0, 40.0)   # bookings a second, in rising order
BENCH_SECONDS = 5.0


@dataclass
class Leaderboard:
    """What the submission's design sustains (bench.py's rule: every accepted booking's
    reservation written, p99 from POST to reservation within 1 s), its three decisions called
    through the sandbox; not a grade. `steps`: (rate, sustained, p99 ms) as measured, rising."""
    steps: list[tuple[float, bool, float | None]] = field(default_factory=list)
    skipped: str = ""   # why it was not measured

    def best(self) -> tuple[float, float | None] | None:
        """The highest rate sustained with every lower one, and its p99 (ms)."""
        found = None
        for rate, sustained, p99 in self.steps:
            if not sustained:
                break
            found = (rate, p99)
        return found

    def columns(self) -> dict[str, str]:
        best = self.best()
        return {"bench_sustained_per_s": f"{best[0]:g}" if best else "",
                "bench_p99_ms": f"{best[1]:.0f}" if best and best[1] is not None else ""}

    def said(self) -> str:
        if self.skipped:
            return f"not measured: {self.skipped}"
        tried = ", ".join(f"{r:g}/s {'sustained' if s else 'NOT sustained'}"
                          + (f" (p99 {p:.0f} ms)" if p is not None else "") for r, s, p in self.steps)
        best = self.best()
        head = (f"sustains {best[0]:g} bookings/s, p99 POST->reservation {best[1]:.0f} ms"
                if best and best[1] is not None else "sustains none of the rates tried")
        return f"{head} (tried {tried}; the sandbox's calls included)"


def leaderboard(rt, submission: Path, folder: Path, rates: tuple[float, ...] = BENCH_RATES,
                seconds: float = BENCH_SECONDS, report=lambda m: None) -> Leaderboard:
    """The open-loop benchmark (bench.run_rate) on the student design whose three decisions are
    the submission's, in rising rates until one is not sustained; the lab's design put back."""
    from boletia.adapters import mongo
    from boletia.lab.experiments import bench
    from boletia.lab.notebook.client import Boletia

    board = Leaderboard()
    found = rt.design()
    rt.set_design("student", student_module=alone.sandboxed_whole(
        submission, folder / "scratch", folder / "design-bench.py"))
    try:
        api = Boletia(token=rt.admin_token(), settings=rt.settings, timeout=10)
        with mongo.connect(rt.settings) as c:
            db = mongo.database(c)
            for rate in rates:
                step, _ = bench.run_rate(rt, api, db, "student", rate, seconds, lead_in=2.0)
                p99 = step.to_reservation_ms.get("p99")
                board.steps.append((rate, step.sustained, p99))
                verdict = "sustained" if step.sustained else "NOT sustained"
                report(f"  bench {rate:g}/s: accepted {step.accepted}/{step.sent}, recorded "
                       f"{step.recorded}, p99 {p99} ms -> {verdict}")
                if not step.sustained:
                    break
    finally:
        rt.set_design(found if found != "student" else "fixed")
    return board


def grade(submissions: Path, out: Path, seeds: int = 2, seed: int | None = None,
          instructor: Path = INSTRUCTOR, rt=None, levels: tuple[Level, ...] = LEVELS,
          report=lambda m: None, bench: tuple[float, ...] = ()) -> list[dict]:
    """Grade every *.py in `submissions`; write `out/grades.csv` and `out/<name>/report.md`.
    `bench`: rates (bookings/s) of a leaderboard column for each submission whose decisions
    pass every case (the others are not measured, and say so)."""
    files = sorted([*submissions.glob("*.py"), *(d for d in submissions.iterdir() if d.is_dir())])
    if not files:
        raise LabError(f"no submissions (NAME.py, or a folder NAME/ with student_design.py, "
                       f"consumer_loop.py, inventory_connector.json or nemesis.py) in {submissions}")
    sandbox.available()
    if rt is None:
        from boletia.lab.runtimes.factory import get_runtime
        rt = get_runtime("local")
    down = [c.name for c in rt.status() if c.state != "running"]
    if down:
        raise LabError(f"grading needs the lab up ({', '.join(down)} not running): `boletia lab up`")
    seed = secrets.randbelow(10**6) if seed is None else seed
    chaos_seeds = random.Random(seed).sample(range(100, 10_000), seeds)
    report(f"grade seed {seed}; chaos seeds {chaos_seeds}")
    out.mkdir(parents=True, exist_ok=True)
    graded = []
    for sub in files:
        report(f"{sub.name}: ...")
        graded.append(grade_one(sub, out / sub.stem, rt, seed, chaos_seeds, instructor, levels, report))
        if bench:
            graded[-1].bench = _bench(graded[-1], sub, out / sub.stem, rt, bench, report)
        (out / sub.stem / "report.md").write_text(graded[-1].report(seed, chaos_seeds))
    rows = [g.row() for g in graded]
    with open(out / "grades.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def grade_one(sub: Path, folder: Path, rt, seed: int, chaos_seeds: list[int], instructor: Path,
              levels: tuple[Level, ...], report=lambda m: None) -> Graded:
    """One submission: its own folder (a read-only copy of the file, a scratch, its log)."""
    if folder.exists():
        shutil.rmtree(folder)
    parts, notes = [], []
    (folder / "submission").mkdir(parents=True)
    with open(folder / "sandbox.log", "wb") as log:
        for level in levels:
            # NAME.py: the decisions alone; a folder NAME/: each level's file in it
            source = sub / level.file if sub.is_dir() else sub if level.file == "student_design.py" \
                else sub / "none"
            if not source.is_file():   # a level not handed in: its parts score 0, said so
                scores = [score_cases(p, [], len(chaos_seeds)) for p in level.parts]
                for s in scores:
                    s.cases_possible = len([c for c in level.cases(instructor, seed)
                                            if c.exercise == s.part.name and c.key])
                    s.failed.append(f"not handed in: no {level.file} in the submission")
                parts += scores
                continue
            own = folder / "submission" / level.file
            shutil.copyfile(source, own)
            if not level.sandboxed:   # data, not code: the lab reads it
                results = level.check(own, rt.settings, cases=level.cases(instructor, seed))
                box = None
            else:
                box = sandbox.Sandboxed(level.serve(own) if level.serve else own, folder / "scratch",
                                        stderr=log, timeout=60.0 if level.serve else sandbox.TIMEOUT)
                try:
                    results = level.check(box.module(level.calls), rt.settings,
                                          cases=level.cases(instructor, seed))
                finally:
                    box.close()
                notes += box.incidents
            scores = [score_cases(p, results, len(chaos_seeds)) for p in level.parts]
            ready = [s for s in scores if s.cases == s.cases_possible and not s.failed]
            for s in scores:
                if s not in ready:
                    s.failed.append("scenarios: not run (the cases fail first)")
            pending = list(ready) if chaos_seeds else []
            gate = next((s for s in scores if s.part.name == level.gate), None)
            extra = {"instructor": instructor} if level.needs_instructor else {}
            while pending:
                if gate is not None and pending[0] is not gate and \
                        (gate.failed or gate.chaos < gate.chaos_possible):
                    for s in pending:   # caught by a nemesis that cries wolf: worth nothing
                        s.failed.append(f"scenarios: not run ({level.gate} must hold first: a "
                                        "run on the fixed design that ends clean)")
                    break
                with level.deploy(rt, own, folder, pending[0].part, **extra):   # this part alone
                    while pending:
                        s = pending.pop(0)
                        for chaos_seed in chaos_seeds:
                            run = _scenario(s.part, level.design, chaos_seed, rt, report)
                            ok, line = judge_run(s.part, run)
                            report(f"  {line}")
                            s.chaos += CHAOS_POINTS if ok else 0
                            if not ok:
                                s.failed.append(line)
                        # a deploy_once level keeps its deploy for the next part while this
                        # one held; a part that failed may have left the lab wedged: the next
                        # part gets a fresh deploy
                        if s.failed or not level.deploy_once:
                            break
            parts += scores
    notes += _raised(parts)
    return Graded(sub.name, parts, notes)


def _bench(graded: Graded, sub: Path, folder: Path, rt, rates: tuple[float, ...], report) -> Leaderboard:
    """The leaderboard column of one submission: measured only on decisions that pass every case."""
    decisions = [p for p in graded.parts if p.part.name in RULES_CALLS]
    own = folder / "submission" / DECISIONS.file
    if len(decisions) < len(RULES_CALLS) or not own.is_file():
        return Leaderboard(skipped="no decisions handed in")
    failing = [p.part.name for p in decisions if p.cases < p.cases_possible or not p.cases_possible]
    if failing:
        return Leaderboard(skipped=f"the cases of {', '.join(failing)} fail first")
    report(f"{sub.name}: the leaderboard's benchmark ...")
    return leaderboard(rt, own, folder, rates, report=report)


def _scenario(part: Part, design: str, chaos_seed: int, rt, report) -> dict:
    """The part's scenario on the deployed lab; an inconclusive run judged nothing: again."""
    from boletia.lab.experiments import chaos

    for _ in range(1 + RERUNS):
        run = chaos.run(part.scenario, design, chaos_seed, rt=rt)
        if run["verdict"] != chaos.INCONCLUSIVE:
            break
        report(f"  {part.scenario} (seed {chaos_seed}) inconclusive "
               f"({run['inconclusive']}): running it again")
    return run


def _raised(parts: list[PartScore]) -> list[str]:
    """The exceptions the submission's code raised (what the sandbox refused shows up here)."""
    seen: dict[str, str] = {}
    for p in parts:
        for line in p.failed:
            if " raised " in line:
                what = line.split(" raised ", 1)[-1]
                seen.setdefault(what, f"{p.part.name} raised {what}"[:200])
    return list(seen.values())
