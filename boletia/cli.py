"""`boletia`: run the lab, its services and its experiments from one command."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from boletia.lab.runtime import RUNTIMES, LabError, get_runtime

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


SERVICES = ("eventos", "reservas")
CONSUMERS = ("inventario", "notificaciones")


@app.command()
def serve(service: Annotated[str, typer.Argument(help="eventos | reservas")],
          port: Annotated[int | None, typer.Option(help="default 8070 / 8071")] = None) -> None:
    """Run one HTTP service in the foreground."""
    if service not in SERVICES:
        _fail(LabError(f"unknown service {service!r}; choose one of: {', '.join(SERVICES)}"))
    import importlib

    importlib.import_module(f"boletia.services.{service}").main(port)


@app.command()
def consume(consumer: Annotated[str, typer.Argument(help="inventario | notificaciones")]) -> None:
    """Run one Kafka consumer in the foreground."""
    if consumer not in CONSUMERS:
        _fail(LabError(f"unknown consumer {consumer!r}; choose one of: {', '.join(CONSUMERS)}"))
    import importlib

    importlib.import_module(f"boletia.consumers.{consumer}").main()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
