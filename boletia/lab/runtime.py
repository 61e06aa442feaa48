"""The one interface every runtime (local processes, docker compose, kind) implements.

Notebooks, tests and the chaos scenarios talk only to this interface, so the same lesson
runs on a laptop without containers and on a Kubernetes cluster.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Protocol

RUNTIMES = ("local", "docker", "kind")
SERVICES = ("eventos", "reservas")
CONSUMERS = ("inventario", "notificaciones")
APPS = [*SERVICES, *CONSUMERS]  # what every runtime restarts when the design changes


class LabError(Exception):
    """A failure the student can act on: the message says what happened and what to do."""


@dataclass
class ComponentStatus:
    name: str
    kind: str
    state: str  # running | paused | stopped | dead
    pid: int | None = None
    ports: list[int] = field(default_factory=list)
    connection: str | None = None
    log: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


class Runtime(Protocol):
    name: str

    def components(self) -> list[str]: ...
    def design(self) -> str: ...
    def admin_token(self) -> str: ...
    def set_design(self, design: str) -> None: ...
    def up(self) -> list[ComponentStatus]: ...
    def down(self, purge: bool = False) -> None: ...
    def status(self) -> list[ComponentStatus]: ...
    def logs(self, component: str, lines: int = 50) -> str: ...
    def kill(self, component: str) -> None: ...
    def pause(self, component: str) -> None: ...
    def resume(self, component: str) -> None: ...
    def restart(self, component: str) -> None: ...
    def start(self, component: str) -> None: ...


def get_runtime(name: str = "local") -> Runtime:
    if name == "local":
        from boletia.lab.local import LocalRuntime

        return LocalRuntime()
    if name == "docker":
        from boletia.lab.docker import DockerRuntime

        return DockerRuntime()
    if name == "kind":
        from boletia.lab.kind import KindRuntime

        return KindRuntime()
    raise LabError(f"unknown runtime {name!r}; choose one of: {', '.join(RUNTIMES)}")
