"""The student's path, as the README gives it: `boletia notebooks` (JupyterLab, as root too)
serves the five lessons, and a kernel started by that server (the one a student
gets on opening a notebook) imports the package and sees the running lab."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from jupyter_client import BlockingKernelClient

pytestmark = pytest.mark.integration
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyter(tmp_path):
    port, token = _free_port(), secrets.token_hex(16)
    proc = subprocess.Popen(  # the README's command, with a free port and a known token
        [str(Path(sys.executable).parent / "boletia"), "notebooks", f"--port={port}",
         f"--IdentityProvider.token={token}"],
        env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path)},
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "jupyter.log").open("wb"))
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"token {token}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/api/status", headers=headers, timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("jupyter lab did not start:\n" + (tmp_path / "jupyter.log").read_text())
            time.sleep(0.5)
        yield url, headers, tmp_path
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_jupyterlab_serves_the_lessons_and_its_kernel_reaches_the_lab(lab, jupyter):
    url, headers, runtime_dir = jupyter
    assert requests.get(f"{url}/lab", headers=headers, timeout=30).status_code == 200
    root = requests.get(f"{url}/api/contents", headers=headers, timeout=10).json()["content"]
    assert {"notebooks", "docs", "boletia"} <= {c["name"] for c in root}  # the repository's root
    listed = requests.get(f"{url}/api/contents/notebooks", headers=headers, timeout=10).json()["content"]
    lessons = sorted(c["name"] for c in listed if c["type"] == "notebook")
    assert lessons == sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    assert len(lessons) >= 8

    kernel = requests.post(f"{url}/api/kernels", headers=headers, json={"name": "python3"},
                           timeout=60).json()
    try:
        client = BlockingKernelClient()
        client.load_connection_file(str(runtime_dir / f"kernel-{kernel['id']}.json"))
        # no heartbeat channel: with one, a client that does not own the kernel calls it dead
        # when it has not beaten yet (seen on a loaded machine, a kernel still importing); the
        # kernel_info reply within the timeout is the proof it runs
        client.start_channels(hb=False)
        client.wait_for_ready(timeout=60)
        out = []
        code = ("from boletia.lab.runtimes.factory import get_runtime\n"
                "import json\n"
                "print(json.dumps({s.name: s.state for s in get_runtime('local').status()}))")
        reply = client.execute_interactive(
            code, timeout=60,
            output_hook=lambda m: out.append(m["content"].get("text", ""))
            if m["msg_type"] == "stream" else None)
        client.stop_channels()
        assert reply["content"]["status"] == "ok", reply["content"]
        states = json.loads("".join(out))
        assert set(states.values()) == {"running"}, states
    finally:
        requests.delete(f"{url}/api/kernels/{kernel['id']}", headers=headers, timeout=30)
