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
           help="fixed (default) or seed; kept for later runs")] = None) -> None:
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


def _print_status(rt) -> None:
    rows = rt.status()
    table = Table("component", "state", "pid", "ports", "connection",
                  caption=f"design: {rt.design()}   admin token: {rt.admin_token()}")
    colour = {"running": "green", "paused": "yellow", "stopped": "red"}
    for r in rows:
        table.add_row(r.name, f"[{colour.get(r.state, 'white')}]{r.state}[/]", str(r.pid or "-"),
                      ",".join(map(str, r.ports)), r.connection or "")
    Console().print(table)


@lab.command()
def status(runtime: RuntimeOpt = "local",
           as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False) -> None:
    """Each component's state, pid, ports and connection string."""
    rt = _runtime(runtime)
    if as_json:
        doc = {"runtime": rt.name, "design": rt.design(), "admin_token": rt.admin_token(),
               "components": [r.as_dict() for r in rt.status()]}
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


@lab.command("bootstrap")
def bootstrap_cmd() -> None:
    """Collections, topics and connectors, from inside a container network (docker, kind)."""
    from boletia import config
    from boletia.lab.setup import bootstrap

    try:
        bootstrap.bootstrap(config.settings(), config.design(),
                            report=lambda m: console.print(f"  [green]✓[/] {m}"))
    except (LabError, TimeoutError, ValueError) as exc:
        _fail(exc)
    except Exception as exc:  # noqa: BLE001 - a dependency not reachable: say which, no traceback
        _fail(LabError(f"bootstrap failed: {type(exc).__name__}: {exc}"))


@lab.command()
def token(runtime: RuntimeOpt = "local") -> None:
    """Print the admin API's bearer token (for `Authorization: Bearer ...`)."""
    from boletia.services.http import admin_token

    _runtime(runtime)
    sys.stdout.write(admin_token() + "\n")


@lab.command()
def design(name: Annotated[str, typer.Argument(help="fixed | seed")],
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
             out: Annotated[str | None, typer.Option(help="where to save the record")] = None) -> None:
    """N concurrent customers booking and cancelling over M events; every answer recorded."""
    from pathlib import Path

    import requests

    from boletia import config
    from boletia.lab.experiments import load
    from boletia.lab.notebook.client import Boletia
    from boletia.services.http import admin_token

    api = Boletia(token=admin_token())
    try:
        with console.status("creating events and running customers…"):
            record = load.run(api, seed=seed, events=events, customers=customers,
                              operations=operations, capacity=capacity, cancel_ratio=cancel_ratio)
    except (requests.ConnectionError, requests.Timeout) as exc:
        _fail(LabError(f"the services do not answer ({exc}); is the lab up? `boletia lab up`"))
    except LabError as exc:
        _fail(exc)
    path = Path(out) if out else config.lab_dir() / "runs" / f"{record.prefix.replace(' ', '_')}.json"
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
              design: Annotated[str, typer.Option(help="fixed | seed")] = "fixed",
              seed: int = 1) -> None:
    """Load + fault + recovery + proof + check; prints a JSON summary.
    Exit 0 clean, 1 violated, 2 inconclusive (the fault did not fire, or a wait timed out)."""
    from boletia import config
    from boletia.lab.experiments import chaos as chaos_mod

    if design not in config.DESIGNS:
        _fail(LabError(f"unknown design {design!r}; choose one of: {', '.join(config.DESIGNS)}"))
    try:
        summary = chaos_mod.run(name, design, seed, report=lambda m: console.print(f"  {m}"))
    except (LabError, TimeoutError) as exc:
        _fail(exc)
    sys.stdout.write(json.dumps(summary, indent=2, default=str) + "\n")
    console.print(f"verdict: {summary['verdict']}"
                  + (f" ({summary['inconclusive']})" if summary["inconclusive"] else ""))
    if summary["verdict"] != "clean":
        raise typer.Exit(1 if summary["verdict"] == "violated" else 2)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def notebooks(ctx: typer.Context,
              port: Annotated[int, typer.Option(help="JupyterLab's port")] = 8888) -> None:
    """Open the lessons in JupyterLab (loopback only; further options go to `jupyter lab`)."""
    import os
    import shutil

    from boletia import config

    jupyter = shutil.which("jupyter", path=os.path.dirname(sys.executable)) or shutil.which("jupyter")
    if jupyter is None:
        _fail(LabError("jupyter is not installed in this environment: run `make lab` "
                       "(or `pip install -e '.[lab]'`)"))
    args = [jupyter, "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--port={port}",
            f"--ServerApp.root_dir={config.REPO_ROOT / 'notebooks'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Jupyter refuses root without it; a container or a CI box is often root.
        args.append("--allow-root")
    os.execv(jupyter, [*args, *ctx.args])


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
def consume(consumer: Annotated[str, typer.Argument(help="inventario | notificaciones")]) -> None:
    """Run one Kafka consumer in the foreground."""
    if consumer not in CONSUMERS:
        _fail(LabError(f"unknown consumer {consumer!r}; choose one of: {', '.join(CONSUMERS)}"))
    import importlib

    from boletia.consumers.runner import log
    from boletia.lab.hooks import ConsumerHooks

    # The product's consumer knows nothing of the lab: its readiness and fault hooks are plugged in here.
    importlib.import_module(f"boletia.consumers.{consumer}").main(hooks=ConsumerHooks(consumer, log=log))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
