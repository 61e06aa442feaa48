"""The two set-up routes: the default builds .venv; the conda route (environment.yml) reuses the
active conda environment when it has this checkout's package, and the Makefile follows."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = ROOT / "scripts" / "bootstrap.sh"


def _fake_conda(tmp_path: Path, python: str) -> Path:
    """A conda environment's layout: bin/python (this one, or one without boletia) and a pip
    that records what it is asked."""
    prefix = tmp_path / "conda-env"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "python").write_text(f'#!/bin/sh\nexec {python} "$@"\n')
    (prefix / "bin" / "pip").write_text(f'#!/bin/sh\necho "$@" >> {prefix}/pip-calls\n')
    for tool in ("python", "pip"):
        (prefix / "bin" / tool).chmod(0o755)
    return prefix


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VENV", "CONDA_PREFIX", "MAKEFLAGS")}
    return {**env, **extra}


def _chosen(**extra: str) -> str:
    out = subprocess.run([str(BOOTSTRAP), "--print-env"], env=_env(**extra), capture_output=True,
                         text=True, timeout=60, cwd="/")
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _make_bin(**extra: str) -> str:
    out = subprocess.run(["make", "-n", "-s", "down"], env=_env(**extra), capture_output=True,
                         text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_the_default_route_is_the_virtualenv():
    assert _chosen() == ".venv"
    assert _make_bin() == ".venv/bin/boletia lab down"


def test_a_conda_environment_with_this_checkouts_package_is_used(tmp_path):
    prefix = _fake_conda(tmp_path, sys.executable)  # this environment runs this checkout's boletia
    assert _chosen(CONDA_PREFIX=str(prefix)) == str(prefix)
    assert _make_bin(CONDA_PREFIX=str(prefix)) == f"{prefix}/bin/boletia lab down"
    assert _chosen(CONDA_PREFIX=str(prefix), VENV="elsewhere") == "elsewhere"  # asked for: kept


def test_a_conda_environment_without_it_is_not(tmp_path):
    bare = shutil.which("python3", path="/usr/bin:/bin") or pytest.skip("no system python3")
    if subprocess.run([bare, "-c", "import boletia"], cwd="/", capture_output=True).returncode == 0:
        pytest.skip("the system python has a boletia")
    prefix = _fake_conda(tmp_path, bare)
    assert _chosen(CONDA_PREFIX=str(prefix)) == ".venv"
    assert _make_bin(CONDA_PREFIX=str(prefix)) == ".venv/bin/boletia lab down"


def test_the_conda_route_installs_into_the_conda_environment_and_builds_no_venv(tmp_path):
    """The whole bootstrap on the conda route: no virtualenv created, the pinned requirements
    and the package checked into the conda environment, pip itself left to conda."""
    needs = [shutil.which("java"), shutil.which("mvn")]
    if not all(needs) or (os.geteuid() == 0 and not (os.path.exists("/usr/bin/chromium")
                                                      and os.path.exists("/usr/bin/chromedriver"))):
        pytest.skip("bootstrap would install system packages here")
    prefix = _fake_conda(tmp_path, sys.executable)
    out = subprocess.run([str(BOOTSTRAP)], env=_env(CONDA_PREFIX=str(prefix)), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "using the active conda environment" in out.stdout and "creating" not in out.stdout
    calls = (prefix / "pip-calls").read_text().splitlines()
    assert calls == ["install -q --require-hashes -r requirements-hashes.lock", "install -q --no-deps -e ."]
    assert list(prefix.glob(".installed-*"))  # the next run installs nothing
    out = subprocess.run([str(BOOTSTRAP)], env=_env(CONDA_PREFIX=str(prefix)), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and len((prefix / "pip-calls").read_text().splitlines()) == 2


def _requirements(name: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, sha256 hashes) of a pip-compile output (continuation lines joined)."""
    import re

    text = (ROOT / name).read_text().replace("\\\n", " ")
    out = {}
    for line in text.splitlines():
        found = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)(.*)$", line)
        if found:
            out[found[1].lower()] = (found[2], re.findall(r"--hash=sha256:([0-9a-f]{64})", found[3]))
    return out


def test_the_hashed_lock_is_the_lock_with_a_hash_for_every_pin():
    """bootstrap installs requirements-hashes.lock with --require-hashes: it must pin exactly
    requirements.lock's versions (which the images install), each with its files' hashes."""
    plain, hashed = _requirements("requirements.lock"), _requirements("requirements-hashes.lock")
    assert plain and {k: v for k, (v, _) in hashed.items()} == {k: v for k, (v, _) in plain.items()}, \
        "regenerate requirements-hashes.lock from requirements.lock (scripts/bootstrap.sh says how)"
    assert not [k for k, (_, hashes) in hashed.items() if not hashes]
    assert "--require-hashes -r requirements-hashes.lock" in BOOTSTRAP.read_text()
