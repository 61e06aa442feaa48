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

from boletia.lab.errors import LabError
from boletia.lab.runtimes.docker import COMPOSE_FILE, DockerRuntime
from boletia.lab.runtimes.factory import get_runtime
from boletia.lab.runtimes.kind import KindRuntime

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_compose_file_follows_the_compose_specification():
    out = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                          str(COMPOSE_FILE)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_compose_has_three_brokers_a_three_member_replica_set_and_the_same_connectors():
    import yaml

    doc = yaml.safe_load(COMPOSE_FILE.read_text())
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


def test_docker_verbs_are_compose_commands():
    rec = Recorder()
    rt = DockerRuntime(run=rec)
    rt.kill("kafka-2")
    rt.pause("inventario")
    rt.resume("inventario")
    rt.restart("connect")
    rt.disconnect("mongo-1")
    compose = ["docker", "compose", "-p", "boletia", "-f", str(COMPOSE_FILE)]
    assert rec.calls[0] == [*compose, "kill", "kafka-2"]
    assert rec.calls[1] == [*compose, "pause", "inventario"]
    assert rec.calls[2] == [*compose, "unpause", "inventario"]
    assert rec.calls[3] == [*compose, "restart", "connect"]
    assert rec.calls[4] == ["docker", "network", "disconnect", "boletia_default", "boletia-mongo-1-1"]


def test_docker_status_reads_compose_ps():
    rows = [{"Service": "kafka-1", "State": "running"}, {"Service": "eventos", "State": "paused"}]
    rt = DockerRuntime(run=Recorder("\n".join(json.dumps(r) for r in rows)))
    states = {s.name: s.state for s in rt.status()}
    assert states["kafka-1"] == "running" and states["eventos"] == "paused"
    assert states["mongo-2"] == "stopped"


def test_docker_without_an_engine_says_so():
    rt = DockerRuntime(run=Recorder(returncode=1, stderr="Cannot connect to the Docker daemon"))
    with pytest.raises(LabError, match="no usable Docker engine"):
        rt.up()
    with pytest.raises(LabError, match="unknown component"):
        rt.kill("zookeeper")


def test_kind_verbs_are_kubectl_commands():
    rec = Recorder()
    rt = KindRuntime(run=rec)
    rt.kill("kafka-2")
    rt.pause("notificaciones")
    rt.restart("connect")
    ctx = ["kubectl", "--context", "kind-boletia"]
    assert rec.calls[0] == [*ctx, "-n", "kafka", "delete", "pod/kafka-1", "--grace-period=0", "--force"]
    assert rec.calls[1] == [*ctx, "-n", "boletia", "scale", "deployment/notificaciones", "--replicas=0"]
    assert rec.calls[2] == [*ctx, "-n", "kafka", "rollout", "restart", "deployment/connect"]
    with pytest.raises(LabError, match="cannot freeze"):
        rt.pause("mongo-1")


def test_every_runtime_is_reachable_by_name():
    assert get_runtime("docker").name == "docker"
    assert get_runtime("kind").name == "kind"
    with pytest.raises(LabError, match="unknown runtime"):
        get_runtime("podman")


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
