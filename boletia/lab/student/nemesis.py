"""Level 4, the nemesis: the student attacks the pipeline instead of defending it.

A submission (`nemesis.py`) holds two things:

- `STEPS`, the fault to inject under load, as data: a list of steps, each one of the lab's fault
  verbs with its arguments (`VERBS`). Data, not code: the lab carries the steps out itself, so
  nothing of the student's ever holds the runtime, and a step it cannot carry out is refused
  with what to write instead.
- `invariant(view)`, a check of the lab's final state the student writes: a list of lines, one
  per violation (empty: nothing wrong). `view` is plain data (`view()`): the events with their
  capacity and the tickets still for sale, and the reservations.

It is judged three ways: the invariant on small worlds, some damaged (it must say so) and some
healthy (it must stay silent); the steps on the fixed design (the run must end clean: the
student's invariant raises no false alarm on a correct pipeline); and the steps on broken
designs the student has not seen (the run must end violated: the fault exposed the bug). The
grader's worlds and broken designs are in the instructor's folder; the ones here are practice.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from boletia.lab.components import BY_NAME, CONSUMERS
from boletia.lab.errors import LabError
from boletia.lab.student.practice import Case, Result

INVARIANT, STEPS = "nemesis_invariant", "nemesis_steps"   # the exercises the cases name
MAX_STEPS = 4
FINDING = "your-invariant"   # the kind the student's invariant reports under, in a chaos run
# what a step may stop or freeze: every component but the lab's own tools
TARGETS = ("mongo", "ses", "kafka-1", "kafka-2", "kafka-3", "connect", "eventos", "reservas",
           *CONSUMERS)

# verb -> (what it does, its arguments: name -> (type, lowest, highest) or the allowed names)
VERBS: dict[str, tuple[str, dict[str, Any]]] = {
    "crash": ("the consumer exits after its next `times` writes, before their commit, and is "
              "started again (as a supervisor would)",
              {"consumer": CONSUMERS, "times": (int, 1, 5), "topic": "one of the consumer's topics"}),
    "slow": ("the consumer sleeps `seconds` before each commit, until the run ends",
             {"consumer": CONSUMERS, "seconds": (float, 0.1, 3.0)}),
    "fail-writes": ("MongoDB fails the next `times` writes (of `service` alone, when given)",
                    {"times": (int, 1, 20), "service": ("eventos", "reservas", *CONSUMERS)}),
    "kill": ("the component is SIGKILLed, kept down `seconds`, then started again",
             {"component": TARGETS, "seconds": (float, 0.5, 10.0)}),
    "pause": ("the component is frozen (SIGSTOP) for `seconds`, then resumed",
              {"component": TARGETS, "seconds": (float, 0.5, 10.0)}),
}
OPTIONAL = {"topic", "service"}
DELAY = (0.0, 10.0)   # seconds before a step, after the previous one (the load runs meanwhile)


class NemesisError(LabError):
    """A step the lab cannot carry out: what is wrong, and what to write."""


def parse(steps: Any) -> list[dict]:
    """The steps as the lab will carry them out (each with its `delay`), or a NemesisError that
    names the step and says what to write."""
    if not isinstance(steps, list):
        raise NemesisError(f"STEPS must be a list of steps, not {type(steps).__name__}")
    if not 1 <= len(steps) <= MAX_STEPS:
        raise NemesisError(f"STEPS has {len(steps)} step(s): write 1 to {MAX_STEPS} (a fault "
                           "the lab injects under load; with none, nothing is attacked)")
    out = []
    for i, step in enumerate(steps, 1):
        if not isinstance(step, dict) or step.get("verb") not in VERBS:
            raise NemesisError(f"step {i}: {step!r} needs a 'verb', one of {', '.join(VERBS)}")
        verb = step["verb"]
        fields = VERBS[verb][1]
        unknown = set(step) - set(fields) - {"verb", "delay"}
        if unknown:
            raise NemesisError(f"step {i} ({verb}): unknown field(s) {', '.join(sorted(unknown))}; "
                               f"{verb} takes {', '.join(fields)} and 'delay'")
        parsed = {"verb": verb, "delay": _number(step.get("delay", 1.0), (float, *DELAY),
                                                 f"step {i} ({verb}): delay")}
        for name, rule in fields.items():
            if name not in step:
                if name in OPTIONAL:
                    continue
                raise NemesisError(f"step {i} ({verb}): missing {name!r}")
            where = f"step {i} ({verb}): {name}"
            if name == "topic":
                topics = BY_NAME[parsed["consumer"]].topics
                if step[name] not in topics:
                    raise NemesisError(f"{where} {step[name]!r}: {parsed['consumer']} reads "
                                       f"{', '.join(topics)}")
                parsed[name] = step[name]
            elif isinstance(rule, tuple) and rule and isinstance(rule[0], type):
                parsed[name] = _number(step[name], rule, where)
            elif step[name] not in rule:
                raise NemesisError(f"{where} {step[name]!r}: one of {', '.join(rule)}")
            else:
                parsed[name] = step[name]
        out.append(parsed)
    return out


def _number(value: Any, rule: tuple, where: str) -> float | int:
    kind, lo, hi = rule
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (kind is int and not float(value).is_integer()):
        raise NemesisError(f"{where} must be {'a whole number' if kind is int else 'a number'}, "
                           f"not {value!r}")
    if not lo <= value <= hi:
        raise NemesisError(f"{where} {value}: between {lo} and {hi}")
    return kind(value)


# ---------------------------------------------------------------- the state it judges
def view(db, events: list[str], design: str) -> dict:
    """What the student's invariant reads, of the run's own events only: each event's
    capacity (as its organiser set it) and the tickets still for sale (as the design counts
    them), and each reservation's event, tickets and state (A active, X cancelled by its
    customer, C its event cancelled)."""
    from boletia import designs

    rules = designs.get(design)
    on_sale = {i["nombre"]: i for i in db.inventario.find({"nombre": {"$in": events}})}
    return {
        "eventos": {e["nombre"]: {"capacidad": int(e["capacidad"]),
                                  "disponible": rules.available(on_sale[e["nombre"]])
                                  if e["nombre"] in on_sale else None}
                    for e in db.eventos.find({"nombre": {"$in": events}})},
        "reservas": [{"id": str(r["_id"]), "evento": r["evento"], "cantidad": int(r["cantidad"]),
                      "estado": r["estado"]} for r in db.reservas.find({"evento": {"$in": events}})],
    }


# ---------------------------------------------------------------- the practice worlds
def world(rng: random.Random, events: int = 2) -> dict:
    """A healthy end state: every event's capacity is its tickets for sale plus the tickets of
    its active reservations; cancelled reservations hold none."""
    out: dict = {"eventos": {}, "reservas": []}
    for e in range(events):
        nombre, capacidad = f"Evento {rng.randrange(100, 999)}-{e}", rng.choice((10, 20, 40))
        held = 0
        for _ in range(rng.randrange(1, 6)):
            cantidad, estado = rng.randint(1, 3), rng.choice("AAX")
            if estado == "A" and held + cantidad > capacidad:
                continue
            held += cantidad if estado == "A" else 0
            out["reservas"].append({"id": f"{rng.getrandbits(48):012x}", "evento": nombre,
                                    "cantidad": cantidad, "estado": estado})
        out["eventos"][nombre] = {"capacidad": capacidad, "disponible": capacidad - held}
    return out


def _event_with(w: dict, estado: str) -> tuple[str, dict] | None:
    return next(((n, r) for r in w["reservas"] if r["estado"] == estado
                 for n in [r["evento"]]), None)


def refunded_twice(w: dict) -> dict:
    """A cancelled reservation's tickets given back twice: more for sale than there are."""
    found = _event_with(w, "X")
    if found is None:
        w["reservas"].append({"id": "0" * 12, "evento": next(iter(w["eventos"])), "cantidad": 1,
                              "estado": "X"})
        found = _event_with(w, "X")
    nombre, r = found
    w["eventos"][nombre]["disponible"] += r["cantidad"]
    return w


def reservation_lost(w: dict) -> dict:
    """A booking took its tickets and its reservation was never written."""
    nombre = next(iter(w["eventos"]))
    w["eventos"][nombre]["disponible"] -= 2
    return w


def cancel_not_refunded(w: dict) -> dict:
    """A reservation cancelled, its tickets never given back."""
    found = _event_with(w, "A")
    nombre, r = found if found else (None, None)
    if r is None:
        return reservation_lost(w)
    r["estado"] = "X"
    return w


DAMAGES: dict[str, Callable[[dict], dict]] = {
    "a refund given twice": refunded_twice,
    "a booking whose reservation was never written": reservation_lost,
    "a cancel never refunded": cancel_not_refunded,
}


def _flags(invariant: Callable[[dict], list], w: dict, expect: bool) -> tuple[bool, str]:
    said = invariant(json.loads(json.dumps(w)))   # the student gets a copy, plain JSON
    if not isinstance(said, list) or not all(isinstance(s, str) for s in said):
        return False, f"invariant returned {type(said).__name__} {said!r:.80}; return a list of strings"
    if expect:
        return bool(said), (f"found it: {said[0]:.120}" if said else
                            "said nothing about it (the tickets do not add up in this world)")
    return not said, ("nothing found, rightly" if not said else
                      f"a false alarm on a healthy world: {said[0]:.120}")


CONSERVED = ("conservation: every ticket of an event is either for sale or held by an active "
             "reservation; a cancelled one holds none. Add up, per event, and compare with its capacity")
HEALTHY = ("no false alarm: a cancelled reservation holds no tickets, and an event may have none "
           "sold; an invariant that cries wolf hides the real finding")


def invariant_cases(seed: int, worlds: int = 2) -> tuple[Case, ...]:
    """Per damage, `worlds` damaged worlds drawn from `seed` (key: the invariant must flag each)
    and as many healthy ones (guards: it must stay silent)."""
    rng = random.Random(seed)
    cases = []
    for name, damage in DAMAGES.items():
        for k in range(worlds):
            w = damage(world(rng))
            cases.append(Case(INVARIANT, f"{name} (world {seed}-{k})", CONSERVED,
                              lambda module, db, w=w: _flags(module.invariant, w, True)))
    for k in range(worlds):
        w = world(rng, events=rng.randint(1, 3))
        cases.append(Case(INVARIANT, f"a healthy world (world {seed}-h{k})", HEALTHY,
                          lambda module, db, w=w: _flags(module.invariant, w, False), key=False))
    quiet = {"eventos": {"Sin ventas": {"capacidad": 10, "disponible": 10}}, "reservas": []}
    cases.append(Case(INVARIANT, "an event with nothing sold", HEALTHY,
                      lambda module, db: _flags(module.invariant, quiet, False), key=False))
    return tuple(cases)


def steps_cases() -> tuple[Case, ...]:
    def valid(module, db):
        try:
            steps = parse(module.steps())
        except NemesisError as exc:
            return False, str(exc)
        return True, "; ".join(f"{s['verb']} after {s['delay']:g} s" for s in steps)
    return (Case(STEPS, "the steps are a fault the lab can inject", "a nemesis attacks: pick the "
                 "fault that makes a redelivered message meet work already done", valid),)


PRACTICE_SEED = 2026


def practice_cases() -> tuple[Case, ...]:
    return (*invariant_cases(PRACTICE_SEED, worlds=1), *steps_cases())


def check(module, settings=None, cases: tuple[Case, ...] = ()) -> list[Result]:
    """The cases on a submission: a module with `steps()` and `invariant(view)` (the sandbox's
    proxy, or `load()`'s). Pure: no database."""
    results = []
    for case in cases or practice_cases():
        try:
            passed, detail = case.run(module, None)
        except Exception as exc:  # noqa: BLE001 - the student's code raised: that is the result
            passed, detail = False, f"raised {type(exc).__name__}: {exc}"[:300]
        results.append(Result(case, passed, detail))
    return results


def load(path: Path):
    """The submission read afresh from its file, as the sandbox serves it: `steps()` and
    `invariant(view)`."""
    import importlib.util
    from types import SimpleNamespace

    spec = importlib.util.spec_from_file_location("student_nemesis", path)
    if spec is None or spec.loader is None or not Path(path).exists():
        raise NemesisError(f"no nemesis at {path}: start from notebooks/exercises/nemesis.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "invariant", None)) or not hasattr(module, "STEPS"):
        raise NemesisError(f"{path} needs STEPS and invariant(view): start again from "
                           "notebooks/exercises/nemesis.py")
    return SimpleNamespace(steps=lambda: json.loads(json.dumps(module.STEPS)),
                           invariant=module.invariant, __file__=str(path))


def wrapper_file(own: Path, path: Path) -> Path:
    """What the grader's sandbox loads: the fixed design's three decisions (its loader wants
    them), and `steps` / `invariant` from the submission."""
    path.write_text(
        '"""Written by `boletia grade`: the submitted nemesis, served from the sandbox."""\n'
        "from pathlib import Path\n"
        "from boletia.lab.student import alone, nemesis\n"
        "refund, booking_in, email_ledger = alone.refund, alone.booking_in, alone.email_ledger\n"
        f"_OWN = nemesis.load(Path({str(Path(own).resolve())!r}))\n\n\n"
        "def steps():\n    return _OWN.steps()\n\n\n"
        "def invariant(view):\n    return _OWN.invariant(view)\n")
    return path


# ---------------------------------------------------------------- the scenario it makes
SCENARIO = "nemesis"


def scenario(steps: list[dict], invariant: Callable[[dict], list] | None) -> Any:
    """The steps as a chaos scenario: load, each step after its delay, a crashed consumer
    started again and its crashes waited for (a fault that did not fire makes the run
    inconclusive, never clean); once the lab has drained, `invariant` reads the view and each
    line it returns is a finding of kind `your-invariant`."""
    from boletia.lab.experiments import chaos

    steps = parse(steps)
    crashes: dict[str, int] = {}
    for s in steps:
        if s["verb"] == "crash":
            crashes[s["consumer"]] = crashes.get(s["consumer"], 0) + s["times"]

    def run(ctx) -> None:
        fired: dict[str, list] = {}
        with ExitStack() as stack:
            for consumer in crashes:
                stack.enter_context(chaos._Supervisor(ctx, consumer))
            stop = threading.Event()

            def inject() -> None:
                try:
                    for s in steps:
                        time.sleep(s["delay"])
                        _carry_out(ctx, s)
                    for consumer, times in crashes.items():   # the load goes on until they fire
                        fired[consumer] = chaos._crashes(ctx, consumer, None, times)
                finally:
                    time.sleep(1.0)
                    stop.set()
            ctx.during_load(inject, delay=0.5, customers=4, operations=400, pause=0.25, stop=stop)
            for consumer, times in crashes.items():
                ctx.require(f"{times} crash(es) of {consumer} fired", len(fired[consumer]) >= times,
                            crashes=len(fired[consumer]))
                chaos._redeliveries(ctx, consumer, fired[consumer])
        if invariant is not None:
            ctx.after.append(lambda: _judged(ctx, invariant))
    return chaos.Scenario(SCENARIO, "your nemesis: " + "; then ".join(
        _said(s) for s in steps), run, events=2, capacity=40)


def _said(step: dict) -> str:
    args = ", ".join(f"{k}={v}" for k, v in step.items() if k not in ("verb", "delay"))
    return f"{step['verb']}({args}) after {step['delay']:g} s"


def _carry_out(ctx, s: dict) -> None:
    rt, verb = ctx.rt, s["verb"]
    if verb == "crash":
        rt.crash_consumer(s["consumer"], s["times"], s.get("topic"))
    elif verb == "slow":
        rt.slow_consumer(s["consumer"], s["seconds"])
    elif verb == "fail-writes":
        rt.fail_writes(s["times"], s.get("service"))
    elif verb == "kill":
        ctx.outage(s["component"], s["seconds"])
    elif verb == "pause":
        from boletia.lab.experiments import chaos

        chaos._paused(ctx, s["component"], s["seconds"])
    ctx.fact(f"step carried out: {_said(s)}")


def _judged(ctx, invariant: Callable[[dict], list]) -> None:
    seen = view(ctx.db, list(ctx.record.events), ctx.design)
    try:
        said = invariant(seen)
    except Exception as exc:  # noqa: BLE001 - the student's code raised on the real state
        said = [f"the invariant raised {type(exc).__name__}: {exc}"[:300]]
    if not isinstance(said, list):
        said = [f"the invariant returned {type(said).__name__}, not a list of strings"]
    ctx.fact("your invariant read the final state", events=len(seen["eventos"]),
             reservations=len(seen["reservas"]), findings=len(said))
    for line in said[:20]:
        ctx.broken.append((FINDING, "nemesis", str(line)[:300]))


@contextmanager
def registered(made) -> Iterator[str]:
    """The scenario under its name in the lab's list for as long as it runs (`chaos.run`
    takes a name)."""
    from boletia.lab.experiments import chaos

    chaos.SCENARIOS[made.name] = made
    try:
        yield made.name
    finally:
        chaos.SCENARIOS.pop(made.name, None)


def seed_refund_file(path: Path) -> Path:
    """A broken design the student knows (lesson 06): the fixed design with the seed's refund,
    a plain $inc applied again on every redelivery."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('"""Written by the lab: the seed\'s refund, the other two the fixed design\'s."""\n'
                    "from boletia.lab.student import alone, practice\n"
                    "refund = practice.seed_refund\n"
                    "booking_in, email_ledger = alone.booking_in, alone.email_ledger\n")
    return path


def run(path: Path, rt, design: str = "fixed", seed: int = 1, report=lambda m: None) -> dict:
    """The student's nemesis from its file, on the running lab, on `design` (in lesson 06:
    the fixed one, then a broken one): the chaos summary."""
    from boletia.lab.experiments import chaos

    own = load(path)
    with registered(scenario(own.steps(), own.invariant)) as name:
        return chaos.run(name, design, seed, rt=rt, report=report)
