"""The docker and kind runtimes, as far as this machine allows without a container engine:
their files validated against the official schemas, their Dockerfiles linted, and the
commands each runtime verb would run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from boletia import config
from boletia.lab.errors import LabError
from boletia.lab.runtimes.docker import DockerRuntime, compose_file
from boletia.lab.runtimes.factory import get_runtime
from boletia.lab.runtimes.kind import KindRuntime

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_compose_file_follows_the_compose_specification():
    out = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                          str(compose_file())], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_compose_has_three_brokers_a_three_member_replica_set_and_the_same_connectors():
    import yaml

    doc = yaml.safe_load(compose_file().read_text())
    services = doc["services"]
    assert {f"kafka-{i}" for i in (1, 2, 3)} | {f"mongo-{i}" for i in (1, 2, 3)} <= set(services)
    assert services["connect"]["build"]["dockerfile"] == "connect/Dockerfile"
    assert "rs.initiate" in services["mongo-init"]["command"][0]
    assert set(("eventos", "reservas", "inventario", "notificaciones", "ses")) <= set(services)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (kustomize) not installed")
def test_kustomize_renders_objects_valid_against_the_kubernetes_schemas(tmp_path):
    rendered = subprocess.run(["kubectl", "kustomize", str(ROOT / "k8s")], capture_output=True,
                              text=True)
    assert rendered.returncode == 0, rendered.stderr
    path = tmp_path / "rendered.yaml"
    path.write_text(rendered.stdout)
    out = subprocess.run([str(BIN / "kubernetes-validate"), "--strict", "--quiet", str(path)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    kinds = [line.split(": ")[1] for line in rendered.stdout.splitlines() if line.startswith("kind: ")]
    assert kinds.count("StatefulSet") == 2 and "Ingress" in kinds and "ConfigMap" in kinds
    names = rendered.stdout
    assert "namespace: kafka" in names and "namespace: mongo" in names


def test_dockerfiles_pass_hadolint():
    out = subprocess.run([str(BIN / "hadolint"), str(ROOT / "connect" / "Dockerfile"),
                          str(ROOT / "lab-infra" / "boletia.Dockerfile")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


class Recorder:
    """Stands in for subprocess.run: records each command, answers with `stdout`."""

    def __init__(self, stdout: str = "", returncode: int = 0, stderr: str = ""):
        self.calls: list[list[str]] = []
        self.stdout, self.returncode, self.stderr = stdout, returncode, stderr

    def __call__(self, cmd):
        self.calls.append(cmd)
        return subprocess.CompletedProcess(cmd, self.returncode, self.stdout, self.stderr)

    def compose(self) -> list[list[str]]:
        """The compose arguments of each call, after `docker compose -p ... --env-file F`."""
        out = []
        for c in self.calls:
            if "compose" in c:
                i = c.index("--env-file")
                out.append(c[i + 2:])
            else:
                out.append(c)
        return out


class KubeRecorder(Recorder):
    """Answers kubectl as a running cluster would, by what is asked."""

    def __call__(self, cmd):
        self.calls.append(cmd)
        line = " ".join(cmd)
        out = ("dG9rZW4tb2YtdGhlLWNsdXN0ZXI=" if ".data.token" in line else
               "fixed" if ".data.BOLETIA_DESIGN" in line else
               json.dumps({"items": [{"metadata": {"namespace": "boletia", "name": "inventario-x",
                                                   "labels": {"app": "inventario"}},
                                      "status": {"phase": "Running"}}]}) if "pods" in cmd else "")
        return subprocess.CompletedProcess(cmd, 0, out, "")


@pytest.fixture
def settings(tmp_path):
    return config.Settings(lab_dir=tmp_path / "lab")


def test_docker_verbs_are_compose_commands(settings):
    rec = Recorder()
    rt = DockerRuntime(run=rec, settings=settings)
    rt.kill("kafka-2")
    rt.pause("inventario")
    rt.resume("inventario")
    rt.restart("connect")
    rt.crash_consumer("inventario", 2, "boletia.reservas")
    rt.disconnect("mongo-1")
    calls = rec.compose()
    assert calls[0] == ["kill", "kafka-2"]
    assert calls[1] == ["pause", "inventario"]
    assert calls[2] == ["unpause", "inventario"]
    assert calls[3] == ["restart", "connect"]
    assert calls[4] == ["exec", "-T", "inventario", "boletia", "lab", "arm", "inventario", "crash",
                        "2", "--topic", "boletia.reservas"]
    assert calls[5] == ["docker", "network", "disconnect", "boletia_default", "boletia-mongo-1-1"]
    first = rec.calls[0]
    assert first[:3] == ["env", "BOLETIA_DESIGN=fixed", f"BOLETIA_SECRETS_DIR={rt.dir}"]
    assert first[first.index("-f") + 1] == str(compose_file())


def test_docker_secrets_are_generated_private_and_the_design_is_its_own(settings):
    rt = DockerRuntime(run=Recorder(), settings=settings)
    token = rt.admin_token()
    assert len(token) >= 24 and token == DockerRuntime(settings=settings).admin_token()
    for name in ("secrets.env", "mongo-keyfile"):
        assert (rt.dir / name).stat().st_mode & 0o777 == 0o600
    assert "root:" in rt.settings.mongo_uri and "authSource=admin" in rt.settings.mongo_uri
    rt.set_design("seed")
    assert rt.design() == "seed" and DockerRuntime(settings=settings).design() == "seed"


def test_docker_status_reads_compose_ps(settings):
    rows = [{"Service": "kafka-1", "State": "running"}, {"Service": "eventos", "State": "paused"}]
    rt = DockerRuntime(run=Recorder("\n".join(json.dumps(r) for r in rows)), settings=settings)
    states = {s.name: s.state for s in rt.status()}
    assert states["kafka-1"] == "running" and states["eventos"] == "paused"
    assert states["mongo-2"] == "stopped"


def test_docker_without_an_engine_says_so(settings):
    rt = DockerRuntime(run=Recorder(returncode=1, stderr="Cannot connect to the Docker daemon"),
                       settings=settings)
    with pytest.raises(LabError, match="no usable Docker engine"):
        rt.up()
    with pytest.raises(LabError, match="unknown component"):
        rt.kill("zookeeper")


def test_kind_verbs_are_kubectl_commands(settings):
    rec = Recorder()
    rt = KindRuntime(run=rec, settings=settings)
    rt.kill("kafka-2")
    rt.pause("notificaciones")
    rt.restart("connect")
    rt.crash_consumer("notificaciones", 3)
    ctx = ["kubectl", "--context", "kind-boletia", "--request-timeout=60s"]
    assert rec.calls[0] == [*ctx, "-n", "kafka", "delete", "pod/kafka-1", "--grace-period=0", "--force"]
    assert rec.calls[1] == [*ctx, "-n", "boletia", "scale", "deployment/notificaciones", "--replicas=0"]
    assert rec.calls[2] == [*ctx, "-n", "kafka", "rollout", "restart", "deployment/connect"]
    assert rec.calls[3] == [*ctx, "-n", "boletia", "exec", "deployment/notificaciones", "--",
                            "boletia", "lab", "arm", "notificaciones", "crash", "3"]
    with pytest.raises(LabError, match="cannot freeze"):
        rt.pause("mongo-1")


def test_every_runtime_is_reachable_by_name():
    assert get_runtime("docker").name == "docker"
    assert get_runtime("kind").name == "kind"
    with pytest.raises(LabError, match="unknown runtime"):
        get_runtime("podman")


# ---------------------------------------------------------------- every CLI verb, every runtime
VERBS = [
    (["lab", "status", "--json"], None),
    (["lab", "logs", "inventario", "-n", "5"], "logs"),
    (["lab", "kill", "kafka-1"], "kill|delete"),
    (["lab", "pause", "connect"], None),
    (["lab", "resume", "connect"], None),
    (["lab", "restart", "connect"], None),
    (["lab", "token"], None),
    (["lab", "design", "seed"], None),
    (["lab", "crash", "inventario", "--times", "2"], "crash"),
    (["lab", "slow", "notificaciones", "0.5"], "delay"),
    (["lab", "fail-writes", "3", "--service", "inventario"], None),
    (["lab", "clear-faults"], None),
]


@pytest.mark.parametrize("runtime", ["docker", "kind"])
@pytest.mark.parametrize("args,expect", VERBS, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_every_cli_verb_runs_its_command_or_says_why_not(runtime, args, expect, settings, monkeypatch):
    """Against each container runtime's command layer (a recorder stands in for docker and
    kubectl): the verb runs a command, or fails with a message naming what to use instead —
    never an AttributeError or a traceback."""
    from typer.testing import CliRunner

    from boletia import cli

    rec = KubeRecorder() if runtime == "kind" else Recorder()
    made = {"docker": lambda: DockerRuntime(run=rec, settings=settings),
            "kind": lambda: KindRuntime(run=rec, settings=settings)}
    monkeypatch.setattr(cli, "get_runtime", lambda name: made[name]())
    if "fail-writes" in args or "clear-faults" in args:  # they reach MongoDB: none here
        from boletia.adapters import mongo
        monkeypatch.setattr(mongo, "fail_next_writes", lambda *a, **k: None)
        monkeypatch.setattr(mongo, "clear_fail_points", lambda *a, **k: None)
    result = CliRunner().invoke(cli.app, [*args, "--runtime", runtime])
    text = result.output + (str(result.exception) if result.exception else "")
    assert "Traceback" not in text and not isinstance(result.exception, AttributeError), text
    if result.exit_code != 0:
        assert "error:" in result.output and runtime in result.output, text
    elif expect:
        assert any(word in " ".join(c) for c in rec.calls for word in expect.split("|")), rec.calls


def _worker_settings(text: str) -> dict[str, str]:
    lines = (line.strip() for line in text.splitlines())
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {k: v for k, v in pairs}


def test_every_runtime_configures_connect_workers_alike():
    """Three copies of the worker config (local template, compose image, Kubernetes
    ConfigMap) differ only in addresses and paths, never in behaviour."""
    import yaml

    local = _worker_settings((ROOT / "lab-infra/templates/connect-distributed.properties").read_text())
    compose = _worker_settings((ROOT / "connect/connect-distributed.properties").read_text())
    config_map = next(d for d in yaml.safe_load_all((ROOT / "k8s/connect.yaml").read_text())
                      if d["kind"] == "ConfigMap")
    k8s = _worker_settings(config_map["data"]["connect-distributed.properties"])
    where = {"bootstrap.servers", "listeners", "plugin.path",
             "rest.advertised.host.name", "rest.advertised.port"}
    for other in (compose, k8s):
        assert {k: v for k, v in other.items() if k not in where} == \
            {k: v for k, v in local.items() if k not in where}
    assert local["consumer.session.timeout.ms"] == "10000"
