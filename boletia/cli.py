"""`boletia`: run the lab, its services and its experiments from one command.

Every choice (runtime, design, component, consumer, scenario) is an enum built from the one
list of its values, so `--help` lists them and the shell completes them
(`boletia --install-completion`). Commands are shown in panels for a newcomer (`PANELS`).
"""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from boletia import config
from boletia.lab.components import APPS, COMPONENTS, CONSUMERS, SERVICES
from boletia.lab.errors import LabError
from boletia.lab.experiments.chaos import SCENARIOS
from boletia.lab.groups import CONNECT, MAX_MEMBERS, MAX_WORKERS
from boletia.lab.i18n.messages import cli as _t
from boletia.lab.runtimes.docker import EXTRAS
from boletia.lab.runtimes.factory import get_runtime
from boletia.lab.runtimes.port import RUNTIMES


def choices(name: str, values: Iterable[str]) -> type[enum.StrEnum]:
    """A typer choice built from the one list of its values: `--help` lists them, the shell
    completes them, and a value outside them is refused before any command runs."""
    return enum.StrEnum(name, [(v, v) for v in dict.fromkeys(values)])


Runtime = choices("Runtime", RUNTIMES)
Design = choices("Design", config.DESIGNS)
# every name a component has on some runtime: the local runtime's, the replica-set members of
# the container runtimes (mongo-1..3), and their extra containers (jupyter); the runtime
# asked says which of them it runs
Component = choices("Component", [n for c in COMPONENTS for n in (c.name, *c.instances())] + [*EXTRAS])
Consumer = choices("Consumer", CONSUMERS)
App = choices("App", APPS)
Scenario = choices("Scenario", SCENARIOS)
Fault = choices("Fault", ("crash", "delay", "clear"))


def _listed(choice: type[enum.StrEnum]) -> str:
    return "one of: " + ", ".join(choice)


# the long lists: a short name in the usage line, every value in the help
ComponentArg = Annotated[Component, typer.Argument(metavar="COMPONENT", help=_listed(Component))]
# a log to read: any component, or a member k > 1 of a scaled consumer (`boletia lab scale`)
LogName = choices("LogName", [*Component, *(f"{c}-{k}" for c in CONSUMERS
                                            for k in range(2, MAX_MEMBERS + 1)),
                               *(f"{CONNECT}-{k}" for k in range(2, MAX_WORKERS + 1))])
LogArg = Annotated[LogName, typer.Argument(metavar="COMPONENT", help=_listed(Component)
                                           + "; or a consumer's member, e.g. inventario-2, "
                                             "or a Connect worker, e.g. connect-2")]
# the failure verbs take the same names: a member of a scaled consumer is killed on its own
MemberArg = LogArg


def _version(show: bool) -> None:
    if show:
        try:
            sys.stdout.write(f"boletia {version('boletia')}\n")
        except PackageNotFoundError:  # a checkout on sys.path, not installed
            sys.stdout.write("boletia (not installed: run `make setup`)\n")
        raise typer.Exit()


class _InPanels(TyperGroup):
    """Lists its commands panel by panel, in `PANELS`' order."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        order = [n for panels in PANELS.values() for names in panels.values() for n in names]
        names = super().list_commands(ctx)
        return sorted(names, key=lambda n: order.index(n) if n in order else len(order))


app = typer.Typer(cls=_InPanels, no_args_is_help=True, add_completion=True,
                  help="Boletia lab: ticket selling on Kafka, Kafka Connect and MongoDB.")
lab = typer.Typer(cls=_InPanels, no_args_is_help=True, help="Bring the lab up and down; inject failures.")
app.add_typer(lab, name="lab")


@app.callback()
def _main(show_version: Annotated[bool | None, typer.Option(
        "--version", callback=_version, is_eager=True, help="print the version and exit")] = None) -> None:
    pass


console = Console(stderr=True)
RuntimeOpt = Annotated[Runtime, typer.Option("--runtime", "-r", help="where the lab runs")]


def _fail(exc: Exception) -> None:
    console.print("[bold red]" + _t("error:") + f"[/] {exc}")
    raise typer.Exit(1)


def _runtime(name: str):
    try:
        return get_runtime(str(name))
    except LabError as exc:
        _fail(exc)


@lab.command()
def up(runtime: RuntimeOpt = "local",
       design: Annotated[Design | None, typer.Option(
           help="default: the lab's, else fixed; kept for later runs")] = None) -> None:
    """Start every component and wait until each is healthy (a second `up` changes nothing)."""
    rt = _runtime(runtime)
    try:
        with console.status(_t("bringing the lab up…")) as spinner:
            def report(msg: str) -> None:
                if msg.startswith("downloaded"):
                    spinner.update(_t("first run: fetching jars from Maven Central, {progress}",
                                      progress=msg))
                else:
                    console.print(f"  [green]✓[/] {msg}")
            rt.up(report=report, design=design and design.value)
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
    console.print(_t("lab is down"))


COLOUR = {"running": "green", "RUNNING": "green", "paused": "yellow", "PAUSED": "yellow",
          "stopped": "red", "FAILED": "red", "UNASSIGNED": "yellow"}


def _print_status(rt) -> None:
    rows = rt.status()
    table = Table("component", "state", "pid", "ports", "connection",
                  caption=f"design: {rt.design()}   admin token: `boletia lab token`")
    for r in rows:
        state = f"[{COLOUR.get(r.state, 'white')}]{r.state}[/]" + (
            f" [red]stalled[/]: {r.health}" if r.health else "")
        table.add_row(r.name, state, str(r.pid or "-"),
                      ",".join(map(str, r.ports)), r.connection or "")
    Console().print(table)
    members = _group_members(rt)
    if isinstance(members, str):
        console.print(f"consumer groups: {members}")
    else:
        table = Table("group", "member (instance id)", "partitions held",
                      caption="a member with no partition is idle: more members than partitions "
                              "(`boletia lab scale`)")
        for m in members:
            held = ("[yellow]unknown (assignment not readable)[/]" if m["partitions"] is None
                    else " ".join(m["partitions"]) or "[yellow]none: idle[/]")
            table.add_row(m["group"], m["instance"], held)
        Console().print(table)
    connectors = _connectors(rt)
    if isinstance(connectors, str):
        console.print(f"connectors: {connectors}")
        return
    table = Table("connector", "type", "state", "tasks", "on worker (connector; tasks)",
                  caption="a FAILED one is restarted by the watchdog (`boletia lab logs watchdog`); "
                          "more workers: `boletia lab scale connect=2`")
    for name, c in connectors.items():
        tasks = " ".join(f"[{COLOUR.get(t, 'white')}]{t}[/]" for t in c["tasks"]) or "[red]none[/]"
        where = "; ".join([c.get("worker") or "-", " ".join(w or "-" for w in c.get("task_workers", []))])
        table.add_row(name, c["type"], f"[{COLOUR.get(c['state'], 'white')}]{c['state']}[/]", tasks,
                      where)
    Console().print(table)


def _group_members(rt) -> list[dict] | str:
    """Each consumer group's members and the partitions each holds, as Kafka's group
    coordinator describes them (or why it could not be asked)."""
    import socket

    from boletia.adapters import kafka
    from boletia.lab import groups
    from boletia.lab.components import CONSUMER_TOPICS

    def listening(address: str) -> bool:
        host, _, port = address.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=0.5):
                return True
        except (OSError, ValueError):
            return False

    bootstrap = rt.settings.kafka_bootstrap
    if not any(listening(a) for a in bootstrap.split(",")):  # the admin client waits 30s
        return f"Kafka does not answer (no broker listens at {bootstrap})"
    try:
        described = kafka.group_members(bootstrap, list(CONSUMER_TOPICS))
    except Exception as exc:  # noqa: BLE001 - Kafka away: say so in the table's place
        return f"Kafka does not answer ({type(exc).__name__})"
    return [row for g in CONSUMER_TOPICS for row in groups.member_rows(g, described.get(g, []))]


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
        # no secret in printed status (issue 28): the token is `boletia lab token`'s alone
        doc = {"runtime": rt.name, "design": rt.design(),
               "components": [r.as_dict() for r in rt.status()], "connectors": _connectors(rt),
               "group_members": _group_members(rt)}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        _print_status(rt)


@lab.command()
def logs(component: LogArg, runtime: RuntimeOpt = "local",
         lines: Annotated[int, typer.Option("-n", help="lines from the end")] = 50) -> None:
    """The end of one component's log."""
    try:
        sys.stdout.write(_runtime(runtime).logs(component.value, lines) + "\n")
    except LabError as exc:
        _fail(exc)


def _verb(verb: str, component: LogName, runtime: Runtime) -> None:
    rt = _runtime(runtime)
    try:
        getattr(rt, verb)(component.value)
    except (LabError, TimeoutError) as exc:
        _fail(exc)
    console.print(f"{component}: {verb} done")


@lab.command()
def kill(component: MemberArg, runtime: RuntimeOpt = "local") -> None:
    """SIGKILL a component (no clean shutdown), as a crash would."""
    _verb("kill", component, runtime)


@lab.command()
def pause(component: MemberArg, runtime: RuntimeOpt = "local") -> None:
    """Freeze a component (SIGSTOP): it holds its sockets but answers nothing."""
    _verb("pause", component, runtime)


@lab.command()
def resume(component: MemberArg, runtime: RuntimeOpt = "local") -> None:
    """Unfreeze a paused component."""
    _verb("resume", component, runtime)


@lab.command()
def restart(component: MemberArg, runtime: RuntimeOpt = "local") -> None:
    """Stop (if running) and start one component, waiting until it is healthy."""
    _verb("restart", component, runtime)


@lab.command()
def scale(spec: Annotated[str, typer.Argument(metavar="COMPONENT=N", help=(
              f"a consumer and its number of members: {', '.join(CONSUMERS)} (e.g. inventario=2); "
              f"Connect and its number of workers (connect=2); or an API and its number of "
              f"replicas on its one address (reservas=2, local runtime)"))],
          runtime: RuntimeOpt = "local") -> None:
    """Run a consumer as N members of its one group, Connect as N workers of one cluster, or
    an API as N replicas sharing its port (fewer: the highest-numbered stop)."""
    from boletia.lab import groups

    rt = _runtime(runtime)
    try:
        name, n = groups.parse_scale(spec)
        rt.scale(name, n, report=lambda m: console.print(f"  [green]✓[/] {m}"))
    except (LabError, TimeoutError) as exc:
        _fail(exc)


@lab.command()
def autoscale(consumer: Annotated[str, typer.Argument(help=f"the consumer to scale: {', '.join(CONSUMERS)}")],
              target_lag: Annotated[int, typer.Option(min=1, help="messages of lag per member "
                                                      "(KEDA's lagThreshold)")] = 50,
              min_members: Annotated[int, typer.Option("--min", min=1, help="fewest members")] = 1,
              max_members: Annotated[int, typer.Option("--max", min=1, help="most members (never more "
                                                       "than the topics' partitions)")] = 3,
              cooldown: Annotated[float, typer.Option(min=0, help="seconds between two changes")] = 15.0,
              down_after: Annotated[float, typer.Option(min=0, help="seconds the lower count must be "
                                                        "wanted before scaling down")] = 30.0,
              seconds: Annotated[float | None, typer.Option("--for", help="stop after this long "
                                                            "(default: until Ctrl-C)")] = None,
              runtime: RuntimeOpt = "local") -> None:
    """Scale a consumer by its group's lag, as KEDA's Kafka scaler would: one line per decision."""
    import threading

    from boletia.lab import autoscaler

    rt = _runtime(runtime)
    stop = threading.Event()
    if seconds is not None:   # a daemon: Ctrl-C before --for ends leaves nothing waiting
        timer = threading.Timer(seconds, stop.set)
        timer.daemon = True
        timer.start()
    try:
        policy = autoscaler.Policy(target_lag, min_members, max_members, cooldown, down_after)
        made = autoscaler.run(rt, consumer, policy, stop, log=console.print)
    except KeyboardInterrupt:
        stop.set()
        return
    except (LabError, TimeoutError) as exc:
        stop.set()
        _fail(exc)
    console.print(f"autoscale {consumer}: {len(made)} decision(s)")


@lab.command()
def partitions(topic: Annotated[str, typer.Argument(help="a topic, e.g. boletia.reservas")],
               count: Annotated[int, typer.Argument(help="its new number of partitions")],
               at_once: Annotated[bool, typer.Option(
                   "--at-once", help="grow without draining first (a key's newer records may "
                   "overtake its older ones)")] = False,
               runtime: RuntimeOpt = "local") -> None:
    """Add partitions to a topic (never fewer: Kafka cannot take partitions away). A lab topic
    is grown drained: the connector that publishes it pauses until every group reading it has
    caught up, so no key's older record is left unread when its newer ones move."""
    from boletia.adapters import kafka
    from boletia.lab import groups
    from boletia.lab.experiments import order

    rt = _runtime(runtime)
    bootstrap = rt.settings.kafka_bootstrap
    try:
        rows = kafka.partitions(bootstrap, [topic])
    except Exception as exc:  # noqa: BLE001 - unknown topic or Kafka away: say which
        _fail(LabError(f"cannot describe topic {topic!r} ({type(exc).__name__}: {exc}); "
                       "is the lab up, and is the name right (`boletia lab status`)?"))
    if not rows:
        _fail(LabError(f"Kafka has no topic {topic!r}; the lab's topics: "
                       f"{', '.join(kafka.LAB_TOPICS)}"))
    try:
        groups.check_grow(topic, len(rows), count)
        if at_once:
            kafka.add_partitions(bootstrap, topic, count)
        else:
            done = order.grow_drained(rt.settings, topic, count, rt.design(),
                                      report=lambda line: console.print(f"   {line}"))
    except LabError as exc:
        _fail(exc)
    except Exception as exc:  # noqa: BLE001 - Kafka or Connect refused: say what it said
        _fail(LabError(f"could not grow {topic} to {count} partitions: {type(exc).__name__}: {exc}"))
    if at_once:
        console.print(f"{topic}: {len(rows)} -> {count} partitions, at once. New records of a key may "
                      "land on a new partition: its records still in flight on the old one can be "
                      "overtaken by its newer ones")
    else:
        console.print(f"{topic}: {len(rows)} -> {count} partitions, drained ("
                      + (f"{done['paused']} paused {done['paused_s']} s" if done["paused"]
                         else "no connector publishes it")
                      + (f"; {', '.join(done['readers'])} caught up first" if done["readers"] else "")
                      + "). No key's older record was left unread on the old count.")


@lab.command("images")
def images_cmd(auto: Annotated[bool, typer.Option("--auto", help="(default) official if Docker Hub "
                                                  "answers, else offline")] = False,
               official: Annotated[bool, typer.Option("--official", help="pull the official images")] = False,
               offline: Annotated[bool, typer.Option("--offline", help="build without Docker Hub")] = False,
               jupyter: Annotated[bool, typer.Option("--jupyter", help="also JupyterLab inside the "
                                                     "network (a much larger image)")] = False,
               ) -> None:
    """Build (or pull) the docker runtime's images, the official or the offline set, and say which."""
    import time

    from rich.markup import escape

    from boletia.lab.runtimes import images

    try:
        with console.status("building the images…") as spinner:
            begun = time.monotonic()

            def progress(step: str) -> None:  # the step under way, with the time so far
                said = f"{escape(step)}  [dim]({time.monotonic() - begun:.0f} s so far)[/]"
                if console.is_terminal:
                    spinner.update(said)
                else:  # a log (CI, a pipe) gets no spinner: one line a step
                    console.print(f"  … {said}")

            done = images.main(official=official, offline=offline, auto=auto, jupyter=jupyter,
                               report=lambda m: console.print(f"  [green]✓[/] {escape(m)}"),
                               progress=progress)
        console.print(done)
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
        _fail(LabError(_t("bootstrap failed: {kind}: {reason}", kind=type(exc).__name__, reason=exc)))


@lab.command("access")
def access_cmd() -> None:
    """Kafka's SCRAM users and ACLs, made by the lab's admin (the docker lab's one-shot `access`
    service, before Connect and the consumers start)."""
    import os

    from boletia import config
    from boletia.adapters import kafka
    from boletia.lab.setup import credentials

    try:
        users = credentials.parse_users(os.environ.get("BOLETIA_KAFKA_USERS", ""))
        bootstrap = config.settings().kafka_bootstrap
        kafka.wait_for_brokers(bootstrap, 3, timeout=120)
        added, n = credentials.grant(bootstrap, users, every=True)
        console.print("  [green]✓[/] " + _t("Kafka: SCRAM users {who}; {n} ACLs (lab/setup/credentials.py)",
                                            who=", ".join(added) or "-", n=n))
    except (LabError, TimeoutError, ValueError, RuntimeError) as exc:
        _fail(exc)
    except Exception as exc:  # noqa: BLE001 - Kafka not reachable or refusing: say which
        _fail(LabError(_t("access failed: {kind}: {reason}", kind=type(exc).__name__, reason=exc)))


@lab.command()
def token(runtime: RuntimeOpt = "local") -> None:
    """Print the admin API's bearer token (for `Authorization: Bearer ...`)."""
    try:
        sys.stdout.write(_runtime(runtime).admin_token() + "\n")
    except LabError as exc:
        _fail(exc)


@lab.command()
def design(name: Design,
           runtime: RuntimeOpt = "local") -> None:
    """Switch the running lab to another design (connectors, services and consumers are
    reconfigured and restarted)."""
    rt = _runtime(runtime)
    try:
        rt.set_design(name.value, report=lambda m: console.print(f"  [green]✓[/] {m}"))
    except (LabError, ValueError) as exc:
        _fail(exc)


@lab.command()
def crash(consumer: Consumer, times: Annotated[int, typer.Option(min=1)] = 1,
          topic: Annotated[str | None, typer.Option(help="only messages of this topic")] = None,
          runtime: RuntimeOpt = "local") -> None:
    """Make a consumer crash after its next write(s), before committing: the message comes back."""
    _fault(runtime, lambda rt: rt.crash_consumer(consumer.value, times, topic),
           f"{consumer} will crash after its next {times} write(s), before the commit")


@lab.command()
def slow(consumer: Consumer, seconds: Annotated[float, typer.Argument(min=0)],
         runtime: RuntimeOpt = "local") -> None:
    """Slow a consumer down: sleep SECONDS before each commit (0 = full speed)."""
    _fault(runtime, lambda rt: rt.slow_consumer(consumer.value, seconds),
           f"{consumer}: {seconds}s per message")


@lab.command("fail-writes")
def fail_writes(times: Annotated[int, typer.Argument(min=1)],
                service: Annotated[App | None, typer.Option(
                    help="only the writes of this service or consumer")] = None,
                runtime: RuntimeOpt = "local") -> None:
    """Make the next TIMES MongoDB writes fail (a fail point), optionally for one service."""
    _fault(runtime, lambda rt: rt.fail_writes(times, service and service.value),
           f"next {times} writes{' of ' + service if service else ''} will fail")


@lab.command()
def reconcile(runtime: RuntimeOpt = "local",
              grace: Annotated[float, typer.Option(min=0, help="seconds a booking may still be "
                                                   "on its way")] = 30.0) -> None:
    """Complete every booking answered 200 whose reservation never came (fixed design: from
    `pedidos`, what the API recorded); idempotent. The watchdog runs it every minute."""
    from pymongo.errors import PyMongoError

    from boletia.adapters import mongo
    from boletia.lab.setup.reconcile import reconcile as run_reconcile

    rt = _runtime(runtime)
    client = mongo.connect(rt.settings)
    try:
        console.print(run_reconcile(mongo.database(client), grace).line())
    except PyMongoError as exc:
        _fail(LabError(f"MongoDB did not answer ({exc}): is the lab up? `boletia lab status`"))
    finally:
        client.close()


@lab.command("dead-letters")
def dead_letters(replay: Annotated[str | None, typer.Option(
                     help=r"publish this one (topic\[partition]@offset) back onto its topic")] = None,
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
        _fail(LabError(_t("cannot read the dead-letter topic ({kind}: {reason}); is the lab up?",
                          kind=type(exc).__name__, reason=exc)))
    table = Table("from", "group", "reason", "document", caption=f"{len(letters)} dead letter(s)")
    for d in letters:
        doc = d["document"] if isinstance(d["document"], dict) else {}
        table.add_row(d["where"], d["group"] or "", (d["reason"] or "")[:80],
                      str({k: doc.get(k) for k in ("_id", "evento", "estado") if k in doc})[:60])
    Console().print(table)


@lab.command("arm", hidden=True)
def arm(consumer: Consumer, fault: Fault,
        value: Annotated[float, typer.Argument(min=0)] = 1,
        topic: Annotated[str | None, typer.Option()] = None) -> None:
    """Arm a fault for a consumer of THIS machine or container (the container runtimes run it
    inside the consumer's container, where its hooks read the lab directory)."""
    from boletia.lab import groups, hooks

    lab_dir = config.settings().lab_dir
    if fault == "clear":
        hooks.disarm(lab_dir, consumer.value)
    else:
        kind = hooks.CRASH if fault == "crash" else hooks.DELAY
        if fault == "crash":
            groups.check_crash_topic(consumer.value, topic)
        if value == 0:
            hooks.disarm(lab_dir, consumer.value, kind)
        else:
            hooks.arm(lab_dir, consumer.value, kind, int(value) if fault == "crash" else value, topic)
    console.print(f"{consumer}: {fault} {value if fault != 'clear' else ''}".strip())


@lab.command()
def ui(port: Annotated[int, typer.Option(min=1, max=65535)] = 8090,
       host: Annotated[str, typer.Option(help="a wider address only when a class must reach it")]
       = "127.0.0.1",
       trusted_host: Annotated[list[str] | None, typer.Option(
           help="a Host name to answer besides loopback (the name a TLS proxy forwards)")] = None,
       insecure_http: Annotated[bool, typer.Option(
           help="serve a wider --host over plain HTTP anyway (a trusted network only)")] = False,
       runtime: RuntimeOpt = "local") -> None:
    """The live control room in a browser: the box office at /, the control room at /control."""
    from boletia.lab.ui.server import serve

    if host not in ("127.0.0.1", "localhost", "::1") and not insecure_http:
        # the control room's admin actions and the box office's bookings would cross the
        # network in clear text: TLS in front, or the risk accepted by name
        _fail(LabError(_t(
            "refusing to serve on {host} over plain HTTP: the control room's requests carry the "
            "lab's admin powers. Keep --host 127.0.0.1 behind a TLS proxy (for example "
            "`caddy reverse-proxy --from class.example --to 127.0.0.1:{port}`) with "
            "--trusted-host class.example, or add --insecure-http on a network you trust",
            host=host, port=port)))
    rt = _runtime(runtime)
    try:
        serve(rt, host=host, port=port, extra_hosts=list(trusted_host or []))
    except OSError as exc:
        _fail(LabError(_t("cannot serve on {host}:{port} ({reason}); try another --port",
                          host=host, port=port, reason=exc.strerror or exc)))
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
        _fail(LabError(_t("the services do not answer ({reason}); is the lab up? `boletia lab up`",
                          reason=exc)))
    except LabError as exc:
        _fail(exc)
    name = f"{record.prefix.replace(' ', '_')}.json"
    path = Path(out) if out else config.settings().lab_dir / "runs" / name
    record.save(path)
    sys.stdout.write(json.dumps({**record.summary(), "record": str(path)}, indent=2) + "\n")


@app.command()
def check(run: Annotated[str | None, typer.Option(help="a record saved by `boletia load`")] = None,
          design: Annotated[str | None, typer.Option(help="default: the lab's")] = None,
          timeout: Annotated[float | None, typer.Option(
              help="seconds the drain may wait (default: 120 s plus 0.2 s a message of the "
                   "backlog it sees, while every stage keeps moving)")] = None,
          runtime: RuntimeOpt = "local") -> None:
    """Drain the pipeline with a canary, then judge every invariant; print a JSON report.
    Exit 0 clean, 1 violated, 2 inconclusive (not settled yet) or when it cannot judge."""
    from pathlib import Path

    from boletia.lab.experiments import checker, load
    from boletia.lab.experiments.verdict import check_lab

    if timeout is not None and timeout <= 0:
        _fail(LabError(f"--timeout must be more than 0 seconds, not {timeout:g}"))
    rt = _runtime(runtime)
    record = None
    if run:
        if not Path(run).exists():
            _fail(LabError(_t("no record at {run}; `boletia load` prints where it saved one", run=run)))
        record = load.Record.load(Path(run))
    try:
        with console.status("sending a canary through the pipeline, then checking…") as status:
            report = check_lab(rt, record, design, timeout=timeout,
                               progress=lambda line: status.update(line))
    except checker.CheckError as exc:
        console.print("[bold red]" + _t("cannot check:") + f"[/] {exc}")
        raise typer.Exit(2) from None
    except Exception as exc:  # noqa: BLE001 - lab down: say so, no traceback
        _fail(LabError(_t("cannot reach the lab ({kind}: {reason}); is it up?",
                          kind=type(exc).__name__, reason=exc)))
    sys.stdout.write(json.dumps(report.as_dict(), indent=2, default=str) + "\n")
    console.print(report.summary(), markup=False, emoji=False)  # "rid:A:" stays text
    if not report.ok:
        raise typer.Exit(1 if report.verdict == "violated" else 2)


BENCH_RATES = "20,40,80,120,160,200,240,280,320"


@app.command()
def bench(designs: Annotated[str, typer.Option(
              help=f"comma-separated, of: {','.join(config.DESIGNS)}")] = "fixed,txn,seed",
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

    from boletia.designs import NAMES, UnknownDesign, check
    from boletia.lab.experiments import bench as bench_mod

    try:
        chosen = [check(d) for d in designs.split(",") if d.strip()]
    except UnknownDesign as exc:
        _fail(exc)
    if not chosen:
        _fail(LabError(_t("no design chosen; choose from {designs}", designs=", ".join(NAMES))))
    try:
        steps = sorted(float(r) for r in rates.split(","))
    except ValueError:
        _fail(LabError(_t("rates must be numbers separated by commas, got {rates}", rates=repr(rates))))
    if not steps or steps[0] <= 0 or steps[-1] > 1000:
        _fail(LabError(_t("rates must be between 0 and 1000 bookings per second")))
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
    for s in SCENARIOS.values():
        shows = f"  [seed shows: {s.breaks_seed}]" if s.breaks_seed else ""
        sys.stdout.write(f"{s.name:30s} {s.about}{shows}\n")


@chaos.command("run")
def chaos_run(name: Annotated[Scenario, typer.Argument(
                  metavar="NAME", help=f"{_listed(Scenario)} (`boletia chaos list` says what each does)")],
              design: Design = "fixed",
              seed: int = 1, runtime: RuntimeOpt = "local") -> None:
    """Load + fault + recovery + proof + check; prints a JSON summary.
    Exit 0 clean, 1 violated, 2 inconclusive (the fault did not fire, or a wait timed out)."""
    from boletia.lab.experiments import chaos as chaos_mod

    try:
        summary = chaos_mod.run(name.value, design.value, seed, rt=_runtime(runtime),
                                report=lambda m: console.print(f"  {m}"))
    except (LabError, TimeoutError) as exc:
        _fail(exc)
    sys.stdout.write(json.dumps(summary, indent=2, default=str) + "\n")
    console.print(f"verdict: {summary['verdict']}"
                  + (f" ({summary['inconclusive']})" if summary["inconclusive"] else ""))
    if summary["verdict"] != "clean":
        raise typer.Exit(1 if summary["verdict"] == "violated" else 2)


class _JupyterOrSubcommand(TyperGroup):
    """`boletia notebooks [jupyter lab options]` opens JupyterLab; `boletia notebooks run ...`
    is a subcommand with its own options and help. Whatever does not name a subcommand
    (`--ServerApp.x=1`) goes to JupyterLab."""

    def invoke(self, ctx: typer.Context):
        first = ctx._protected_args[:1]
        if first and first[0] not in self.commands:
            ctx.args, ctx._protected_args = [*ctx._protected_args, *ctx.args], []
        return super().invoke(ctx)


notebooks_app = typer.Typer(cls=_JupyterOrSubcommand, invoke_without_command=True,
                            context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
app.add_typer(notebooks_app, name="notebooks")


@notebooks_app.callback()
def notebooks(ctx: typer.Context,
              port: Annotated[int, typer.Option(help="JupyterLab's port")] = 8888,
              lang: Annotated[str, typer.Option(help="the lessons' language: en, or es (the "
                                                     "Spanish edition, rendered into the lab dir)")] = "en",
              ) -> None:
    """Open JupyterLab at the repository's root (loopback only), with the lab's command on the
    terminals' PATH; further options go to `jupyter lab`. `--lang es` opens the Spanish edition
    instead. `boletia notebooks run NOTEBOOK --grid NAME=v1,v2 ...` runs a lesson as a papermill
    batch (see its --help); `boletia notebooks render --lang es DEST` writes an edition."""
    if ctx.invoked_subcommand:
        return
    import os
    import shutil

    from boletia import config

    root = config.REPO_ROOT
    if lang != "en":
        editions = _editions()

        # rendered afresh at every start (never committed): the catalogues are the source
        root = config.settings().lab_dir / f"edition-{lang}"
        try:
            _, kept = editions.write_edition(lang, root / "notebooks", runnable=True)
        except ValueError as exc:
            _fail(LabError(str(exc)))
        for path in kept:
            console.print(_t("kept your edited {name} (delete it to get the edition's newest text)",
                             name=path.name))
        gaps = editions.missing(lang)
        if gaps:
            said = _t("{count} passages of {lessons} are not translated yet; they show in English",
                      count=sum(map(len, gaps.values())), lessons=", ".join(gaps))
            console.print(f"[yellow]{said}[/yellow]")

    bindir = os.path.dirname(sys.executable)
    jupyter = shutil.which("jupyter", path=bindir) or shutil.which("jupyter")
    if jupyter is None:
        _fail(LabError(_t("jupyter is not installed in this environment: run `make lab` "
                          "(or `pip install -e '.\\[lab]'`)")))
    args = [jupyter, "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--port={port}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.default_url=/lab/tree/notebooks/00-overview.ipynb"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Jupyter refuses root without it; a container or a CI box is often root.
        args.append("--allow-root")
    # `boletia` in a JupyterLab terminal is this environment's
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    os.execv(jupyter, [*args, *ctx.args])


def _editions():
    """The editions module, or what to install for it (babel and nbformat come with the lab's extra)."""
    try:
        from boletia.lab.i18n import editions
    except ImportError as exc:
        _fail(LabError(_t("{package} is not installed, and the editions need it: "
                          "run `make lab` (or `pip install -e '.\\[lab]'`)",
                          package=(exc.name or "babel").split(".")[0])))
    return editions


@notebooks_app.command("render")
def notebooks_render(dest: Annotated[str, typer.Argument(help="the folder the lessons are written to")],
                     lang: Annotated[str, typer.Option(help="the edition's language")] = "es") -> None:
    """Write an edition of the lessons (prose translated, code cells and stored outputs as in
    English) into DEST, e.g. for the book."""
    from pathlib import Path

    editions = _editions()
    try:
        written, _ = editions.write_edition(lang, Path(dest))
    except ValueError as exc:
        _fail(LabError(str(exc)))
    gaps = editions.missing(lang)
    console.print(_t("{count} lessons written to {dest}", count=len(written), dest=dest)
                  + (_t("; untranslated passages (in English): {lessons}", lessons=", ".join(gaps))
                     if gaps else ""))


@notebooks_app.command("run")
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
        _fail(LabError(_t("no notebook at {notebook}", notebook=notebook)))
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


@notebooks_app.command("refresh")
def notebooks_refresh(lessons: Annotated[list[str] | None, typer.Argument(
        help="e.g. 04 or notebooks/04-redelivery-and-idempotency.ipynb (default: every lesson)")] = None,
                      ) -> None:
    """Execute lessons against the running lab and store their outputs as the references nbval
    checks: cleaned (no tokens, paths, run metadata), with a hash of their code, written back
    in place with their jupytext pair. Run it after changing a lesson's code."""
    from pathlib import Path

    from boletia import config
    from boletia.lab.notebook import references

    folder = config.REPO_ROOT / "notebooks"
    every = sorted(folder.glob("[0-9][0-9]-*.ipynb"))
    chosen = []
    for name in lessons or []:
        match = [p for p in every if p.name == Path(name).name or p.stem.startswith(Path(name).stem)]
        if len(match) != 1:
            _fail(LabError(f"no single lesson matches {name!r}: the lessons are "
                           + ", ".join(p.stem for p in every)))
        chosen += match
    roots = references.machine_roots(config.REPO_ROOT, config.settings().lab_dir)
    failed = []
    for lesson in chosen or every:
        console.print(f"{lesson.name}: executing (a few minutes)...")
        try:
            references.refresh(lesson, roots, report=console.print)
        except Exception as exc:  # papermill's error names the failing cell; the others go on
            console.print(f"{lesson.name} failed, its references are unchanged: {exc}", markup=False)
            failed.append(lesson.stem)
    if failed:
        _fail(LabError(f"not refreshed: {', '.join(failed)} (their errors are above); fix the lesson "
                       f"or the lab and run `boletia notebooks refresh {' '.join(f[:2] for f in failed)}`"))


@app.command()
def book(out: Annotated[str, typer.Option(help="the build folder (git-ignored)")] = "",
         lang: Annotated[list[str] | None, typer.Option(
             help="an edition to build (en, es); repeat for both (default: every one available)")] = None,
         ) -> None:
    """Build the course as a static site: every lesson with its committed reference outputs (none
    is executed), and docs/, with a table of contents and search; one site per language."""
    from pathlib import Path

    from boletia.lab import book as course

    try:
        built = course.build(Path(out) if out else course.DEFAULT_OUT,
                             langs=tuple(lang) if lang else tuple(course.RUN_IT))
    except LabError as exc:
        _fail(exc)
    for note in built.notes:
        console.print(f"[yellow]note:[/] {note}")
    for name, html in built.editions.items():
        console.print(f"{name}: {html / 'index.html'}")
    console.print(f"open {built.index} (or serve it: python -m http.server -d {built.index.parent})")


@app.command()
def grade(submissions: Annotated[str, typer.Argument(help="a folder of submissions: NAME.py (the "
                                                    "decisions) or NAME/ with student_design.py, "
                                                    "consumer_loop.py, inventory_connector.json "
                                                    "and nemesis.py")],
          out: Annotated[str, typer.Option(help="where grades.csv and the reports go")] = "grades",
          seeds: Annotated[int, typer.Option(min=0, help="chaos seeds per part (drawn from --seed)")] = 2,
          seed: Annotated[int | None, typer.Option(help="the grade's seed (default: a new one)")] = None,
          instructor: Annotated[str | None, typer.Option(help="the hidden cases' folder")] = None,
          levels: Annotated[str | None, typer.Option(help="the levels graded, e.g. decisions,loop,"
                                                     "connector,nemesis (default: every one)")] = None,
          bench: Annotated[bool, typer.Option(help="a leaderboard column (not a grade): the bookings/s each "
                                              "design sustains and its p99, for decisions that pass every "
                                              "case (about a minute each)")] = False,
          ) -> None:
    """Grade a class's designs, each in a sandbox: cases drawn at grade time, then the chaos
    scenarios over seeds the students never ran (the lab must be up)."""
    from pathlib import Path

    from boletia.lab.student import grading

    try:
        rows = grading.grade(Path(submissions), Path(out), seeds=seeds, seed=seed,
                             instructor=Path(instructor) if instructor else grading.INSTRUCTOR,
                             levels=grading.levels_named(levels),
                             # a report line quotes ids like `6b15...c5:A:`: no emoji, no markup
                             report=lambda m: console.print(m, emoji=False, markup=False),
                             bench=grading.BENCH_RATES if bench else ())
    except LabError as exc:
        _fail(exc)
    table = Table(*rows[0].keys())
    for r in rows:
        table.add_row(*(str(v) for v in r.values()))
    Console().print(table)
    console.print(f"written: {Path(out) / 'grades.csv'} and a report.md per submission in {out}/")


def _product(component: str, *args: str) -> None:
    """Replace this process with the product's entry point (boletia/product.py), so the
    service or consumer runs without the lab's modules loaded."""
    import os

    os.execv(sys.executable, [sys.executable, "-m", "boletia.product", component, *args])


@app.command()
def serve(service: Annotated[str, typer.Argument(help=" | ".join(SERVICES))],
          port: Annotated[int | None, typer.Option(help="default 8070 / 8071")] = None,
          host: Annotated[str, typer.Option(help="0.0.0.0 inside a container")] = "127.0.0.1",
          ) -> None:
    """Run one HTTP service in the foreground: an alias of `boletia-service <service>`."""
    if service not in SERVICES:
        _fail(LabError(_t("unknown service {name}; choose one of: {names}",
                          name=repr(service), names=", ".join(SERVICES))))
    _product(service, "--host", host, *(["--port", str(port)] if port is not None else []))


@app.command()
def doctor() -> None:
    """Check this machine before a local lab starts: cores, memory, disk, Java, Maven, ports
    (a port this lab's own running process holds is fine)."""
    from boletia.lab.runtimes.local.doctor import examine

    findings = examine(config.settings())
    table = Table(_t("check"), "", _t("found"), _t("what to do"))
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
    from boletia.lab.components import CONSUMER_TOPICS
    from boletia.lab.setup.reconcile import Reconciler
    from boletia.lab.setup.watchdog import ConnectorWatchdog, ConsumerWatch

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    s = config.settings()
    url = s.connect_url
    log(f"watchdog: watching the connectors of {url} every {every:.0f}s")
    consumers = ConsumerWatch(s.kafka_bootstrap, CONSUMER_TOPICS, s.lab_dir, log=log)
    bookings = Reconciler(s, log=log)
    ConnectorWatchdog(url, log=log, every=every, also=[consumers.check, bookings.check]).run(stop)


@app.command()
def consume(consumer: Annotated[str, typer.Argument(help=" | ".join(CONSUMERS))]) -> None:
    """Run one Kafka consumer in the foreground, with the lab's hooks (readiness mark, armed
    faults): an alias of `boletia-service <consumer>` with BOLETIA_CONSUMER_HOOKS set."""
    if consumer not in CONSUMERS:
        _fail(LabError(_t("unknown consumer {name}; choose one of: {names}",
                          name=repr(consumer), names=", ".join(CONSUMERS))))
    import os

    from boletia.lab.hooks import SPEC

    os.environ.setdefault("BOLETIA_CONSUMER_HOOKS", SPEC)
    _product(consumer)


# ---------------------------------------------------------------- the help, for a newcomer
# Each command's panel in `--help`, in one table (in the order a newcomer meets them).
PANELS: dict[typer.Typer, dict[str, tuple[str, ...]]] = {
    app: {"Lab": ("doctor", "lab"),
          "Lessons": ("notebooks", "book"),
          "Experiments": ("load", "check", "bench", "chaos"),
          "Grading": ("grade",),
          "What the lab runs (one process each)": ("serve", "consume", "watch-connectors")},
    lab: {"Run the lab": ("up", "status", "logs", "token", "design", "ui", "down", "images",
                          "bootstrap", "access", "reconcile"),
          "Scale out": ("scale", "autoscale", "partitions"),
          "Break it": ("kill", "pause", "resume", "restart", "crash", "slow", "fail-writes",
                       "clear-faults", "dead-letters", "arm")},
}


def _place_in_panels() -> None:
    for group, panels in PANELS.items():
        where = {name: panel for panel, names in panels.items() for name in names}
        for info in [*group.registered_commands, *group.registered_groups]:
            callback = getattr(info, "callback", None)
            name = info.name or typer.main.get_command_name(callback.__name__)
            info.rich_help_panel = where.get(name, info.rich_help_panel)


_place_in_panels()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
