"""What every lesson does first, and a window on a component's log for one cell."""

from __future__ import annotations

import inspect
import re
import textwrap
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

    def show(self, width: int = 140) -> None:
        """Print the window's lines as a student reads them (`readable`)."""
        for line in self.text().splitlines():
            if line.strip():
                print(readable(line, width))

    def events(self, kind: str | None = None) -> list[evidence.Event]:
        found = evidence.parse(self.text())
        return [e for e in found if kind is None or e.kind == kind]


_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\S+ ")
_REPR = re.compile(r"(?P<name>\w+(?:Error|Exception|Failure|Timeout))\((?P<q>['\"])"
                   r"(?P<msg>(?:\\.|(?!(?P=q)).)*)(?P=q)")   # a quote inside it is escaped


_PARTITIONS = re.compile(r"(?:[\w.]+\[\d+\],)+[\w.]+\[\d+\](?![@\w])")


def _by_topic(m: re.Match) -> str:
    """`t[0],t[1],u[0]` -> `t[0,1], u[0]`: a rebalance's list of six partitions, readable."""
    held: dict[str, list[str]] = {}
    for topic, partition in re.findall(r"([\w.]+)\[(\d+)\]", m.group(0)):
        held.setdefault(topic, []).append(partition)
    return ", ".join(f"{topic}[{','.join(ps)}]" for topic, ps in held.items())


# a rebalance that gave a member what it now holds says the list once (it ran past the cut)
_SAME_HELD = re.compile(r"assigned (?P<parts>.+?); holds (?P=parts)(?= \()")


def readable(line: str, width: int = 140) -> str:
    """A log line without its time stamp, an exception's repr as `Name: message` (the repr's
    other arguments, the full server reply, dropped), a list of partitions grouped by topic and
    said once where a rebalance assigned what the member now holds, cut to `width` characters."""
    text = _PARTITIONS.sub(_by_topic, _STAMP.sub("", line.rstrip()))
    text = _SAME_HELD.sub(r"assigned \g<parts>, all it holds now", text)
    m = _REPR.search(text)
    if m:
        message = re.sub(r"\\(.)", r"\1", m["msg"])   # unescaped
        message = message.split(", full error:")[0]   # pymongo appends the server's whole reply
        text = f"{text[:m.start()]}{m['name']}: {message}"
    return text if len(text) <= width else text[:width - 1] + "…"


def source_part(obj: object, first: str, last: str, before: int = 0) -> str:
    """The lines of `obj`'s source from the first one containing `first` (and `before` lines
    above it) to the next one containing `last`, dedented: a lesson shows the part it
    discusses, not the whole function."""
    lines = inspect.getsource(obj).splitlines()
    start = next((i for i, line in enumerate(lines) if first in line), None)
    end = next((i for i, line in enumerate(lines) if start is not None and i >= start and last in line),
               None)
    if start is None or end is None:
        raise ValueError(f"{getattr(obj, '__qualname__', obj)}: no lines from {first!r} to {last!r}")
    return textwrap.dedent("\n".join(lines[max(0, start - before):end + 1]))
