"""Lesson 01's exercise check: the command that creates a topic as safe as the lab's own.

The student writes a `kafka-topics.sh --create` command for a new topic on the lab's three brokers
that (a) three consumers of one group can share, (b) loses no acknowledged `acks=all` write when a
broker dies and (c) still accepts writes with one broker down. Only the numbers are judged; the
hints point to the idea (copies, in-sync replicas, partitions per consumer), never to the answer."""

from __future__ import annotations

import shlex

BROKERS = 3


def _options(command: str) -> dict[str, str]:
    """--flag value / --flag=value / --config key=value pairs of a kafka-topics command."""
    words = shlex.split(command or "")
    out: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("--"):
            flag, _, value = word[2:].partition("=")
            if not value and i + 1 < len(words) and not words[i + 1].startswith("--"):
                value, i = words[i + 1], i + 1
            if flag == "config":
                key, _, val = value.partition("=")
                out[key.strip()] = val.strip()
            else:
                out[flag] = value
        i += 1
    return out


def _number(options: dict[str, str], key: str) -> int | None:
    try:
        return int(options[key])
    except (KeyError, ValueError):
        return None


def check_topic_command(command: str) -> str:
    """'right: …' when the command creates a topic meeting (a)-(c) on three brokers; else 'not yet: …'."""
    options = _options(command)
    partitions = _number(options, "partitions")
    replicas = _number(options, "replication-factor")
    in_sync = _number(options, "min.insync.replicas")
    if "create" not in options or not options.get("topic"):
        return "not yet: write a `kafka-topics.sh --create --topic NAME …` command (see the cell above)"
    if partitions is None or replicas is None or in_sync is None:
        return ("not yet: say all three numbers: --partitions, --replication-factor and "
                "--config min.insync.replicas=N")
    if partitions < 3:
        return (f"not yet: with {partitions} partition(s) at most {partitions} consumer(s) of one group "
                "get messages: a group shares a topic partition by partition")
    if replicas > BROKERS:
        return (f"not yet: {replicas} copies on {BROKERS} brokers: each copy of a partition needs a "
                "broker of its own")
    if replicas < BROKERS:
        return (f"not yet: with {replicas} copies, one broker down leaves {replicas - 1}: either writes "
                "stop or the last copy is all there is; more copies, one per broker")
    if in_sync < 2:
        return ("not yet: with min.insync.replicas=1 an acks=all write is acknowledged by one copy; if "
                "that broker dies before the others copy it, an acknowledged write is lost")
    if in_sync >= replicas:
        return (f"not yet: with one broker down only {replicas - 1} copies are in sync, fewer than "
                f"min.insync.replicas={in_sync}: every acks=all write is refused")
    return (f"right: {partitions} partitions, {replicas} copies, min.insync.replicas={in_sync}: one "
            "broker can die without losing an acknowledged write or stopping writes")
