"""A student's code, run in a sandbox: Debian's `bubblewrap`, one small worker process per loaded
submission, spoken to over a pipe.

Why bubblewrap and not the docker engine: the student's three decisions are pure functions, so
the sandbox needs no service, no image and no network, only a process that cannot see or reach
anything. bwrap starts one in ~0.2 s on the lab's own interpreter (the lab's consumers start one
each when they load a student design), works where the local lab works (no daemon, no root
needed), and its rules are one command line that a unit test can read. Docker would add a daemon,
an image build and a network to configure, on the machine whose two cores the lab already fills.

What a worker gets, and what it does not:
- files: the interpreter, the virtual environment and the `boletia` package, read-only; its own
  submission, read-only; one scratch folder, writable; a private /tmp. Not the instructor's home,
  tokens, the lab's state, the `instructor/` folder or any other submission: they are not mounted.
- network: none. It has its own network namespace with only a loopback on which nothing listens;
  the lab's writes are carried out by the (trusted) caller from the values the functions return,
  so "no network beyond the lab" is achieved as "no network at all".
- processes: its own pid namespace, at most NPROC processes (a fork bomb meets EAGAIN), an
  address space of MEMORY bytes, CPU seconds, and TIMEOUT seconds of wall time per call (then the
  worker is killed and the call raises `SandboxError`; the next call starts a new worker). The
  worker's start and the submission's import have their own bound, STARTUP: the worker says
  "ready" once loaded, and a call's TIMEOUT counts from there (on a loaded machine the start
  alone took more than a 3 s call bound).
  When run as root, it also drops to the unprivileged uid SANDBOX_UID, because the kernel does
  not apply the process limit to root.

The wire: one JSON line per call and per answer (bson's extended JSON, the decision dataclasses
tagged by name and rebuilt from a fixed list). Never pickle: the caller must not run what the
sandbox sends back.
"""

from __future__ import annotations

import dataclasses
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bson import json_util

from boletia.domain import decisions
from boletia.lab.errors import LabError

SANDBOX_UID = 64000          # an unnamed, unprivileged uid (root only: the nproc limit needs it)
NPROC, MEMORY, CPU_SECONDS, TIMEOUT = 48, 1 << 30, 120, 5.0
STARTUP = 30.0   # the worker's start and the submission's import, apart from each call's TIMEOUT
MAX_LINE = 1 << 20
RULES = ("refund", "booking_in", "email_ledger")
WRITES = {c.__name__: c for c in (decisions.FindAndModify, decisions.InsertOne,
                                  decisions.UpdateMany, decisions.Transaction)}
INSTALL = "apt-get install bubblewrap (Debian/Ubuntu), or dnf install bubblewrap"


class SandboxError(RuntimeError):
    """The sandboxed code did not answer: killed for its time or memory, or died."""


# ---------------------------------------------------------------- the wire
def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and type(value).__name__ in WRITES:
        return {"$write": type(value).__name__,
                **{f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def encode(value: Any) -> str:
    return json_util.dumps(_plain(value), json_options=json_util.CANONICAL_JSON_OPTIONS)


def _rebuild(value: Any) -> Any:
    if isinstance(value, dict):
        value = {k: _rebuild(v) for k, v in value.items()}
        kind = value.pop("$write", None)
        if kind is None:
            return value
        if kind not in WRITES:
            raise ValueError(f"not a write: {kind!r}")
        if kind == "Transaction":
            return decisions.Transaction(tuple(value["writes"]))
        return WRITES[kind](**value)
    if isinstance(value, list):
        return [_rebuild(v) for v in value]
    return value


def decode(text: str) -> Any:
    return _rebuild(json_util.loads(text))


# ---------------------------------------------------------------- the command
def command(python: str, submission: Path, scratch: Path, as_root: bool,
            nproc: int = NPROC) -> list[str]:
    """The worker's command line: limits, then bwrap's mounts and namespaces, then (as root)
    the drop to SANDBOX_UID, then the worker."""
    py = Path(python)
    venv = py.parent.parent
    real = Path(os.path.realpath(py)).parent.parent      # the interpreter's own prefix
    package = Path(__file__).resolve().parents[2]          # boletia/
    binds = [(real, "ro"), (venv, "ro"), (package, "ro"), (submission.parent, "ro"), (scratch, "rw")]
    argv = ["prlimit", f"--nproc={nproc}", f"--as={MEMORY}", f"--cpu={CPU_SECONDS}", "--",
            "bwrap", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    if not as_root:
        argv.append("--unshare-user")
    for system in ("/usr", "/lib", "/bin"):
        argv += ["--ro-bind", system, system]
    argv += ["--ro-bind-try", "/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    parents = sorted({str(p) for path, _ in binds for p in Path(path).parents if str(p) != "/"},
                     key=lambda p: p.count("/"))
    for parent in parents:   # mount points bwrap would otherwise make 0700 (unreadable to the uid)
        argv += ["--perms", "0755", "--dir", parent]
    for path, mode in binds:
        argv += ["--ro-bind" if mode == "ro" else "--bind", str(path), str(path)]
    argv += ["--chdir", str(scratch),
             "--clearenv", "--setenv", "HOME", str(scratch), "--setenv", "PATH", "/usr/bin:/bin",
             "--setenv", "PYTHONDONTWRITEBYTECODE", "1"]
    if as_root:
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                 "setpriv", f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all"]
    return [*argv, "--", str(py), "-I", "-m", "boletia.lab.student.sandbox", str(submission)]


def available() -> None:
    missing = [tool for tool in ("bwrap", "prlimit", "setpriv") if shutil.which(tool) is None]
    if missing:
        raise LabError(f"grading runs each submission in a sandbox, and {', '.join(missing)} is "
                       f"missing: {INSTALL} (prlimit and setpriv come with util-linux)")


def _own_processes() -> int:
    uid = os.getuid()
    return sum(1 for p in Path("/proc").iterdir() if p.name.isdigit() and _uid(p) == uid)


def _uid(proc: Path) -> int:
    try:
        return proc.stat().st_uid
    except OSError:
        return -1


# ---------------------------------------------------------------- the caller's side
class Sandboxed:
    """A submission behind a sandbox: `module()` gives an object with its three functions,
    each a call into the worker. The worker starts at the first call (so the file is read
    afresh by every new `Sandboxed`) and again after a call killed it."""

    def __init__(self, submission: Path, scratch: Path, timeout: float = TIMEOUT, stderr=None,
                 startup: float = STARTUP):
        available()
        self.submission, self.scratch = Path(submission).resolve(), Path(scratch).resolve()
        self.timeout, self.stderr, self.startup = timeout, stderr, startup
        self.incidents: list[str] = []    # what the sandbox stopped: timeouts, deaths
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()     # a consumer may call from more than one thread

    def _start(self) -> subprocess.Popen:
        self.scratch.mkdir(parents=True, exist_ok=True)
        as_root = os.geteuid() == 0
        if as_root:
            os.chown(self.scratch, SANDBOX_UID, SANDBOX_UID)
        nproc = NPROC if as_root else _own_processes() + NPROC
        proc = subprocess.Popen(command(sys.executable, self.submission, self.scratch, as_root, nproc),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                start_new_session=True)
        # the worker says when it has loaded the submission: a call's TIMEOUT starts after that
        # (on a loaded machine the interpreter's start alone took more than 3 s)
        ready, _, _ = select.select([proc.stdout], [], [], self.startup)
        if not (ready and proc.stdout.readline(MAX_LINE) == b'{"ready": true}\n'):
            self._proc = proc
            self._kill()
            why = f"the sandbox's worker did not start within {self.startup:g} s (the file's import ran on?)"
            self.incidents.append(why)
            raise SandboxError(why)
        return proc

    def call(self, name: str, *args: Any, on_request: Callable[[dict], dict] | None = None) -> Any:
        """Call the submission's `name`. While it runs, the worker may ask the caller to act for
        it (`{"call": ...}` lines: a student's consumer loop asking the lab's Kafka object):
        `on_request` answers each; the timeout counts the worker's own time only."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = self._start()
            proc = self._proc
            try:
                proc.stdin.write((encode({"fn": name, "args": list(args)}) + "\n").encode())
                proc.stdin.flush()
                while True:
                    ready, _, _ = select.select([proc.stdout], [], [], self.timeout)
                    line = proc.stdout.readline(MAX_LINE) if ready else b""
                    if not (on_request and line.startswith(b'{"call"')):
                        break
                    proc.stdin.write((json.dumps(on_request(json.loads(line))) + "\n").encode())
                    proc.stdin.flush()
            except OSError:
                line = b""
            if ready and not line:   # the worker closed its end: it is dying
                try:
                    proc.wait(2)
                except subprocess.TimeoutExpired:
                    pass
            if not line.endswith(b"\n"):
                why = (f"{name} did not answer within {self.timeout:g} s" if proc.poll() is None
                       else f"{name}: the sandbox's worker died (exit {proc.returncode}: out of "
                            "memory, CPU time or processes?)")
                self._kill()
                self.incidents.append(why)
                raise SandboxError(why)
        answer = decode(line.decode())
        if "error" in answer:
            raise StudentError(answer["error"])
        return answer["value"]

    def function(self, name: str):
        def call(*args):
            return self.call(name, *args)
        call.__name__ = name
        return call

    def module(self, names: tuple[str, ...] = RULES) -> SimpleNamespace:
        return SimpleNamespace(**{name: self.function(name) for name in names},
                               __file__=str(self.submission))

    def _kill(self) -> None:
        if self._proc is not None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._proc.wait()
            self._proc = None

    def close(self) -> None:
        with self._lock:
            self._kill()


# inside the worker: (answers, requests), for code that asks the caller mid-call (`Sandboxed.call`)
CHANNEL: tuple | None = None


class StudentError(Exception):
    """The student's function raised (the worker says which exception, with its message)."""


# ---------------------------------------------------------------- the worker (inside)
def serve(submission: str) -> None:
    """Load the submission once, answer calls until stdin closes. The student's prints go to
    stderr: stdout carries the answers only."""
    global CHANNEL
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    CHANNEL = (answers, sys.stdin)
    from boletia.lab.student import sandbox as named  # this file runs as __main__: the same
    named.CHANNEL = CHANNEL                           # channel for code that imports it by name
    try:
        from boletia.designs import student
        module, broken = student.load(Path(submission)), None
    except BaseException as exc:  # noqa: BLE001 - a broken file is the answer to every call
        module, broken = None, f"{type(exc).__name__}: {exc}"
    me = os.getpid()
    answers.write('{"ready": true}\n')
    answers.flush()
    for line in sys.stdin:
        request = decode(line)
        try:
            if broken:
                raise StudentError(f"your file did not load: {broken}")
            value = getattr(module, request["fn"])(*request["args"])
            answer = encode({"value": value})
        except BaseException as exc:  # noqa: BLE001 - the student's exception is the answer
            answer = json.dumps({"error": f"{type(exc).__name__}: {exc}"[:2000]})
        if os.getpid() != me:   # a process the student's code forked: it never answers
            os._exit(0)
        answers.write(answer + "\n")
        answers.flush()


if __name__ == "__main__":
    serve(sys.argv[1])
