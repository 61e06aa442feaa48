"""Groups of N members: consumer groups (who holds which partition) and the Connect cluster
(which worker runs which connector and task).

Pure logic, shared by every runtime and by `boletia lab status`: member 1 of a consumer is the
component itself (`inventario`, instance `local`); member k > 1 is `inventario-k`, instance
`local-k`. The instance id must be unique per member: two members with one id fence each other
(static membership, KIP-345) and the group never settles. Connect's worker k > 1 is
`connect-k`, one more worker of the same Connect group (`group.id`), on its own REST port.
An API's replica k > 1 is `eventos-k`, one more process listening on the same port (each binds
it with SO_REUSEPORT; the kernel spreads new connections between them).
"""

from __future__ import annotations

from boletia.lab.errors import LabError

MAX_MEMBERS = 6  # on 2 cores more members only compete for the CPU
CONNECT = "connect"
MAX_WORKERS = 3  # each worker is a JVM of up to 768 MB; three share 6 connectors and tasks
API_SERVICES = ("eventos", "reservas")
MAX_REPLICAS = 4  # of an API: waitress's 16 threads each; more only compete for 2 cores


def member_name(consumer: str, k: int) -> str:
    return consumer if k == 1 else f"{consumer}-{k}"


def instance(k: int) -> str:
    """The static instance id of member k (the consumer loop prefixes the group)."""
    return "local" if k == 1 else f"local-{k}"


def group_instance_id(group: str, k: int) -> str:
    return f"{group}-{instance(k)}"


def max_members(component: str) -> int:
    return MAX_WORKERS if component == CONNECT else MAX_REPLICAS if component in API_SERVICES \
        else MAX_MEMBERS


def check_crash_topic(consumer: str, topic: str | None) -> None:
    """A crash armed on a topic the consumer does not read would never fire: refused, naming
    what it reads and who reads that topic (`inventario` on boletia.reservas, say: the refunds
    are reembolsos' since the split)."""
    from boletia.lab.components import BY_NAME, COMPONENTS

    if topic is None:
        return
    base = consumer if consumer in BY_NAME else consumer.rsplit("-", 1)[0]
    reads = BY_NAME[base].topics if base in BY_NAME else ()
    if topic not in reads:
        readers = [c.name for c in COMPONENTS if topic in c.topics]
        raise LabError(f"{consumer} does not read {topic} (it reads {', '.join(reads) or 'nothing'}): "
                       "the crash would never fire"
                       + (f"; {topic} is read by {', '.join(readers)}" if readers else ""))


def parse_scale(spec: str) -> tuple[str, int]:
    """`inventario=2` -> ("inventario", 2), or a LabError that says what to write."""
    name, sep, count = spec.partition("=")
    if not sep or not name or not count.strip().isdigit():
        raise LabError(f"scale takes COMPONENT=N (for example inventario=2 or connect=2), "
                       f"not {spec!r}")
    name, n = name.strip(), int(count)
    most = max_members(name)
    if not 1 <= n <= most:
        what = "Connect runs between 1 and {} workers" if name == CONNECT else \
            "an API runs between 1 and {} replicas" if name in API_SERVICES else \
            "a consumer runs between 1 and {} members"
        raise LabError(f"{name}={n}: {what.format(most)} "
                       "(0 would stop it: use `boletia lab kill` for that)")
    return name, n


def worker_holdings(statuses: dict[str, dict]) -> dict[str, list[str]]:
    """Connect's `GET /connectors?expand=status` answer -> each worker id (`host:port`) and
    what it runs: a connector by its name, a task as `name/N`, sorted."""
    held: dict[str, list[str]] = {}
    for name, entry in statuses.items():
        status = entry.get("status", entry)
        connector = status.get("connector", {})
        if connector.get("worker_id"):
            held.setdefault(connector["worker_id"], []).append(name)
        for task in status.get("tasks", []):
            if task.get("worker_id"):
                held.setdefault(task["worker_id"], []).append(f"{name}/{task.get('id', 0)}")
    return {w: sorted(units) for w, units in sorted(held.items())}


def task_worker(statuses: dict[str, dict], connector: str, task: int = 0) -> str | None:
    """The worker id that runs `connector`'s task `task`, RUNNING; None while it has none."""
    status = statuses.get(connector, {})
    status = status.get("status", status)
    for t in status.get("tasks", []):
        if t.get("id", 0) == task and t.get("state") == "RUNNING":
            return t.get("worker_id")
    return None


def member_rows(group: str, members: list[dict]) -> list[dict]:
    """One row per member of `group`, sorted by instance id, with the partitions it holds as
    `topic[p]` and `idle` set when it holds none (more members than partitions); both None
    when Kafka's answer could not be read (unknown is not idle)."""
    rows = []
    for m in sorted(members, key=lambda m: (m.get("instance") or "", m.get("member_id") or "")):
        known = m.get("partitions")
        held = None if known is None else [f"{t}[{p}]" for t, p in known]
        rows.append({"group": group, "instance": m.get("instance") or m.get("member_id"),
                     "partitions": held, "idle": None if held is None else not held})
    return rows


def check_grow(topic: str, current: int, wanted: int) -> None:
    """Kafka adds partitions, never removes them: a smaller count is refused with what to do."""
    if wanted < current:
        raise LabError(f"{topic} has {current} partitions; Kafka cannot take partitions away "
                       f"(their messages would be lost). To have {wanted}, create a new topic "
                       "and move the consumers to it.")
    if wanted == current:
        raise LabError(f"{topic} already has {current} partitions; nothing to do")
