"""The kind runtime: the lab on Kubernetes as the seed deploys it (k8s/, namespaces kafka and
mongo), driven with kubectl. `up` runs k8s/deploy.sh (the seed's comandos.bat).

Kubernetes has no SIGSTOP: `pause` scales a Deployment to 0 and `resume` back to 1; for the
StatefulSets (brokers, MongoDB members) `kill` deletes the pod and the StatefulSet recreates it.
"""

from __future__ import annotations

import json
import shutil

from boletia import config
from boletia.lab.components import APPS
from boletia.lab.errors import LabError
from boletia.lab.runtimes.port import ComponentStatus
from boletia.lab.runtimes.shell import Runner, run_command

DEPLOY = config.REPO_ROOT / "k8s" / "deploy.sh"
CLUSTER = "boletia"
# component: (namespace, pod name or deployment, kind)
COMPONENTS = {
    **{f"kafka-{i + 1}": ("kafka", f"pod/kafka-{i}", "kafka") for i in range(3)},
    **{f"mongo-{i + 1}": ("mongo", f"pod/mongo-{i}", "mongo") for i in range(3)},
    "connect": ("kafka", "deployment/connect", "connect"),
    "ses": ("boletia", "deployment/ses", "ses"),
    "eventos": ("boletia", "deployment/eventos", "service"),
    "reservas": ("boletia", "deployment/reservas", "service"),
    "inventario": ("boletia", "deployment/inventario", "consumer"),
    "notificaciones": ("boletia", "deployment/notificaciones", "consumer"),
}


class KindRuntime:
    name = "kind"

    def __init__(self, run: Runner | None = None):
        self.run = run or run_command

    def _check(self, cmd: list[str]) -> str:
        if self.run is run_command and shutil.which(cmd[0]) is None:
            raise LabError(f"the kind runtime needs `{cmd[0]}` (not found); install docker, kind "
                           "and kubectl, or use --runtime local")
        out = self.run(cmd)
        if out.returncode != 0:
            raise LabError(f"`{' '.join(cmd)}` failed:\n{(out.stderr or out.stdout).strip()[-1500:]}")
        return out.stdout

    def _kubectl(self, *args: str) -> str:
        return self._check(["kubectl", "--context", f"kind-{CLUSTER}", *args])

    def _target(self, component: str) -> tuple[str, str, str]:
        if component not in COMPONENTS:
            raise LabError(f"unknown component {component!r}; components: {', '.join(COMPONENTS)}")
        return COMPONENTS[component]

    # ------------------------------------------------------------------ interface
    def components(self) -> list[str]:
        return list(COMPONENTS)

    def design(self) -> str:
        out = self._kubectl("-n", "boletia", "get", "configmap", "boletia-env",
                            "-o", "jsonpath={.data.BOLETIA_DESIGN}")
        return out.strip() or "fixed"

    def admin_token(self) -> str:
        import base64
        out = self._kubectl("-n", "boletia", "get", "secret", "boletia-admin",
                            "-o", "jsonpath={.data.BOLETIA_ADMIN_TOKEN}")
        return base64.b64decode(out).decode()

    def up(self, report=lambda m: None, design: str | None = None) -> list[ComponentStatus]:
        report("k8s/deploy.sh: kind cluster, images, manifests (first run takes minutes)")
        self._check(["bash", str(DEPLOY)])
        if design:
            self.set_design(design)
        return self.status()

    def down(self, purge: bool = False, report=lambda m: None) -> None:
        if purge:
            self._check(["kind", "delete", "cluster", "--name", CLUSTER])
        else:
            self._kubectl("delete", "-k", str(config.REPO_ROOT / "k8s"), "--ignore-not-found")

    def status(self) -> list[ComponentStatus]:
        pods = json.loads(self._kubectl("get", "pods", "-A", "-o", "json")).get("items", [])
        result = []
        for name, (ns, target, kind) in COMPONENTS.items():
            kind_, obj = target.split("/")
            mine = [p for p in pods if p["metadata"]["namespace"] == ns and (
                p["metadata"]["name"] == obj if kind_ == "pod"
                else p["metadata"].get("labels", {}).get("app") == obj)]
            running = any(p["status"].get("phase") == "Running" for p in mine)
            result.append(ComponentStatus(name=name, kind=kind, state="running" if running else "stopped",
                                          connection=f"{target} -n {ns}",
                                          log=f"kubectl logs -n {ns} {target}"))
        return result

    def logs(self, component: str, lines: int = 50) -> str:
        ns, target, _ = self._target(component)
        return self._kubectl("-n", ns, "logs", target, f"--tail={lines}")

    def kill(self, component: str) -> None:
        ns, target, _ = self._target(component)
        if target.startswith("pod/"):
            self._kubectl("-n", ns, "delete", target, "--grace-period=0", "--force")
        else:
            self._kubectl("-n", ns, "delete", "pod", "-l", f"app={target.split('/')[1]}",
                          "--grace-period=0", "--force")

    def pause(self, component: str) -> None:
        ns, target, _ = self._target(component)
        if not target.startswith("deployment/"):
            raise LabError(f"{component} is a StatefulSet pod: Kubernetes cannot freeze it; "
                           f"use `kill` (the pod is recreated) instead")
        self._kubectl("-n", ns, "scale", target, "--replicas=0")

    def resume(self, component: str) -> None:
        ns, target, _ = self._target(component)
        if target.startswith("deployment/"):
            self._kubectl("-n", ns, "scale", target, "--replicas=1")

    def restart(self, component: str) -> None:
        ns, target, _ = self._target(component)
        if target.startswith("deployment/"):
            self._kubectl("-n", ns, "rollout", "restart", target)
        else:
            self.kill(component)

    def start(self, component: str) -> None:
        self.resume(component)

    def set_design(self, design: str, report=lambda m: None) -> None:
        if design not in config.DESIGNS:
            raise LabError(f"unknown design {design!r}; choose one of: {', '.join(config.DESIGNS)}")
        self._kubectl("-n", "boletia", "patch", "configmap", "boletia-env", "--type", "merge",
                      "-p", json.dumps({"data": {"BOLETIA_DESIGN": design}}))
        for app in APPS:  # pods read the ConfigMap at start
            self._kubectl("-n", "boletia", "rollout", "restart", f"deployment/{app}")
        self._kubectl("-n", "boletia", "rollout", "status", "deployment/eventos", "--timeout=300s")
        # the connectors of the design, registered from inside the cluster
        self._kubectl("-n", "boletia", "exec", "deployment/eventos", "--",
                      "boletia", "lab", "bootstrap")
