"""Files and folders only their owner may read. A file is written in one step: created with
O_EXCL under a name nobody can guess (`tempfile.mkstemp`), so no file or link planted beforehand is
ever opened, never readable by others between create and chmod, then renamed into place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write(path: Path, text: str, mode: int = 0o600) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        os.write(fd, text.encode())
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    os.close(fd)
    os.replace(tmp, path)


def directory(path: Path) -> Path:
    """`path` created if missing and made owner-only (0700): the lab's data and logs hold
    customers' addresses and the admin token, and on a shared class server loopback is every
    other student. An existing folder is tightened too."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path
