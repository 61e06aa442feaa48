"""k8s/deploy.sh (shell: it cannot import the component list) waits for every workload the
component list runs on Kubernetes, and for nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from boletia.lab.components import COMPONENTS

ROOT = Path(__file__).resolve().parents[2]


def _waited_for(script: str) -> set[tuple[str, str, str]]:
    """(namespace, kind, name) of every `kubectl -n NS rollout status KIND/NAME` in the script,
    with a `for d in ...; do` loop's names put in for its variable."""
    loops = dict(re.findall(r"for (\w+) in ([^;]+); do", script))
    found = set()
    for ns, kind, name in re.findall(r'kubectl -n (\S+) rollout status "?(\w+)/([$\w-]+)"?', script):
        names = loops[name[1:]].split() if name.startswith("$") else [name]
        found |= {(ns, kind, n) for n in names}
    return found


ON_KUBERNETES = {"kafka": ("kafka", "statefulset", "kafka"), "mongo": ("mongo", "statefulset", "mongo"),
                 "connect": ("kafka", "deployment", "connect")}


def expected_workloads() -> set[tuple[str, str, str]]:
    """What the component list runs on kind: the brokers and MongoDB as StatefulSets, Connect in
    `kafka`, every other container of the lab a Deployment in `boletia` (the UI runs on the host)."""
    out = set()
    for c in COMPONENTS:
        if c.host_side:
            continue
        out.add(ON_KUBERNETES.get(c.kind, ("boletia", "deployment", c.name)))
    return out


def test_deploy_sh_waits_for_every_component_the_list_runs_on_kubernetes():
    script = (ROOT / "k8s" / "deploy.sh").read_text()
    assert _waited_for(script) == expected_workloads()


@pytest.mark.parametrize("broken", ["ses eventos reservas inventario notificaciones",
                                    "ses eventos reservas inventario notificaciones watchdog auditoria"])
def test_the_deploy_check_sees_a_list_out_of_step(broken):
    script = (ROOT / "k8s" / "deploy.sh").read_text()
    script = re.sub(r"for d in [^;]+; do", f"for d in {broken}; do", script)
    assert _waited_for(script) != expected_workloads()


def test_every_deployment_waited_for_is_in_the_manifests():
    import yaml

    docs = [d for f in sorted((ROOT / "k8s").glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
    manifests = {(d["metadata"].get("namespace"), d["kind"].lower(), d["metadata"]["name"]) for d in docs
                 if d.get("kind") in ("Deployment", "StatefulSet")}
    assert expected_workloads() <= manifests
