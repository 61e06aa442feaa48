"""The local runtime: every component a process on this machine."""

from boletia.lab.runtimes.local.runtime import LocalRuntime

__all__ = ["LocalRuntime"]
