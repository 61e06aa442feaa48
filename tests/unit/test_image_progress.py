"""`boletia lab images` says which step a build is at, as it happens, instead of minutes of
silence: the engine's output is read line by line and each step's start is shown."""

from __future__ import annotations

import subprocess
import sys
import time

from boletia.lab.runtimes import images


def test_a_build_step_is_read_from_either_builders_output():
    assert images.build_step("Step 3/9 : RUN pip install -r requirements.lock") == \
        "step 3/9: RUN pip install -r requirements.lock"
    assert images.build_step("#7 [app 3/9] RUN pip install   --no-deps -e .") == \
        "step 3/9 (app): RUN pip install --no-deps -e ."
    assert images.build_step("#4 [2/5] COPY pom.xml /build/") == "step 2/5: COPY pom.xml /build/"
    long = images.build_step("Step 1/2 : RUN " + "x" * 200)
    assert long.endswith("…") and len(long) < 100
    for other in ("#5 [internal] load build definition from Dockerfile", " ---> Running in 3f2a",
                  "Collecting flask==3.1.2", "#7 0.512 Reading package lists...", ""):
        assert images.build_step(other) is None


def test_lines_arrive_while_the_command_runs():
    script = ("import time; print('Step 1/2 : RUN a', flush=True); time.sleep(0.6); "
              "print('Step 2/2 : RUN b', flush=True)")
    seen = []
    out = images.stream_command([sys.executable, "-c", script],
                                lambda line: seen.append((time.monotonic(), line)))
    assert out.returncode == 0 and out.stdout == "Step 1/2 : RUN a\nStep 2/2 : RUN b\n"
    assert [line for _, line in seen] == ["Step 1/2 : RUN a", "Step 2/2 : RUN b"]
    assert seen[1][0] - seen[0][0] > 0.4  # the first was handed over before the second existed


def test_a_failed_or_endless_command_keeps_its_output_as_the_error():
    out = images.stream_command([sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"],
                                lambda line: None)
    assert out.returncode == 3 and "boom" in out.stderr
    out = images.stream_command([sys.executable, "-c", "import time; time.sleep(30)"],
                                lambda line: None, timeout=0.5)
    assert out.returncode == 124 and "timed out" in out.stderr


class FakeEngine:
    """Stands in for the engine: a build prints its steps, anything else answers at once."""

    def __init__(self):
        self.calls = []

    def run(self, cmd):
        self.calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, "", "")

    def stream(self, cmd, on_line):
        self.calls.append(cmd)
        for line in ("Sending build context to Docker daemon  2.048kB", "Step 1/3 : FROM python:3.11-slim",
                     " ---> 1a2b", "Step 2/3 : RUN pip install -r requirements-core.lock", "Collecting x",
                     "Step 3/3 : COPY boletia /app/boletia"):
            on_line(line)
        return subprocess.CompletedProcess(cmd, 0, "", "")


def test_the_build_reports_each_step_as_progress(tmp_path):
    engine, shown, said = FakeEngine(), [], []
    built = images.Images(run=engine.run, stream=engine.stream, progress=shown.append,
                          report=said.append, lab_dir=tmp_path)
    built.build("official")
    app = [m for m in shown if m.startswith("build boletia:lab")]
    assert app == ["build boletia:lab", "build boletia:lab: step 1/3: FROM python:3.11-slim",
                   "build boletia:lab: step 2/3: RUN pip install -r requirements-core.lock",
                   "build boletia:lab: step 3/3: COPY boletia /app/boletia"]
    assert any(m.startswith("build boletia:lab (") for m in said)  # and its time, once done


def test_without_progress_nothing_is_streamed(tmp_path):
    engine = FakeEngine()
    images.Images(run=engine.run, stream=lambda *a: (_ for _ in ()).throw(AssertionError("streamed")),
                  lab_dir=tmp_path).build("official")
    assert any(c[:2] == ["docker", "build"] for c in engine.calls)


def test_the_cli_prints_each_step_when_its_output_is_a_log(tmp_path, monkeypatch):
    """No terminal (CI, a pipe): no spinner to update, so each step is a line of the log."""
    from typer.testing import CliRunner

    from boletia import cli

    engine, real = FakeEngine(), images.Images
    monkeypatch.setattr(images, "Images", lambda report, progress=None: real(
        run=engine.run, stream=engine.stream, report=report, progress=progress, lab_dir=tmp_path))
    out = CliRunner().invoke(cli.app, ["lab", "images", "--official"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "build boletia:lab: step 2/3: RUN pip install -r requirements-core.lock" in out.output
    assert "official image set ready" in out.output
