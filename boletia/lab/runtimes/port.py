"""The one interface every runtime (local processes, docker compose, kind) implements.

Notebooks, tests and the chaos scenarios talk only to this interface, so the same lesson
runs on a laptop without containers and on a Kubernetes cluster.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Protocol

RUNTIMES = ("local", "docker", "kind")


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
