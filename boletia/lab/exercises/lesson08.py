"""Lesson 08's exercise, checked: the student's `members_wanted(lag, target_lag, partitions,
most)` is the autoscaler's rule (KEDA's Kafka scaler): ceil(lag / target) members, never more
than `partitions` (its largest topic's) nor `most`, and at least one. Judged against the lab's own
autoscaler (`boletia/lab/autoscaler.py`) on cases each built so that one misread rule gives a
wrong answer; the message names the rule, never the code.

The check never raises: an untouched stub or a wrong answer prints "not yet: ..." so the rest
of the lesson still runs; a right one prints "right: ...".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from boletia.lab.autoscaler import Autoscaler, Policy

# (lag, target lag per member, partitions, most members), and the rule a wrong answer misread
CASES: list[tuple[int, int, int, int, str]] = [
    (120, 50, 6, 6, "members are ceil(lag / target): 120 messages at 50 a member need 3, not 2 (a "
                    "partly full member is still a member)"),
    (100, 50, 6, 6, "exactly at the target is enough: 100 messages at 50 a member need 2"),
    (900, 50, 6, 6, "never more members than partitions: a member beyond them holds nothing and "
                    "sits idle (6 partitions, 6 members at most)"),
    (900, 50, 3, 6, "never more members than partitions: here the largest topic has 3"),
    (900, 50, 6, 2, "never more than the most you allow (`most`), whatever the lag"),
    (0, 50, 6, 6, "at least one member, even with no lag: the group still has to read what comes"),
    (1, 50, 6, 6, "one message of lag is one member's work"),
]


def expected(lag: int, target_lag: int, partitions: int, most: int) -> int:
    """What the lab's autoscaler wants for this reading (min 1 member)."""
    return Autoscaler(Policy(target_lag=target_lag, min_members=1, max_members=most)).wanted(lag, partitions)


def check_wanted(members_wanted: Callable[[int, int, int, int], Any]) -> bool:
    """Print "right: ..." or "not yet: ..." for the student's `members_wanted`; True when right."""
    for lag, target, partitions, most, idea in CASES:
        try:
            got = members_wanted(lag, target, partitions, most)
        except Exception as exc:   # the student's code: say what broke, keep the lesson running
            print(f"not yet: with lag {lag}, members_wanted raised {type(exc).__name__} ({exc}): {idea}")
            return False
        if got is None:
            print("not yet: members_wanted returns None: give how many members the group should run")
            return False
        if not isinstance(got, int) or isinstance(got, bool):
            print(f"not yet: members_wanted should return a whole number of members, got {got!r}")
            return False
        want = expected(lag, target, partitions, most)
        if got != want:
            print(f"not yet: lag {lag}, target {target} a member, {partitions} partitions, at most {most}: "
                  f"you said {got}, the autoscaler says {want}: {idea}")
            return False
    print(f"right: your rule agrees with the lab's autoscaler on all {len(CASES)} cases")
    return True
