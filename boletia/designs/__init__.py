"""The designs: one registry, one module per design (the Strategy pattern, STYLE.md).

A design is what tells the product's code apart between the seed's architecture and the fixed
ones: how a booking is written, how many tickets are left, what an inventario or reservas
message means, how a refund is made, how an email is claimed, whether the consumer loop skips
a failed message, whether the email path yields, which connectors publish the changes, and
what the checker may expect of it. Product code asks its design (`get(name)`) and never
compares a design's name.

This module is the registry and imports nothing from `boletia` when imported: `config`, at the
bottom of the product, takes the names from here (`config.DESIGNS is NAMES`), and each design's
module is imported only when asked for. To add a design: write `boletia/designs/<name>.py`
with a `DESIGN` (a `boletia.designs.base.Design`, usually a subclass of another design's), add
its name to `NAMES`, and give it connectors (docs/architecture.md, "How to add a design").
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from boletia.designs.base import Design

# fixed: event-driven, made correct (the default); seed: the original design, with its six
# failure modes; txn: the booking and its reservation in one multi-document transaction (the
# option the seed rejected); student: the fixed design with three decisions taken from the
# student's own file (notebooks/exercises/student_design.py; notebook 06).
NAMES: tuple[str, ...] = ("fixed", "seed", "txn", "student")
DEFAULT = "fixed"


class UnknownDesign(ValueError):
    """A design name the registry does not hold; the message lists the ones it does."""


def check(name: object) -> str:
    """The one validation of a design's name: `name` normalised (trimmed, lower case; empty
    means the default), or UnknownDesign naming the registry's designs."""
    if not isinstance(name, str):
        raise UnknownDesign(f"a design is named by a string, not {type(name).__name__}; "
                            f"choose one of: {', '.join(NAMES)}")
    normal = name.strip().lower() or DEFAULT
    if normal not in NAMES:
        raise UnknownDesign(f"unknown design {name!r}; choose one of: {', '.join(NAMES)}")
    return normal


def get(name: str) -> Design:
    """The design called `name` (validated by `check`)."""
    return importlib.import_module(f"{__name__}.{check(name)}").DESIGN


def all_designs() -> tuple[Design, ...]:
    return tuple(get(n) for n in NAMES)


def help_text() -> str:
    """`fixed | seed | txn | student`: what help texts and error messages list."""
    return " | ".join(NAMES)
