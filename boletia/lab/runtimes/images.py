"""The docker runtime's container images, in one of two sets, built (or pulled) by one command:
`boletia lab images [--auto | --official | --offline]`.

- **official**: what a user who reaches Docker Hub runs: `apache/kafka:4.1.1` (the three
  brokers, and the base of the Connect image), `mongo:7.0` (a three-member replica set),
  `python:3.11-slim` (the base of the boletia image) and `maven:3.9-eclipse-temurin-17`
  (Connect's build stage); built from them: `boletia-connect:lab` and `boletia:lab`.
- **offline**: no image registry at all. `boletia-base:bookworm` is a debootstrap root file
  system (`lab-infra/images/base.sh`, from Debian's package mirror); every other image is
  built FROM it with Debian's packages (OpenJDK 17, Maven, Python 3.11), Maven Central (Kafka,
  Connect and the connector, by `lab-infra/pom.xml`) and PyPI (`requirements.lock`).
  MongoDB is ONE SecantusDB member (a single-node replica set), not three mongod members
  (replica-set failover needs the official set), with the lab's users as in the local
  runtime (its entrypoint provisions them: see compose.yaml, service `mongo`).
- **auto**: the official set when `docker pull apache/kafka:4.1.1` answers within
  `PROBE_SECONDS`, the offline set otherwise.

Every lab container runs the boletia image's `app` target (the package and its core
dependencies, requirements-core.lock). JupyterLab inside the compose network (service
`jupyter`, compose profile `jupyter`) needs the `jupyter` target, a much larger image; it
is built and run only when asked for (`boletia lab images --jupyter`), since under the vfs
storage driver (where an overlay does not mount) every layer and every container copies an
image's whole tree.

Rebuilding unchanged images is fast: every Dockerfile installs its dependencies before it
copies code, so the engine's layer cache answers. The build context is a staged copy of the
files the Dockerfiles read (`stage_context`), never the whole checkout (its virtualenv, lab
data and jars would be sent to the engine on every build).

A build takes minutes the first time: each step is shown as it starts (`build_step` reads
the engine's `Step 3/9 : RUN ...` lines, or BuildKit's `#7 [app 3/9] RUN ...`), so `boletia
lab images` says what it is doing instead of staying silent.

Which set was built last is recorded in `<lab dir>/docker/image-set`; the docker runtime
brings that set up and gives compose its variables (`ImageSet.variables`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from boletia import config
from boletia.lab.errors import LabError
from boletia.lab.runtimes.shell import TIMEOUT, Runner, run_command

# runs a command, handing each line of its output to the callback as it comes
Streamer = Callable[[list[str], Callable[[str], None]], subprocess.CompletedProcess]

CHOICES = ("auto", "official", "offline")
PROBE_IMAGE = "apache/kafka:4.1.1"
PROBE_SECONDS = 60
BASE_IMAGE = "boletia-base:bookworm"

# What the Dockerfiles read, relative to the repository root (the staged build context).
CONTEXT = ("pyproject.toml", "README.md", "LICENSE", "requirements.lock", "requirements-core.lock",
           "boletia", "connect", "notebooks", "lab-infra/__init__.py", "lab-infra/pom.xml",
           "lab-infra/jars.sha256", "lab-infra/compose.yaml", "lab-infra/templates", "lab-infra/images",
           "lab-infra/boletia.Dockerfile")
IGNORED = ("__pycache__", "*.pyc", ".ipynb_checkpoints", "executed", ".[0-9][0-9]-*.ipynb", "*.egg-info")


@dataclass(frozen=True)
class Build:
    tag: str
    dockerfile: str                                   # relative to the repository root
    args: dict[str, str] = field(default_factory=dict)
    target: str | None = None                         # a multi-stage Dockerfile's stage

    def command(self, context: Path) -> list[str]:
        args = [a for k, v in self.args.items() for a in ("--build-arg", f"{k}={v}")]
        target = ["--target", self.target] if self.target else []
        return ["docker", "build", "-f", str(context / self.dockerfile), *args, *target,
                "-t", self.tag, str(context)]


@dataclass(frozen=True)
class ImageSet:
    name: str
    pulls: tuple[str, ...]      # from a registry
    builds: tuple[Build, ...]   # in this order (later ones are FROM earlier ones)
    images: dict[str, str]      # compose.yaml's variable -> image
    mongo: dict[str, str]       # compose.yaml's variables for the in-network MongoDB address
    mongo_members: int          # 3 mongod members, or ONE SecantusDB member
    pin_overrides: str = ""     # requirements.lock pins the base image's Python cannot install
    needs_base: bool = False    # boletia-base:bookworm first (lab-infra/images/base.sh)

    @property
    def jupyter(self) -> Build:
        """JupyterLab in the network: the app image's build, its `jupyter` target (built only
        when asked for)."""
        app = next(b for b in self.builds if b.target == "app")
        return replace(app, tag=app.tag.replace("boletia:", "boletia-jupyter:"), target="jupyter")

    def variables(self, jupyter: bool = False) -> dict[str, str]:
        """What compose.yaml reads: the profiles (which MongoDB services run; `jupyter` when its
        image was built), the images, the services' MongoDB address and the build's pin
        overrides."""
        profiles = self.name + (",jupyter" if jupyter else "")
        return {"COMPOSE_PROFILES": profiles, "BOLETIA_IMAGE_SET": self.name, **self.images,
                "BOLETIA_JUPYTER_IMAGE": self.jupyter.tag, **self.mongo,
                "BOLETIA_PIN_OVERRIDES": self.pin_overrides}

    def all_images(self, jupyter: bool = False) -> list[str]:
        return ([*self.pulls, *(b.tag for b in self.builds)] + ([self.jupyter.tag] if jupyter else [])
                + ([BASE_IMAGE] if self.needs_base else []))


OFFICIAL = ImageSet(
    name="official",
    pulls=("apache/kafka:4.1.1", "mongo:7.0", "python:3.11-slim", "maven:3.9-eclipse-temurin-17"),
    builds=(Build("boletia-connect:lab", "connect/Dockerfile"),
            Build("boletia:lab", "lab-infra/boletia.Dockerfile", target="app")),
    images={"BOLETIA_KAFKA_IMAGE": "apache/kafka:4.1.1",
            "BOLETIA_MAVEN_IMAGE": "maven:3.9-eclipse-temurin-17",
            "BOLETIA_PYTHON_IMAGE": "python:3.11-slim",
            "BOLETIA_MONGO_IMAGE": "mongo:7.0",
            "BOLETIA_CONNECT_IMAGE": "boletia-connect:lab",
            "BOLETIA_APP_IMAGE": "boletia:lab"},
    mongo={"BOLETIA_MONGO_HOSTS": "mongo-1:27017,mongo-2:27017,mongo-3:27017",
           "BOLETIA_MONGO_OPTIONS": "replicaSet=rs0"},
    mongo_members=3,
)

# Pins of requirements.lock that Debian bookworm's Python 3.11.2 (the offline python image)
# cannot install, with the newest release that supports it (measured: the only one of 186;
# soupsieve 3.0.2+ requires Python >= 3.11.5).
PYTHON_3_11_2_PINS = {"soupsieve": "3.0.1"}
_OVERRIDES = " ".join(f"{k}=={v}" for k, v in PYTHON_3_11_2_PINS.items())

_KAFKA = "boletia-kafka:4.1.1-bookworm"
_MAVEN = "boletia-maven:bookworm"
_PYTHON = "boletia-python:3.11-bookworm"
OFFLINE = ImageSet(
    name="offline",
    pulls=(),
    builds=(Build(_MAVEN, "lab-infra/images/maven.Dockerfile", {"BASE_IMAGE": BASE_IMAGE}),
            Build(_PYTHON, "lab-infra/images/python.Dockerfile", {"BASE_IMAGE": BASE_IMAGE}),
            Build(_KAFKA, "lab-infra/images/kafka.Dockerfile",
                  {"BASE_IMAGE": BASE_IMAGE, "MAVEN_IMAGE": _MAVEN}),
            Build("boletia-connect:lab-offline", "connect/Dockerfile",
                  {"KAFKA_IMAGE": _KAFKA, "MAVEN_IMAGE": _MAVEN}),
            Build("boletia-secantusdb:lab", "lab-infra/images/secantusdb.Dockerfile",
                  {"PYTHON_IMAGE": _PYTHON}),
            Build("boletia:lab-offline", "lab-infra/boletia.Dockerfile",
                  {"PYTHON_IMAGE": _PYTHON, "PIN_OVERRIDES": _OVERRIDES}, "app")),
    images={"BOLETIA_KAFKA_IMAGE": _KAFKA,
            "BOLETIA_MAVEN_IMAGE": _MAVEN,
            "BOLETIA_PYTHON_IMAGE": _PYTHON,
            "BOLETIA_SECANTUS_IMAGE": "boletia-secantusdb:lab",
            "BOLETIA_CONNECT_IMAGE": "boletia-connect:lab-offline",
            "BOLETIA_APP_IMAGE": "boletia:lab-offline"},
    mongo={"BOLETIA_MONGO_HOSTS": "mongo:27017", "BOLETIA_MONGO_OPTIONS": "directConnection=true"},
    mongo_members=1,
    pin_overrides=_OVERRIDES,
    needs_base=True,
)
SETS = {s.name: s for s in (OFFICIAL, OFFLINE)}


def by_name(name: str) -> ImageSet:
    if name not in SETS:
        raise LabError(f"unknown image set {name!r}; choose one of: {', '.join(SETS)}")
    return SETS[name]


# ---------------------------------------------------------------------- where things are
def record_file(lab_dir: Path) -> Path:
    """`<lab dir>/docker/image-set`: the set built last, which the docker runtime runs."""
    return lab_dir.resolve() / "docker" / "image-set"


def _recorded_words(lab_dir: Path) -> list[str]:
    path = record_file(lab_dir)
    return path.read_text().split() if path.exists() else []


def recorded(lab_dir: Path) -> ImageSet | None:
    words = _recorded_words(lab_dir)
    return SETS.get(words[0]) if words else None


def recorded_jupyter(lab_dir: Path) -> bool:
    """Whether the set built last included the jupyter image (then compose runs `jupyter`)."""
    return "jupyter" in _recorded_words(lab_dir)[1:]


def record(lab_dir: Path, image_set: ImageSet, jupyter: bool = False) -> None:
    path = record_file(lab_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(image_set.name + ("\njupyter" if jupyter else "") + "\n")


def repo_root() -> Path:
    root = config.REPO_ROOT
    if not (root / "pyproject.toml").exists() or not (root / "requirements.lock").exists():
        raise LabError("building the lab's images needs a checkout of the repository (its "
                       "Dockerfiles, pyproject.toml and requirements.lock); this boletia is an "
                       "installed package")
    return root


def stage_context(repo: Path, dest: Path) -> Path:
    """Copy what the Dockerfiles read into `dest` (replacing what was there) and return it."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns(*IGNORED)
    for rel in CONTEXT:
        src, dst = repo / rel, dest / rel
        if src.is_dir():
            shutil.copytree(src, dst, ignore=ignore)
        elif src.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return dest


# ---------------------------------------------------------------------- progress
_LEGACY_STEP = re.compile(r"^Step (\d+)/(\d+) : (.+)$")
_BUILDKIT_STEP = re.compile(r"^#\d+ \[(?:([\w.-]+) )?(\d+)/(\d+)\] (.+)$")


def build_step(line: str) -> str | None:
    """The step a build's output line starts, said short (`step 3/9: RUN pip install ...`), or
    None for any other line (a step's own output)."""
    line = line.strip()
    if m := _LEGACY_STEP.match(line):
        n, total, what = m.groups()
        stage = ""
    elif m := _BUILDKIT_STEP.match(line):
        stage, n, total, what = m.groups()
        stage = f" ({stage})" if stage else ""
    else:
        return None
    what = " ".join(what.split())
    return f"step {n}/{total}{stage}: {what[:70] + '…' if len(what) > 70 else what}"


def stream_command(cmd: list[str], on_line: Callable[[str], None],
                   timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """`run_command`, with each line of the output (stdout and stderr together) handed to
    `on_line` as it comes; on failure the output is the error's text too."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace", bufsize=1)
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        proc.kill()

    timer = threading.Timer(timeout, stop)
    timer.start()
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            on_line(line.rstrip("\n"))
        code = proc.wait()
    finally:
        timer.cancel()
    out = "".join(lines)
    if timed_out.is_set():
        code, out = 124, out + f"\ntimed out after {timeout:.0f}s: {' '.join(cmd[:6])}"
    return subprocess.CompletedProcess(cmd, code, out, out if code else "")


# ---------------------------------------------------------------------- engine calls
class Images:
    """Builds or pulls a set through one injectable command runner (tests pass a recorder)."""

    def __init__(self, run: Runner | None = None, report: Callable[[str], None] = lambda m: None,
                 lab_dir: Path | None = None, progress: Callable[[str], None] | None = None,
                 stream: Streamer | None = None):
        self.run = run or run_command
        self.report = report
        # a long step's progress (`progress`), read from the command's output as it comes
        # (`stream`: the real engine's by default; tests pass their own)
        self.progress = progress
        self.stream = stream or (stream_command if run is None else None)
        self.lab_dir = (lab_dir or config.settings().lab_dir).resolve()

    def _call(self, cmd: list[str], what: str, live: bool = False) -> str:
        if self.run is run_command and shutil.which("docker") is None:
            raise LabError("building the lab's images needs Docker (the `docker` command was not "
                           "found): run scripts/docker-engine.sh, or use --runtime local")
        if live and self.progress and self.stream:
            out = self.stream(cmd, self._shown(what))
        else:
            out = self.run(cmd)
        if out.returncode != 0:
            err = (out.stderr or "").strip()
            if "Cannot connect to the Docker daemon" in err:
                raise LabError(f"no usable Docker engine ({err[-300:]}); start one "
                               "(scripts/docker-engine.sh), or use --runtime local")
            detail = ((out.stdout or "").strip()[-1500:] + "\n" + err[-500:]).strip()
            raise LabError(f"{what} failed:\n{detail}")
        return out.stdout

    def exists(self, image: str) -> bool:
        try:
            self._call(["docker", "image", "inspect", "--format", "{{.Id}}", image], "inspect")
        except LabError as exc:
            if "no usable Docker engine" in str(exc) or "needs Docker" in str(exc):
                raise
            return False
        return True

    def missing(self, image_set: ImageSet, jupyter: bool = False) -> list[str]:
        return [i for i in image_set.all_images(jupyter) if not self.exists(i)]

    def pullable(self) -> bool:
        """Whether Docker Hub answers: `docker pull` of the brokers' image, bounded in time."""
        if self.exists(PROBE_IMAGE):
            return True
        try:
            self._call(["timeout", str(PROBE_SECONDS), "docker", "pull", "-q", PROBE_IMAGE], "pull")
        except LabError as exc:
            if "no usable Docker engine" in str(exc):
                raise
            return False
        return True

    def choose(self, choice: str) -> ImageSet:
        if choice not in CHOICES:
            raise LabError(f"unknown image set {choice!r}; choose one of: {', '.join(CHOICES)}")
        if choice != "auto":
            return SETS[choice]
        started = time.monotonic()
        if self.pullable():
            self.report(f"auto: {PROBE_IMAGE} pulled in {time.monotonic() - started:.0f} s: "
                        "the official images")
            return OFFICIAL
        self.report(f"auto: `docker pull {PROBE_IMAGE}` failed after {time.monotonic() - started:.0f} s "
                    f"(limit {PROBE_SECONDS} s; no Docker Hub): the offline images, ONE SecantusDB "
                    "member for MongoDB")
        return OFFLINE

    def build(self, choice: str = "auto", jupyter: bool = False) -> tuple[ImageSet, dict[str, float]]:
        """Pull and build the chosen set (the layer cache answers for what did not change),
        with the jupyter image when asked, record it, and return it with the seconds each
        step took."""
        image_set = self.choose(choice)
        timings: dict[str, float] = {}
        if image_set.needs_base:
            timings[BASE_IMAGE] = self._timed(
                ["bash", str(repo_root() / "lab-infra" / "images" / "base.sh")], BASE_IMAGE)
        for image in image_set.pulls:
            if not self.exists(image):
                timings[image] = self._timed(["docker", "pull", "-q", image], f"docker pull {image}")
        context = stage_context(repo_root(), self.lab_dir / "docker" / "context")
        for b in image_set.builds + ((image_set.jupyter,) if jupyter else ()):
            timings[b.tag] = self._timed(b.command(context), f"docker build {b.tag}")
        record(self.lab_dir, image_set, jupyter)
        return image_set, timings

    def _shown(self, what: str) -> Callable[[str], None]:
        """What a long step's output lines say, as progress: a build's steps; the base image's
        own lines (`==> ...`)."""
        def on_line(line: str) -> None:
            step = build_step(line) or (line[4:] if line.startswith("==> ") else None)
            if step:
                self.progress(f"{what.removeprefix('docker ')}: {step}")
        return on_line

    def _timed(self, cmd: list[str], what: str) -> float:
        started = time.monotonic()
        if self.progress:
            self.progress(what.removeprefix("docker "))
        self._call(cmd, what, live=True)
        seconds = time.monotonic() - started
        self.report(f"{what.removeprefix('docker ')} ({seconds:.1f} s)")
        return seconds


def main(official: bool = False, offline: bool = False, auto: bool = False, jupyter: bool = False,
         report: Callable[[str], None] = lambda m: None,
         progress: Callable[[str], None] | None = None) -> str:
    """`boletia lab images`: build the set asked for (auto by default) and say which was built,
    what each step took and how MongoDB runs in it; `jupyter` adds JupyterLab in the network."""
    asked = [name for name, on in (("official", official), ("offline", offline), ("auto", auto)) if on]
    if len(asked) > 1:
        raise LabError("choose one of --auto, --official, --offline")
    choice = asked[0] if asked else "auto"
    started = time.monotonic()
    image_set, timings = Images(report=report, progress=progress).build(choice, jupyter)
    mongo = ("ONE SecantusDB member (a single-node replica set, with the lab's users; the "
             "member failover needs the official set)" if image_set.mongo_members == 1
             else "a 3-member mongo:7.0 replica set")
    return (f"{image_set.name} image set{' (chosen by --auto)' if choice == 'auto' else ''} ready in "
            f"{time.monotonic() - started:.0f} s: {', '.join(image_set.all_images(jupyter))}; "
            f"MongoDB as {mongo}. `boletia lab up --runtime docker` runs it"
            + (", with JupyterLab in the network." if jupyter else
               "; JupyterLab in the network only after `boletia lab images --jupyter`."))
