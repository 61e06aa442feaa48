"""`boletia doctor`: what this machine needs before a local lab starts, each problem with
its fix. Nothing is started or changed."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass

import psutil

from boletia import config
from boletia.lab.components import COMPONENTS
from boletia.lab.errors import LabError
from boletia.lab.runtimes.local.processes import port_owner
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
    out.append(Finding("CPU cores", cores >= MIN_CORES, str(cores),
                       f"the lab needs {MIN_CORES}+ cores; close other programs or use a bigger machine"))
    free = psutil.virtual_memory().available / 2**30
    out.append(Finding("memory available", free >= MIN_MEMORY_GIB, f"{free:.1f} GiB",
                       f"{MIN_MEMORY_GIB} GiB are needed (brokers, Connect, MongoDB): close programs"))
    where = settings.lab_dir if settings.lab_dir.exists() else settings.lab_dir.parent
    while not where.exists():
        where = where.parent
    disk = shutil.disk_usage(where).free / 2**30
    out.append(Finding(f"disk free at {where}", disk >= MIN_DISK_GIB, f"{disk:.1f} GiB",
                       f"{MIN_DISK_GIB} GiB are needed for the jars and the data; free some, or set "
                       "BOLETIA_LAB_DIR to a bigger disk"))
    out.append(Finding("Python", sys.version_info >= (3, 11), sys.version.split()[0],
                       "Python 3.11+ is needed"))
    try:
        out.append(Finding("Java", True, jars.java()))
    except LabError as exc:
        out.append(Finding("Java", False, "missing or too old", str(exc)))
    mvn = shutil.which("mvn")
    out.append(Finding("Maven", mvn is not None or jars.jars_ready(),
                       mvn or ("not needed: jars already fetched" if jars.jars_ready() else "missing"),
                       "install Maven (apt-get install maven, or conda env create -f environment.yml)"))
    for comp in COMPONENTS:
        for port in comp.ports(settings.ports):
            owner = port_owner(port)
            out.append(Finding(f"port {port} ({comp.name})", owner is None, owner or "free",
                               f"taken by {owner}: stop it (a lab from another checkout: "
                               "`boletia lab down` there)"))
    return out
