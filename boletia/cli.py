"""`boletia`: run the lab, its services and its experiments from one command."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from boletia.lab.components import CONSUMERS, SERVICES
from boletia.lab.errors import LabError
from boletia.lab.runtimes.factory import get_runtime
from boletia.lab.runtimes.port import RUNTIMES

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Boletia lab: ticket selling on Kafka, Kafka Connect and MongoDB.")
lab = typer.Typer(no_args_is_help=True, help="Bring the lab up and down; inject failures.")
app.add_typer(lab, name="lab")

console = Console(stderr=True)
RuntimeOpt = Annotated[str, typer.Option("--runtime", "-r", help=f"one of {', '.join(RUNTIMES)}")]


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(1)


def _runtime(name: str):
    try:
        return get_runtime(name)
    except LabError as exc:
        _fail(exc)


@lab.command()
def up(runtime: RuntimeOpt = "local",
       design: Annotated[str | None, typer.Option(
           help="fixed (default), seed or txn; kept for later runs")] = None) -> None:
    """Start every component and wait until each is healthy (a second `up` changes nothing)."""
    rt = _runtime(runtime)
    try:
        with console.status("bringing the lab up…") as spinner:
            def report(msg: str) -> None:
                if msg.startswith("downloaded"):
                    spinner.update(f"first run: fetching jars from Maven Central, {msg}")
                else:
                    console.print(f"  [green]✓[/] {msg}")
            rt.up(report=report, design=design)
    except (LabError, TimeoutError) as exc:
        _fail(exc)
    _print_status(rt)


@lab.command()
def down(runtime: RuntimeOpt = "local",
         purge: Annotated[bool, typer.Option(help="also delete the lab's data")] = False) -> None:
    """Stop everything `up` started and free every port."""
    rt = _runtime(runtime)
    try:
        rt.down(purge=purge, report=lambda m: console.print(f"  [yellow]■[/] {m}"))
    except LabError as exc:
        _fail(exc)
    console.print("lab is down")


COLOUR = {"running": "green", "RUNNING": "green", "paused": "yellow", "PAUSED": "yellow",
          "stopped": "red", "FAILED": "red", "UNASSIGNED": "yellow"}


def _print_status(rt) -> None:
    rows = rt.status()
    table = Table("component", "state", "pid", "ports", "connection",
                  caption=f"design: {rt.design()}   admin token: `boletia lab token`")
    for r in rows:
        table.add_row(r.name, f"[{COLOUR.get(r.state, 'white')}]{r.state}[/]", str(r.pid or "-"),
                      ",".join(map(str, r.ports)), r.connection or "")
    Console().print(table)
    connectors = _connectors(rt)
    if isinstance(connectors, str):
        console.print(f"connectors: {connectors}")
        return
    table = Table("connector", "type", "state", "tasks",
                  caption="a FAILED one is restarted by the watchdog (`boletia lab logs watchdog`)")
    for name, c in connectors.items():
        tasks = " ".join(f"[{COLOUR.get(t, 'white')}]{t}[/]" for t in c["tasks"]) or "[red]none[/]"
        table.add_row(name, c["type"], f"[{COLOUR.get(c['state'], 'white')}]{c['state']}[/]", tasks)
    Console().print(table)


def _connectors(rt) -> dict | str:
    from boletia.lab.notebook import observe

    try:
        return observe.connect_overview(rt.settings.connect_url)["connectors"]
    except Exception as exc:  # noqa: BLE001 - Connect away: say so in the table's place
        return f"Connect does not answer ({type(exc).__name__})"


@lab.command()
def status(runtime: RuntimeOpt = "local",
           as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False) -> None:
    """Each component's state, pid, ports and connection string."""
    rt = _runtime(runtime)
    if as_json:
        doc = {"runtime": rt.name, "design": rt.design(), "admin_token": rt.admin_token(),
               "components": [r.as_dict() for r in rt.status()], "connectors": _connectors(rt)}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        _print_status(rt)


@lab.command()
def logs(component: str, runtime: RuntimeOpt = "local",
         lines: Annotated[int, typer.Option("-n", help="lines from the end")] = 50) -> None:
    """The end of one component's log."""
    try:
        sys.stdout.write(_runtime(runtime).logs(component, lines) + "\n")
    except LabError as exc:
        _fail(exc)


def _verb(verb: str, component: str, runtime: str) -> None:
    rt = _runtime(runtime)
    try:
        getattr(rt, verb)(component)
    except (LabError, TimeoutError) as exc:
        _fail(exc)
    console.print(f"{component}: {verb} done")


@lab.command()
def kill(component: str, runtime: RuntimeOpt = "local") -> None:
    """SIGKILL a component (no clean shutdown), as a crash would."""
    _verb("kill", component, runtime)


@lab.command()
def pause(component: str, runtime: RuntimeOpt = "local") -> None:
    """Freeze a component (SIGSTOP): it holds its sockets but answers nothing."""
    _verb("pause", component, runtime)


@lab.command()
def resume(component: str, runtime: RuntimeOpt = "local") -> None:
    """Unfreeze a paused component."""
    _verb("resume", component, runtime)


@lab.command()
def restart(component: str, runtime: RuntimeOpt = "local") -> None:
    """Stop (if running) and start one component, waiting until it is healthy."""
    _verb("restart", component, runtime)


@lab.command("images")
def images_cmd(auto: Annotated[bool, typer.Option("--auto", help="(default) official if Docker Hub "
                                                  "answers, else offline")] = False,
               official: Annotated[bool, typer.Option("--official", help="pull the official images")] = False,
               offline: Annotated[bool, typer.Option("--offline", help="build without Docker Hub")] = False,
               jupyter: Annotated[bool, typer.Option("--jupyter", help="also JupyterLab inside the "
                                                     "network (a much larger image)")] = False,
               ) -> None:
    """Build (or pull) the docker runtime's images, the official or the offline set, and say which."""
    from boletia.lab.runtimes import images

    try:
        console.print(images.main(official=official, offline=offline, auto=auto, jupyter=jupyter,
                                  report=lambda m: console.print(f"  [green]✓[/] {m}")))
    except LabError as exc:
        _fail(exc)


@lab.command("bootstrap")
def bootstrap_cmd() -> None:
    """Collections, topics and connectors, from inside a container network (docker, kind)."""
    from boletia import config
    from boletia.lab.setup import bootstrap

    try:
        bootstrap.bootstrap(config.settings(), config.settings().design,
                            report=lambda m: console.print(f"  [green]✓[/] {m}"))
    except (LabError, TimeoutError, ValueError) as exc:
        _fail(exc)
    except Exception as exc:  # noqa: BLE001 - a dependency not reachable: say which, no traceback
        _fail(LabError(f"bootstrap failed: {type(exc).__name__}: {exc}"))


@lab.command()
def token(runtime: RuntimeOpt = "local") -> None:
    """Print the admin API's bearer token (for `Authorization: Bearer ...`)."""
    try:
        sys.stdout.write(_runtime(runtime).admin_token() + "\n")
    except LabError as exc:
        _fail(exc)


@lab.command()
def design(name: Annotated[str, typer.Argument(help="fixed | seed | txn")],
           runtime: RuntimeOpt = "local") -> None:
    """Switch the running lab between the fixed design and the seed's (connectors, services
    and consumers are reconfigured and restarted)."""
    rt = _runtime(runtime)
    try:
        rt.set_design(name, report=lambda m: console.print(f"  [green]✓[/] {m}"))
    except (LabError, ValueError) as exc:
        _fail(exc)


@lab.command()
def crash(consumer: str, times: Annotated[int, typer.Option(min=1)] = 1,
          topic: Annotated[str | None, typer.Option(help="only messages of this topic")] = None,
          runtime: RuntimeOpt = "local") -> None:
    """Make a consumer crash after its next write(s), before committing: the message comes back."""
    _fault(runtime, lambda rt: rt.crash_consumer(consumer, times, topic),
           f"{consumer} will crash after its next {times} write(s), before the commit")


@lab.command()
def slow(consumer: str, seconds: Annotated[float, typer.Argument(min=0)],
         runtime: RuntimeOpt = "local") -> None:
    """Slow a consumer down: sleep SECONDS before each commit (0 = full speed)."""
    _fault(runtime, lambda rt: rt.slow_consumer(consumer, seconds),
           f"{consumer}: {seconds}s per message")


@lab.command("fail-writes")
def fail_writes(times: Annotated[int, typer.Argument(min=1)],
                service: Annotated[str | None, typer.Option(
                    help="only this service's writes (e.g. inventario)")] = None,
                runtime: RuntimeOpt = "local") -> None:
    """Make the next TIMES MongoDB writes fail (a fail point), optionally for one service."""
    _fault(runtime, lambda rt: rt.fail_writes(times, service),
           f"next {times} writes{' of ' + service if service else ''} will fail")


@lab.command("dead-letters")
def dead_letters(replay: Annotated[str | None, typer.Option(
                     help="publish this one (topic[partition]@offset) back onto its topic")] = None,
                 runtime: RuntimeOpt = "local") -> None:
    """The messages the consumers gave up on, with why; --replay one after fixing its cause."""
    from boletia.lab.notebook import observe

    rt = _runtime(runtime)
    try:
        if replay:
            sys.stdout.write(json.dumps(observe.replay_dead_letter(replay, rt.settings.kafka_bootstrap))
                             + "\n")
            return
        letters = observe.dead_letters(bootstrap=rt.settings.kafka_bootstrap)
    except LookupError as exc:
        _fail(LabError(str(exc)))
    except Exception as exc:  # noqa: BLE001 - Kafka away: say so, no traceback
        _fail(LabError(f"cannot read the dead-letter topic ({type(exc).__name__}: {exc}); is the lab up?"))
    table = Table("from", "group", "reason", "document", caption=f"{len(letters)} dead letter(s)")
    for d in letters:
        doc = d["document"] if isinstance(d["document"], dict) else {}
        table.add_row(d["where"], d["group"] or "", (d["reason"] or "")[:80],
                      str({k: doc.get(k) for k in ("_id", "evento", "estado") if k in doc})[:60])
    Console().print(table)


@lab.command("arm", hidden=True)
def arm(consumer: str, fault: Annotated[str, typer.Argument(help="crash | delay | clear")],
        value: Annotated[float, typer.Argument(min=0)] = 1,
        topic: Annotated[str | None, typer.Option()] = None) -> None:
    """Arm a fault for a consumer of THIS machine or container (the container runtimes run it
    inside the consumer's container, where its hooks read the lab directory)."""
    from boletia import config
    from boletia.lab import hooks

    if consumer not in CONSUMERS:
        _fail(LabError(f"{consumer} is not a consumer; consumers: {', '.join(CONSUMERS)}"))
    lab_dir = config.settings().lab_dir
    if fault == "clear":
        hooks.disarm(lab_dir, consumer)
    elif fault in ("crash", "delay"):
        kind = hooks.CRASH if fault == "crash" else hooks.DELAY
        if value == 0:
            hooks.disarm(lab_dir, consumer, kind)
        else:
            hooks.arm(lab_dir, consumer, kind, int(value) if fault == "crash" else value, topic)
    else:
        _fail(LabError(f"unknown fault {fault!r}; use crash, delay or clear"))
    console.print(f"{consumer}: {fault} {value if fault != 'clear' else ''}".strip())


@lab.command()
def ui(port: Annotated[int, typer.Option(min=1, max=65535)] = 8090,
       host: Annotated[str, typer.Option(help="a wider address only when a class must reach it")]
       = "127.0.0.1",
       runtime: RuntimeOpt = "local") -> None:
    """The live control room in a browser: the box office at /, the control room at /control."""
    from boletia.lab.ui.server import serve

    rt = _runtime(runtime)
    try:
        serve(rt, host=host, port=port)
    except OSError as exc:
        _fail(LabError(f"cannot serve on {host}:{port} ({exc.strerror or exc}); try another --port"))
    except (LabError, ValueError) as exc:
        _fail(exc)


@lab.command("clear-faults")
def clear_faults(runtime: RuntimeOpt = "local") -> None:
    """Disarm every fault (crash, slow, fail point)."""
    _fault(runtime, lambda rt: rt.clear_faults(), "faults cleared")


def _fault(runtime: str, action, done: str) -> None:
    rt = _runtime(runtime)
    try:
        action(rt)
    except (LabError, ValueError) as exc:
        _fail(exc)
    console.print(done)


# ---------------------------------------------------------------- experiments
@app.command("load")
def load_cmd(events: Annotated[int, typer.Option(min=1, max=100)] = 3,
             customers: Annotated[int, typer.Option(min=1, max=200)] = 10,
             operations: Annotated[int, typer.Option(min=1, max=10000)] = 10,
             capacity: Annotated[int, typer.Option(min=1, max=1_000_000)] = 40,
             cancel_ratio: Annotated[float, typer.Option(min=0, max=1)] = 0.25,
             seed: int = 1,
             out: Annotated[str | None, typer.Option(help="where to save the record")] = None,
             runtime: RuntimeOpt = "local") -> None:
    """N concurrent customers booking and cancelling over M events; every answer recorded."""
    from pathlib import Path

    import requests

    from boletia import config
    from boletia.lab.experiments import load
    from boletia.lab.notebook.client import Boletia

    rt = _runtime(runtime)
    try:
        api = Boletia(token=rt.admin_token(), settings=rt.settings)
    except LabError as exc:
        _fail(exc)
    try:
        with console.status("creating events and running customers…"):
            record = load.run(api, seed=seed, events=events, customers=customers,
                              operations=operations, capacity=capacity, cancel_ratio=cancel_ratio)
    except (requests.ConnectionError, requests.Timeout) as exc:
        _fail(LabError(f"the services do not answer ({exc}); is the lab up? `boletia lab up`"))
    except LabError as exc:
        _fail(exc)
    name = f"{record.prefix.replace(' ', '_')}.json"
    path = Path(out) if out else config.settings().lab_dir / "runs" / name
    record.save(path)
    sys.stdout.write(json.dumps({**record.summary(), "record": str(path)}, indent=2) + "\n")


@app.command()
def check(run: Annotated[str | None, typer.Option(help="a record saved by `boletia load`")] = None,
          design: Annotated[str | None, typer.Option(help="default: the lab's")] = None,
          runtime: RuntimeOpt = "local") -> None:
    """Drain the pipeline with a canary, then judge every invariant; print a JSON report.
    Exit 0 clean, 1 violated, 2 when it cannot judge."""
    from pathlib import Path

    from boletia.lab.experiments import checker, load
    from boletia.lab.experiments.verdict import check_lab

    rt = _runtime(runtime)
    record = None
    if run:
        if not Path(run).exists():
            _fail(LabError(f"no record at {run}; `boletia load` prints where it saved one"))
        record = load.Record.load(Path(run))
    try:
        with console.status("sending a canary through the pipeline, then checking…"):
            report = check_lab(rt, record, design)
    except checker.CheckError as exc:
        console.print(f"[bold red]cannot check:[/] {exc}")
        raise typer.Exit(2) from None
    except Exception as exc:  # noqa: BLE001 - lab down: say so, no traceback
        _fail(LabError(f"cannot reach the lab ({type(exc).__name__}: {exc}); is it up?"))
    sys.stdout.write(json.dumps(report.as_dict(), indent=2, default=str) + "\n")
    console.print(report.summary())
    if not report.ok:
        raise typer.Exit(1)


BENCH_RATES = "20,40,80,120,160,200,240,280,320"


@app.command()
def bench(designs: Annotated[str, typer.Option(help="comma-separated: fixed,seed,txn")] = "fixed,txn,seed",
          rates: Annotated[str, typer.Option(help="offered bookings/s, rising")] = BENCH_RATES,
          seconds: Annotated[float, typer.Option(min=1, max=600, help="measured, per rate")] = 10,
          lead_in: Annotated[float, typer.Option(
              min=0, max=60, help="unmeasured seconds at each rate before its measured ones")] = 3,
          warmup: Annotated[float, typer.Option(
              min=0, max=300, help="unmeasured seconds at the lowest rate before each design")] = 10,
          out: Annotated[str, typer.Option(help="where bench.json and bench.png go")] = "bench-results",
          runtime: RuntimeOpt = "local") -> None:
    """Open-loop latency-throughput curves of the designs, against the store's ceiling."""
    from pathlib import Path

    from boletia import config
    from boletia.lab.experiments import bench as bench_mod

    chosen = [d.strip() for d in designs.split(",") if d.strip()]
    unknown = [d for d in chosen if d not in config.DESIGNS]
    if unknown or not chosen:
        _fail(LabError(f"unknown design(s) {unknown}; choose from {', '.join(config.DESIGNS)}"))
    try:
        steps = sorted(float(r) for r in rates.split(","))
    except ValueError:
        _fail(LabError(f"rates must be numbers separated by commas, got {rates!r}"))
    if not steps or steps[0] <= 0 or steps[-1] > 1000:
        _fail(LabError("rates must be between 0 and 1000 bookings per second"))
    rt = _runtime(runtime)
    try:
        result = bench_mod.curve(rt, chosen, steps, seconds, report=lambda m: console.print(f"  {m}"),
                                 lead_in_seconds=lead_in, warmup_seconds=warmup)
    except (LabError, TimeoutError) as exc:
        _fail(exc)
    data, picture = bench_mod.save(result, Path(out))
    sys.stdout.write(json.dumps(result["ratios"], indent=2) + "\n")
    console.print(f"wrote {data} and {picture}")


chaos = typer.Typer(no_args_is_help=True, help="Failure-injection scenarios with a verdict.")
app.add_typer(chaos, name="chaos")


@chaos.command("list")
def chaos_list() -> None:
    """Every scenario, one line each."""
    from boletia.lab.experiments.chaos import SCENARIOS

    for s in SCENARIOS.values():
        shows = f"  [seed shows: {s.breaks_seed}]" if s.breaks_seed else ""
        sys.stdout.write(f"{s.name:30s} {s.about}{shows}\n")


@chaos.command("run")
def chaos_run(name: str,
              design: Annotated[str, typer.Option(help="fixed | seed | txn")] = "fixed",
              seed: int = 1, runtime: RuntimeOpt = "local") -> None:
    """Load + fault + recovery + proof + check; prints a JSON summary.
    Exit 0 clean, 1 violated, 2 inconclusive (the fault did not fire, or a wait timed out)."""
    from boletia import config
    from boletia.lab.experiments import chaos as chaos_mod

    if design not in config.DESIGNS:
        _fail(LabError(f"unknown design {design!r}; choose one of: {', '.join(config.DESIGNS)}"))
    try:
        summary = chaos_mod.run(name, design, seed, rt=_runtime(runtime),
                                report=lambda m: console.print(f"  {m}"))
    except (LabError, TimeoutError) as exc:
        _fail(exc)
    sys.stdout.write(json.dumps(summary, indent=2, default=str) + "\n")
    console.print(f"verdict: {summary['verdict']}"
                  + (f" ({summary['inconclusive']})" if summary["inconclusive"] else ""))
    if summary["verdict"] != "clean":
        raise typer.Exit(1 if summary["verdict"] == "violated" else 2)


batch_app = typer.Typer(add_completion=False)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def notebooks(ctx: typer.Context,
              port: Annotated[int, typer.Option(help="JupyterLab's port")] = 8888) -> None:
    """Open JupyterLab at the repository's root (loopback only), with the lab's command on the
    terminals' PATH; further options go to `jupyter lab`. `boletia notebooks run NOTEBOOK
    --grid NAME=v1,v2 ...` runs a lesson as a papermill batch instead (see --help there)."""
    if ctx.args and ctx.args[0] == "run":
        typer.main.get_command(batch_app)(ctx.args[1:], prog_name="boletia notebooks run")
        return
    import os
    import shutil

    from boletia import config

    bindir = os.path.dirname(sys.executable)
    jupyter = shutil.which("jupyter", path=bindir) or shutil.which("jupyter")
    if jupyter is None:
        _fail(LabError("jupyter is not installed in this environment: run `make lab` "
                       "(or `pip install -e '.[lab]'`)"))
    args = [jupyter, "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--port={port}",
            f"--ServerApp.root_dir={config.REPO_ROOT}",
            "--LabApp.default_url=/lab/tree/notebooks/00-overview.ipynb"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Jupyter refuses root without it; a container or a CI box is often root.
        args.append("--allow-root")
    # `boletia` in a JupyterLab terminal is this environment's
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    os.execv(jupyter, [*args, *ctx.args])


@batch_app.command()
def notebooks_run(notebook: Annotated[str, typer.Argument(help="e.g. notebooks/07-race-statistics.ipynb")],
                  grid: Annotated[list[str] | None, typer.Option(
                      help="NAME=v1,v2 or NAME=a-b; repeat for more axes")] = None,
                  out: Annotated[str, typer.Option(help="where the copies and results go")] = "",
                  plot: Annotated[str | None, typer.Option(
                      help="X:Y[:BY] — plot result Y against parameter X, one line per BY")] = None,
                  ) -> None:
    """Execute a lesson headless over a grid of parameters; keep every executed copy; gather
    what each run recorded into one table (results.csv) and, with --plot, one picture."""
    from datetime import datetime
    from pathlib import Path

    from boletia.lab.notebook import batch

    path = Path(notebook)
    if not path.is_file() or path.suffix != ".ipynb":
        _fail(LabError(f"no notebook at {notebook}"))
    try:
        axes = batch.parse_grid(grid or [])
    except ValueError as exc:
        _fail(LabError(str(exc)))
    target = Path(out) if out else path.parent / "runs" / f"{path.stem}-{datetime.now():%Y%m%d-%H%M%S}"
    rows = batch.run(path, axes, target, report=lambda m: console.print(m))
    failed = [r for r in rows if r["status"] != "ok"]
    if plot:
        x, y, *by = plot.split(":")
        picture = batch.plot(rows, x, y, by[0] if by else None, target / "results.png")
        console.print(f"plot: {picture}")
    console.print(f"{len(rows) - len(failed)}/{len(rows)} runs ok; table: {target / 'results.csv'}")
    if failed:
        raise typer.Exit(1)


@app.command()
def grade(submissions: Annotated[str, typer.Argument(help="a folder of student_design.py files")],
          out: Annotated[str, typer.Option(help="where grades.csv and the reports go")] = "grades",
          seeds: Annotated[int, typer.Option(min=0, help="chaos seeds per part (drawn from --seed)")] = 2,
          seed: Annotated[int | None, typer.Option(help="the grade's seed (default: a new one)")] = None,
          instructor: Annotated[str | None, typer.Option(help="the hidden cases' folder")] = None,
          ) -> None:
    """Grade a class's designs, each in a sandbox: cases drawn at grade time, then the chaos
    scenarios over seeds the students never ran (the lab must be up)."""
    from pathlib import Path

    from boletia.lab.student import grading

    try:
        rows = grading.grade(Path(submissions), Path(out), seeds=seeds, seed=seed,
                             instructor=Path(instructor) if instructor else grading.INSTRUCTOR,
                             report=console.print)
    except LabError as exc:
        _fail(exc)
    table = Table(*rows[0].keys())
    for r in rows:
        table.add_row(*(str(v) for v in r.values()))
    Console().print(table)
    console.print(f"written: {Path(out) / 'grades.csv'} and a report.md per submission in {out}/")


@app.command()
def serve(service: Annotated[str, typer.Argument(help="eventos | reservas")],
          port: Annotated[int | None, typer.Option(help="default 8070 / 8071")] = None,
          host: Annotated[str, typer.Option(help="0.0.0.0 inside a container")] = "127.0.0.1",
          ) -> None:
    """Run one HTTP service in the foreground."""
    if service not in SERVICES:
        _fail(LabError(f"unknown service {service!r}; choose one of: {', '.join(SERVICES)}"))
    import importlib

    importlib.import_module(f"boletia.services.{service}").main(port, host)


@app.command()
def doctor() -> None:
    """Check this machine before a local lab starts: cores, memory, disk, Java, Maven, ports."""
    from boletia import config
    from boletia.lab.setup.doctor import examine

    findings = examine(config.settings())
    table = Table("check", "", "found", "what to do")
    for f in findings:
        table.add_row(f.check, "[green]✓[/]" if f.ok else "[red]✗[/]", f.found, "" if f.ok else f.fix)
    Console().print(table)
    if not all(f.ok for f in findings):
        raise typer.Exit(1)


@app.command("watch-connectors")
def watch_connectors(every: Annotated[float, typer.Option(min=1)] = 5.0) -> None:
    """Restart FAILED connectors and tasks with back-off, in the foreground (the lab's watchdog)."""
    import signal
    import threading

    from boletia import config
    from boletia.consumers.runner import log
    from boletia.lab.setup.watchdog import ConnectorWatchdog

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    url = config.settings().connect_url
    log(f"watchdog: watching the connectors of {url} every {every:.0f}s")
    ConnectorWatchdog(url, log=log, every=every).run(stop)


@app.command()
def consume(consumer: Annotated[str, typer.Argument(help="inventario | notificaciones")]) -> None:
    """Run one Kafka consumer in the foreground."""
    if consumer not in CONSUMERS:
        _fail(LabError(f"unknown consumer {consumer!r}; choose one of: {', '.join(CONSUMERS)}"))
    import importlib

    # The product's consumer knows nothing of the lab: its readiness and fault hooks are plugged in here.
    from boletia import config
    from boletia.consumers.runner import log
    from boletia.lab.hooks import ConsumerHooks

    hooks = ConsumerHooks(consumer, config.settings().lab_dir, log=log)
    importlib.import_module(f"boletia.consumers.{consumer}").main(hooks=hooks)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
