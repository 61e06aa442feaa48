"""What every lesson does first, and a window on a component's log for one cell."""

from __future__ import annotations

from collections.abc import Callable

from boletia.lab.notebook import evidence, observe
from boletia.lab.runtimes.factory import get_runtime
from boletia.lab.runtimes.port import Runtime


def open_lab(runtime: str = "local", design: str = "fixed",
             report: Callable[[str], None] = lambda m: print("  ", m)) -> Runtime:
    """Bring the lab up on `runtime` (a running lab is left as it is) in `design`."""
    rt = get_runtime(runtime)
    rt.up(report=report)
    if rt.design() != design:
        rt.set_design(design, report=report)
    observe.use(rt.settings)
    print(f"lab ready on {rt.name}; design: {rt.design()}")
    return rt


def record(results_path: str | None, **values) -> None:
    """Write this run's results where a batch run (`boletia notebooks run`) gathers them."""
    if results_path:
        import json
        from pathlib import Path

        Path(results_path).write_text(json.dumps(values, default=str))


class LogWindow:
    """The lines a component logs from now on: a cell shows only what happened in it."""

    def __init__(self, rt: Runtime, component: str):
        self.rt, self.component = rt, component
        self.mark = rt.log_mark(component)

    def text(self) -> str:
        return self.rt.logs(self.component, 0, since=self.mark)

    def events(self, kind: str | None = None) -> list[evidence.Event]:
        found = evidence.parse(self.text())
        return [e for e in found if kind is None or e.kind == kind]
