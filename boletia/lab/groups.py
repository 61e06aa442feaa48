"""Consumer groups of N members: their names, instance ids and who holds which partition.

Pure logic, shared by every runtime and by `boletia lab status`: member 1 of a consumer is the
component itself (`inventario`, instance `local`); member k > 1 is `inventario-k`, instance
`local-k`. The instance id must be unique per member: two members with one id fence each other
(static membership, KIP-345) and the group never settles.
"""

from __future__ import annotations

from boletia.lab.errors import LabError

MAX_MEMBERS = 6  # on 2 cores more members only compete for the CPU


def member_name(consumer: str, k: int) -> str:
    return consumer if k == 1 else f"{consumer}-{k}"


def instance(k: int) -> str:
    """The static instance id of member k (the consumer loop prefixes the group)."""
    return "local" if k == 1 else f"local-{k}"


def group_instance_id(group: str, k: int) -> str:
    return f"{group}-{instance(k)}"


def parse_scale(spec: str) -> tuple[str, int]:
    """`inventario=2` -> ("inventario", 2), or a LabError that says what to write."""
    name, sep, count = spec.partition("=")
    if not sep or not name or not count.strip().isdigit():
        raise LabError(f"scale takes COMPONENT=N (for example inventario=2), not {spec!r}")
    n = int(count)
    if not 1 <= n <= MAX_MEMBERS:
        raise LabError(f"{name}={n}: a consumer runs between 1 and {MAX_MEMBERS} members "
                       "(0 would stop it: use `boletia lab kill` for that)")
    return name.strip(), n


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
