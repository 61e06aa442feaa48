"""The fixed design: event-driven, made correct (the default). Every choice that differs from
the seed's is named after the failure mode it prevents (docs/failure-modes.md); they are the
defaults of `Design` (base.py)."""

from __future__ import annotations

from boletia.designs.base import Design

DESIGN = Design()
