"""Pick a runtime by name: the only module that knows every implementation."""

from __future__ import annotations

from boletia.lab.errors import LabError
from boletia.lab.runtimes.docker import DockerRuntime
from boletia.lab.runtimes.kind import KindRuntime
from boletia.lab.runtimes.local import LocalRuntime
from boletia.lab.runtimes.port import RUNTIMES, Runtime

_IMPLEMENTATIONS = {"local": LocalRuntime, "docker": DockerRuntime, "kind": KindRuntime}
assert tuple(_IMPLEMENTATIONS) == RUNTIMES


def get_runtime(name: str = "local") -> Runtime:
    if name not in _IMPLEMENTATIONS:
        raise LabError(f"unknown runtime {name!r}; choose one of: {', '.join(RUNTIMES)}")
    return _IMPLEMENTATIONS[name]()
