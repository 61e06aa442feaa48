"""`boletia doctor`: what this machine needs before a local lab starts, each problem with
its fix. Nothing is started or changed.

It belongs to the local runtime: it checks the local runtime's ports, and a port held by the
lab's own running process (found through the runtime's pid files: the process, or a child of
it) is that lab, running, not a port someone else took. So it can be run right after
`make lab`, as the instructor guide says."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import psutil

from boletia import config
from boletia.lab.components import COMPONENTS
from boletia.lab.errors import LabError
from boletia.lab.i18n.messages import cli as _t
from boletia.lab.runtimes.local.processes import ProcessHandle, listening_pids, port_owner
from boletia.lab.runtimes.local.storage import LabFiles
from boletia.lab.setup import jars

MIN_CORES, MIN_MEMORY_GIB, MIN_DISK_GIB = 2, 4, 3  # the lab's processes use ~2 GiB resident


@dataclass
class Finding:
    check: str
    ok: bool
    found: str
    fix: str = ""


def examine(settings: config.Settings) -> list[Finding]:
    out = []
    cores = os.cpu_count() or 1
    out.append(Finding(_t("CPU cores"), cores >= MIN_CORES, str(cores),
                       _t("the lab needs {cores}+ cores; close other programs or use a bigger machine",
                          cores=MIN_CORES)))
    free = psutil.virtual_memory().available / 2**30
    out.append(Finding(_t("memory available"), free >= MIN_MEMORY_GIB, f"{free:.1f} GiB",
                       _t("{gib} GiB are needed (brokers, Connect, MongoDB): close programs",
                          gib=MIN_MEMORY_GIB)))
    where = settings.lab_dir if settings.lab_dir.exists() else settings.lab_dir.parent
    while not where.exists():
        where = where.parent
    disk = shutil.disk_usage(where).free / 2**30
    out.append(Finding(_t("disk free at {path}", path=where), disk >= MIN_DISK_GIB, f"{disk:.1f} GiB",
                       _t("{gib} GiB are needed for the jars and the data; free some, or set "
                          "BOLETIA_LAB_DIR to a bigger disk", gib=MIN_DISK_GIB)))
    out.append(Finding("Python", sys.version_info >= (3, 11), sys.version.split()[0],
                       _t("Python 3.11+ is needed")))
    try:
        out.append(Finding("Java", True, jars.java()))
    except LabError as exc:
        out.append(Finding("Java", False, _t("missing or too old"), str(exc)))
    mvn = shutil.which("mvn")
    out.append(Finding("Maven", mvn is not None or jars.jars_ready(),
                       mvn or (_t("not needed: jars already fetched") if jars.jars_ready()
                               else _t("missing")),
                       _t("install Maven (apt-get install maven, or conda env create -f environment.yml)")))
    ours = lab_processes(LabFiles(settings.lab_dir.resolve()))
    for comp in COMPONENTS:
        for port in comp.ports(settings.ports):
            mine = sorted(ours[pid] for pid in listening_pids(port) if pid in ours)
            if mine:
                out.append(Finding(_t("port {port} ({name})", port=port, name=comp.name), True,
                                   _t("this lab's {name}, running", name=mine[0])))
                continue
            other = next(filter(None, map(other_lab, listening_pids(port))), None)
            if other:
                out.append(Finding(_t("port {port} ({name})", port=port, name=comp.name), False,
                                   _t("the lab in {path}", path=other),
                                   _t("another lab runs: `boletia lab down` with BOLETIA_LAB_DIR={path} "
                                      "(or in its checkout)", path=other)))
                continue
            owner = port_owner(port)
            out.append(Finding(_t("port {port} ({name})", port=port, name=comp.name), owner is None,
                               owner or _t("free"), _t("stop that program: the local lab needs this port")))
    return out


def other_lab(pid: int) -> Path | None:
    """The lab directory a process belongs to, when it is a lab's (the local runtime starts
    each component in its lab directory, beside the `run/` folder of pid files)."""
    try:
        cwd = Path(psutil.Process(pid).cwd())
    except (psutil.Error, OSError):
        return None
    return cwd if (cwd / "run").is_dir() and (cwd / "logs").is_dir() else None


def lab_processes(files: LabFiles) -> dict[int, str]:
    """The pids of this lab's running processes and of their children, each with its component
    (a pid file whose pid was reused by another program counts for nothing)."""
    found: dict[int, str] = {}
    for comp in COMPONENTS:
        proc = ProcessHandle(files.pid_file(comp.name)).process()
        if proc is None:
            continue
        try:
            family = [proc, *proc.children(recursive=True)]
        except psutil.Error:
            family = [proc]
        found.update({p.pid: comp.name for p in family})
    return found
