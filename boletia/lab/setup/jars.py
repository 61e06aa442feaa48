"""The JVM parts of the local runtime: Java, and the jars Maven lays out from lab-infra/pom.xml.

Everything comes from Maven Central through `mvn`; Maven's own cache (~/.m2) makes the
second fetch a copy. Every jar laid out is then checked against the SHA-256 pinned in
`lab-infra/jars.sha256` (Maven checks only the repository's own SHA-1, which travels with the
jar): a jar that differs, or one the pins do not know, stops the lab before Java loads it.
The jars are laid out in a cache directory named after the pom's
content (`$XDG_CACHE_HOME/boletia/jars-<hash>`, `BOLETIA_JARS_DIR` to choose): outside the
package, shared by every checkout, kept by `lab down --purge`, fetched again on a version bump.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from boletia import resources
from boletia.lab.errors import LabError

MIN_JAVA = 17


def target() -> Path:
    if os.environ.get("BOLETIA_JARS_DIR"):
        return Path(os.environ["BOLETIA_JARS_DIR"])
    digest = hashlib.sha1(resources.pom().read_bytes()).hexdigest()[:10]
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "boletia" / f"jars-{digest}"


def kafka_libs() -> Path:
    return target() / "kafka" / "libs"


def plugin_path() -> Path:
    return target() / "connect-plugins"


def versions() -> dict[str, str]:
    """Kafka and connector versions as pinned in the pom (one place to change them)."""
    text = resources.pom().read_text()
    found = dict(re.findall(r"<(kafka\.version|mongo\.connector\.version)>([^<]+)<", text))
    return {"kafka": found.get("kafka.version", "?"),
            "mongo-kafka-connect": found.get("mongo.connector.version", "?")}


def java() -> str:
    """Path of a Java >= 17, or a LabError that says how to get one."""
    path = shutil.which("java")
    if path is None:
        raise LabError(
            f"Java is missing: Kafka and Connect need Java {MIN_JAVA}+. Install a JDK "
            "(apt-get install openjdk-17-jdk-headless, or conda env create -f environment.yml)."
        )
    out = subprocess.run([path, "-version"], capture_output=True, text=True, timeout=30).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    major = int(match.group(1)) if match else 0
    if major == 1 and match and match.group(2):
        major = int(match.group(2))
    if major < MIN_JAVA:
        raise LabError(f"Java {major} found at {path}; Kafka {versions()['kafka']} needs "
                       f"Java {MIN_JAVA}+. Put a newer JDK first on PATH.")
    return path


def pinned() -> dict[str, str]:
    """`lab-infra/jars.sha256` (sha256sum's format): relative path -> SHA-256."""
    text = (resources.infra_dir() / "jars.sha256").read_text()
    pairs = (line.split(maxsplit=1) for line in text.splitlines() if line.strip())
    return {path: digest for digest, path in pairs}


def verify(root: Path, pins: dict[str, str]) -> list[str]:
    """What is wrong with the jars under `root` against `pins`: each one that differs, is not
    pinned, or is missing. Empty when all match."""
    found = {str(p.relative_to(root)): p for p in root.rglob("*.jar")}
    problems = [f"{rel}: not in lab-infra/jars.sha256" for rel in sorted(set(found) - set(pins))]
    problems += [f"{rel}: missing" for rel in sorted(set(pins) - set(found))]
    for rel in sorted(set(found) & set(pins)):
        digest = hashlib.sha256(found[rel].read_bytes()).hexdigest()
        if digest != pins[rel]:
            problems.append(f"{rel}: SHA-256 {digest}, pinned {pins[rel]}")
    return problems


def jars_ready() -> bool:
    """The jars are laid out, by the pom as it is now (a version bump fetches again)."""
    return ((target() / ".fetched").exists() and any(kafka_libs().glob("kafka_2.13-*.jar"))
            and any(plugin_path().glob("mongo-kafka-connect/*.jar")))


def ensure_jars(on_progress: Callable[[str], None] | None = None) -> None:
    """Fetch the jars with Maven unless they are laid out already; report each download.
    Two labs started at once on a fresh machine (the test workers) fetch once: the second waits
    on a lock beside the cache, then finds the jars laid out (two Mavens copying into one
    folder failed with "Failed to copy full contents")."""
    if jars_ready():
        return
    lock = target().with_name(target().name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as held:
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_progress:
                on_progress("another lab is fetching the jars: waiting for it")
            fcntl.flock(held, fcntl.LOCK_EX)
        if not jars_ready():
            _fetch(on_progress)


def _fetch(on_progress: Callable[[str], None] | None) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LabError(
            "Maven is missing: the lab fetches Kafka and the MongoDB connector from Maven "
            "Central with `mvn`. Install it (apt-get install maven, or conda env create -f "
            "environment.yml) and run the command again."
        )
    out = target()
    cmd = [mvn, "-B", "-f", str(resources.pom()), f"-Dlab.jars={out}", "package"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tail: list[str] = []
    count = 0
    assert proc.stdout is not None
    for line in proc.stdout:
        tail = (tail + [line.rstrip()])[-40:]
        if "Downloaded from" in line:
            count += 1
            if on_progress:
                name = line.rsplit("/", 1)[-1].split(" ")[0]
                on_progress(f"downloaded {count} artifacts ({name})")
    if proc.wait() != 0:
        raise LabError("Maven could not fetch the lab's jars:\n" + "\n".join(tail)
                       + f"\nRetry with: {' '.join(cmd)}")
    problems = verify(out, pinned())
    if problems:
        raise LabError(f"{len(problems)} jar(s) in {out} do not match the checksums pinned in "
                       "lab-infra/jars.sha256, so the lab will not run them:\n  "
                       + "\n  ".join(problems[:10])
                       + f"\nDelete {out} and run the command again. After a version bump in the pom, "
                       f"pin the new jars: cd {out} && find . -name '*.jar' | sed 's|^./||' | sort "
                       "| xargs sha256sum > lab-infra/jars.sha256")
    (out / ".fetched").touch()
