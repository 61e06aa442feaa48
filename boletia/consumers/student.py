"""The student design: the consumers take three decisions from the student's own file."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

RULES = ("refund", "booking_in", "email_ledger")


def load(path: Path) -> ModuleType:
    """Import the student's module from its file; say which function is missing."""
    spec = importlib.util.spec_from_file_location("student_design", path)
    if spec is None or spec.loader is None or not Path(path).exists():
        raise SystemExit(f"the student design needs its file: {path} does not exist "
                         "(set BOLETIA_STUDENT_MODULE, or run notebook 06)")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    missing = [name for name in RULES if not callable(getattr(module, name, None))]
    if missing:
        raise SystemExit(f"{path} lacks {', '.join(missing)}: start again from "
                         "notebooks/exercises/student_design.py")
    return module
