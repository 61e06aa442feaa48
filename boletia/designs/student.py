"""The student design: the fixed design with three decisions taken from the student's own file
(notebooks/exercises/student_design.py; notebook 06): `refund`, `booking_in`, `email_ledger`.

`DESIGN` is the design as the services and the lab see it (no file needed: the services book as
the fixed design does); a consumer process runs `DESIGN.prepared(path)`, which loads the file.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from boletia.designs.base import Design
from boletia.domain import decisions
from boletia.domain.decisions import Doc

RULES = ("refund", "booking_in", "email_ledger")
LOOP_GROUP = "notificaciones"  # the group whose loop a student may write (consumers/student_loop.py)


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


class Student(Design):
    name = "student"
    summary = "the fixed design with three decisions from the student's own file"
    available_on_containers = False  # the student's file is on this machine, not in an image
    records_refunds = False  # the student may refund another (correct) way: the arithmetic judges it

    def __init__(self, rules: ModuleType | None = None):
        self.rules = rules

    def _rules(self) -> ModuleType:
        if self.rules is None:
            raise RuntimeError("the student design runs its rules once prepared with the "
                               "student's file (Design.prepared)")
        return self.rules

    def booking_in(self, change: Doc) -> Doc | None:
        return self._rules().booking_in(change)

    def refund(self, doc: Doc) -> list:
        return list(self._rules().refund(doc))

    def email_claim(self, reserva: str, estado: str, to: str = "") -> tuple[Doc, Doc]:
        filt, update = self._rules().email_ledger(reserva, estado)
        return filt, decisions.ledger_identity(filt, update, reserva, estado)

    def consumer_loop(self, group: str) -> type | None:
        """The student's own loop class for `group`, when the design file brings one
        (`ConsumerLoop`, level "consumer loop": only for group notificaciones); None: the lab's."""
        loop = getattr(self.rules, "ConsumerLoop", None) if self.rules is not None else None
        return loop if group == LOOP_GROUP and isinstance(loop, type) else None

    def prepared(self, student_module: Path | None = None) -> Student:
        if student_module is None:
            raise SystemExit("the student design needs its file (BOLETIA_STUDENT_MODULE)")
        return Student(load(student_module))


DESIGN = Student()
