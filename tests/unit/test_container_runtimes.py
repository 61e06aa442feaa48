"""The docker and kind runtimes, as far as this machine allows without a container engine:
their files validated against the official schemas, their Dockerfiles linted, the commands
each runtime verb would run and, on docker, the calls it makes to the Docker SDK (a fake
engine, injected as the runtime's `engine`, records them)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import docker.errors
import pytest

from boletia import config
from boletia.lab.errors import LabError
from boletia.lab.runtimes import host_tools, images
from boletia.lab.runtimes.docker import ONE_MEMBER, DockerRuntime, compose_file
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


DOCKERFILES = [ROOT / "connect" / "Dockerfile", ROOT / "lab-infra" / "boletia.Dockerfile",
               *sorted((ROOT / "lab-infra" / "images").glob("*.Dockerfile"))]


def test_dockerfiles_pass_hadolint():
    assert len(DOCKERFILES) == 6, DOCKERFILES  # connect, boletia, and maven/python/kafka/secantusdb
    out = subprocess.run([str(BIN / "hadolint"), *map(str, DOCKERFILES)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_dockerfiles_take_their_base_images_as_build_arguments():
    """By default the official images a user pulls; the offline set passes its own."""
    defaults = {"connect/Dockerfile": {"MAVEN_IMAGE": "maven:3.9-eclipse-temurin-17",
                                       "KAFKA_IMAGE": "apache/kafka:4.1.1"},
                "lab-infra/boletia.Dockerfile": {"PYTHON_IMAGE": "python:3.11-slim"},
                "lab-infra/images/secantusdb.Dockerfile": {"PYTHON_IMAGE": "python:3.11-slim"}}
    for rel, args in defaults.items():
        text = (ROOT / rel).read_text()
        for arg, image in args.items():
            assert f"ARG {arg}={image}\n" in text and f"FROM ${{{arg}}}" in text, (rel, arg)
    for build in images.OFFLINE.builds:  # every offline image is built FROM the set's own images
        assert set(build.args) - {"PIN_OVERRIDES"} <= {"BASE_IMAGE", "MAVEN_IMAGE", "KAFKA_IMAGE",
                                                       "PYTHON_IMAGE"}
        for arg, image in build.args.items():
            if arg != "PIN_OVERRIDES":
                assert image.startswith("boletia-"), (build.tag, arg, image)


def test_the_staged_build_context_holds_what_the_dockerfiles_copy_and_nothing_big(tmp_path):
    context = images.stage_context(ROOT, tmp_path / "context")
    for dockerfile in DOCKERFILES:
        for line in dockerfile.read_text().splitlines():
            if line.startswith("COPY ") and "--from=" not in line:
                for src in line.split()[1:-1]:
                    assert (context / src).exists(), f"{dockerfile.name}: {src} is not in the context"
    for big in (".venv", ".lab", ".git", "lab-infra/target", "notebooks/executed"):
        assert not (context / big).exists(), big
    assert not list(context.rglob("__pycache__"))


class Recorder:
    """Stands in for subprocess.run: records each command, answers with `stdout`."""

    def __init__(self, stdout: str = "", returncode: int = 0, stderr: str = ""):
        self.calls: list[list[str]] = []
        self.stdout, self.returncode, self.stderr = stdout, returncode, stderr

    def __call__(self, cmd):
        self.calls.append(cmd)
        return subprocess.CompletedProcess(cmd, self.returncode, self.stdout, self.stderr)

    def compose(self) -> list[list[str]]:
        """The compose arguments of each call, after `docker compose -p ... --env-file F ...`."""
        out = []
        for c in self.calls:
            if "compose" in c:
                i = max(i for i, a in enumerate(c) if a == "--env-file")
                out.append(c[i + 2:])
            else:
                out.append(c)
        return out


class FakeContainer:
    """A container as the Docker SDK returns it: its compose labels, state and operations."""

    def __init__(self, engine: FakeEngine, service: str, status: str, health: str | None = None):
        self.engine, self.service, self.status = engine, service, status
        self.labels = {"com.docker.compose.project": "boletia", "com.docker.compose.service": service}
        self.attrs = {"State": {"Status": status, **({"Health": {"Status": health}} if health else {})}}

    def _do(self, verb: str, *rest):
        self.engine.record(["sdk", verb, self.service, *rest])
        if verb in self.engine.refuse:
            raise self.engine.refuse[verb]

    def kill(self):
        self._do("kill")

    def pause(self):
        self._do("pause")

    def unpause(self):
        self._do("unpause")

    def restart(self):
        self._do("restart")

    def start(self):
        self._do("start")

    def exec_run(self, cmd, stdout=True, stderr=True, demux=False):
        self._do("exec", *cmd)
        code, out, err = self.engine.exec_answer
        return docker.models.containers.ExecResult(code, (out, err) if demux else out + err)

    def logs(self, **options):
        self._do("logs", json.dumps(options, sort_keys=True))
        return self.engine.log_answer


class FakeEngine:
    """The Docker SDK's client: `containers.list` by compose labels, `networks.get`; every call
    recorded in `rec.calls` (beside the runtime's command lines) as ["sdk", verb, service, ...].
    `states`: service -> container state for a listing of the whole lab (a single service asked
    for is found running unless named here); `refuse`: verb -> the exception the engine raises."""

    def __init__(self, rec: Recorder | None = None, states: dict[str, str] | None = None,
                 health: dict[str, str] | None = None, refuse: dict[str, Exception] | None = None,
                 exec_answer: tuple[int | None, bytes, bytes] = (0, b"", b""),
                 log_answer: bytes = b"one\ntwo\nthree\n"):
        self.rec = rec if rec is not None else Recorder()
        self.log_answer = log_answer
        self.states, self.health = states, health or {}
        self.refuse, self.exec_answer = refuse or {}, exec_answer
        self.containers, self.networks = self, self

    def __call__(self):  # the runtime's factory
        return self

    def record(self, call: list[str]):
        self.rec.calls.append(call)

    def list(self, all=False, filters=None):
        labels = dict(x.split("=", 1) for x in filters["label"])
        assert labels["com.docker.compose.project"] == "boletia" and all
        service = labels.get("com.docker.compose.service")
        if service is None:
            return [FakeContainer(self, n, s, self.health.get(n)) for n, s in (self.states or {}).items()]
        status = (self.states or {}).get(service, "running" if self.states is None else None)
        return [FakeContainer(self, service, status, self.health.get(service))] if status else []

    def get(self, network: str):
        engine = self

        class Network:
            def disconnect(self, container):
                engine.record(["sdk", "network-disconnect", network, container.service])

            def connect(self, container):
                engine.record(["sdk", "network-connect", network, container.service])
        return Network()


def docker_runtime(rec: Recorder | None = None, engine: FakeEngine | None = None, **options) -> DockerRuntime:
    """A docker runtime whose command lines go to `rec` and SDK calls to a fake engine."""
    rec = rec if rec is not None else Recorder()
    return DockerRuntime(run=rec, engine=engine or FakeEngine(rec), **options)


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


@pytest.fixture(autouse=True)
def ui_started(monkeypatch):
    """No process is started by a unit test: `up` starting the control room is recorded."""
    calls = []
    monkeypatch.setattr(host_tools, "start_ui", lambda folder, runtime, port, lab_dir, report=None:
                        calls.append((runtime, port, folder)) or True)
    return calls


@pytest.fixture(autouse=True)
def group_calls(monkeypatch):
    """No unit test reaches Kafka: the groups a design switch empties are recorded, each listing
    one member left by the stopped containers."""
    from boletia.adapters import kafka

    calls = []
    monkeypatch.setattr(kafka, "group_members", lambda bootstrap, names: {
        g: [{"instance": f"{g}-old-1"}] for g in names})
    monkeypatch.setattr(kafka, "remove_static_members",
                        lambda bootstrap, group, instances: calls.append((group, instances)))
    return calls


@pytest.fixture
def settings(tmp_path):
    return config.Settings(lab_dir=tmp_path / "lab")


def test_docker_container_verbs_go_through_the_sdk_and_the_lifecycle_through_compose(settings, group_calls):
    rec = Recorder()
    rt = docker_runtime(rec, settings=settings)
    rt.kill("kafka-2")
    rt.pause("inventario")
    rt.resume("inventario")
    rt.restart("connect")
    rt.start("kafka-2")
    rt.crash_consumer("inventario", 2, "boletia.inventario")
    rt.disconnect("mongo-1")
    rt.reconnect("mongo-1")
    assert rec.calls == [
        ["sdk", "kill", "kafka-2"], ["sdk", "pause", "inventario"], ["sdk", "unpause", "inventario"],
        ["sdk", "restart", "connect"], ["sdk", "start", "kafka-2"],
        ["sdk", "exec", "inventario", "boletia", "lab", "arm", "inventario", "crash", "2",
         "--topic", "boletia.inventario"],
        ["sdk", "network-disconnect", "boletia_default", "mongo-1"],
        ["sdk", "network-connect", "boletia_default", "mongo-1"]]
    assert rt.logs("inventario", lines=2) == "one\ntwo\nthree\n"
    assert json.loads(rec.calls[-1][-1]) == {"stderr": True, "stdout": True, "tail": 2, "timestamps": False}
    rt.logs("inventario", lines=0)  # 0: all of it, as locally (the SDK reads tail=0 as none)
    assert json.loads(rec.calls[-1][-1])["tail"] == "all"
    mark = rt.log_mark("inventario")
    assert rt.logs("inventario", lines=2, since=mark) == "two\nthree"  # the last lines since then
    since = json.loads(rec.calls[-1][-1])["since"]
    assert isinstance(since, float) and abs(since - time.time()) < 5  # to the microsecond
    rec.calls.clear()
    rt.set_design("seed")  # the lab's lifecycle stays compose's
    calls = rec.compose()
    apps = ["eventos", "reservas", "inventario", "reembolsos", "notificaciones"]
    # the old containers stop and leave their groups before the new ones join (a static member
    # sends no LeaveGroup)
    assert calls == [["run", "--rm", "setup"], ["stop", *apps], ["up", "-d", "--wait", *apps]]
    assert group_calls == [(g, [f"{g}-old-1"]) for g in ("inventario", "reembolsos", "notificaciones")]
    first = rec.calls[0]
    assert first[:3] == ["env", "BOLETIA_DESIGN=seed", f"BOLETIA_SECRETS_DIR={rt.dir}"]
    assert first[first.index("-f") + 1] == str(compose_file())


def test_docker_container_verbs_say_what_the_engine_refused(settings):
    gone = docker_runtime(engine=FakeEngine(states={}), settings=settings)
    with pytest.raises(LabError, match="kafka-2 has no container: is the docker lab up"):
        gone.kill("kafka-2")
    refused = docker_runtime(engine=FakeEngine(refuse={"pause": docker.errors.APIError(
        "409 Client Error", explanation="Container abc is not running")}), settings=settings)
    with pytest.raises(LabError, match="inventario: the Docker engine refused: Container abc is not running"):
        refused.pause("inventario")
    with pytest.raises(LabError, match="not a consumer"):
        refused.crash_consumer("kafka-1")


def test_docker_secrets_are_generated_private_and_the_design_is_its_own(settings):
    rt = docker_runtime(settings=settings)
    token = rt.admin_token()
    assert len(token) >= 24 and token == DockerRuntime(settings=settings).admin_token()
    for name in ("secrets.env", "mongo-keyfile"):
        assert (rt.dir / name).stat().st_mode & 0o777 == 0o600
    # no login in the URI (it is printed): the host's tools log in as the lab's MongoDB admin
    assert rt.settings.mongo_uri == "mongodb://127.0.0.1:27017/?directConnection=true"
    found = rt._credentials()
    assert config.mongo_login(rt.settings) == ("admin", found["mongo"]["admin"])
    rt.set_design("seed")
    assert rt.design() == "seed" and DockerRuntime(settings=settings).design() == "seed"
    with pytest.raises(LabError, match="use --runtime local"):  # the student's file is on the host
        rt.set_design("student")
    assert rt.design() == "seed"


def test_docker_status_reads_the_engines_containers(settings):
    engine = FakeEngine(states={"kafka-1": "running", "eventos": "paused", "connect": "exited"})
    rt = docker_runtime(engine=engine, settings=settings)
    states = {s.name: s.state for s in rt.status()}
    assert states["kafka-1"] == "running" and states["eventos"] == "paused"
    assert states["connect"] == "stopped" and states["mongo-2"] == "stopped"  # exited; none at all
    assert not engine.rec.calls  # read through the SDK: no command line


def test_docker_status_says_which_consumer_fails_its_health_check(settings):
    """The consumers' health check fails while the watchdog sees them stalled (issue 28.4)."""
    engine = FakeEngine(states={"inventario": "running", "notificaciones": "running"},
                        health={"inventario": "unhealthy", "notificaciones": "healthy"})
    health = {s.name: s.health for s in docker_runtime(engine=engine, settings=settings).status()}
    assert "health check fails" in health["inventario"] and health["notificaciones"] == ""


class UnhealthyRecorder(Recorder):
    """compose fails its --wait on an unhealthy consumer; docker exec and logs answer."""

    def __call__(self, cmd):
        self.calls.append(cmd)
        if "compose" in cmd:
            return subprocess.CompletedProcess(cmd, 1, "", " Container boletia-reservas-1  Healthy\n"
                                               "container boletia-notificaciones-1 is unhealthy")
        if cmd[:2] == ["docker", "exec"]:
            return subprocess.CompletedProcess(cmd, 0, "notificaciones.ready\nnotificaciones.stalled\n"
                                               "/lab/run/notificaciones.stalled: boletia.reservas[0]: "
                                               "no commit past offset 7\n", "")
        return subprocess.CompletedProcess(cmd, 0, f"the log of {cmd[-1]}\n", "")


def test_a_design_switch_that_leaves_a_consumer_unhealthy_says_what_it_found(settings):
    """compose's `--wait` names only the container: the error adds its marks, the end of its log
    and of the watchdog's, once per unhealthy container (a CI run failed with no more than the name)."""
    rec = UnhealthyRecorder()
    with pytest.raises(LabError) as caught:
        docker_runtime(rec, settings=settings).set_design("seed")
    said = str(caught.value)
    assert "is unhealthy" in said and "/lab/run/notificaciones.stalled: boletia.reservas[0]" in said
    assert "the log of boletia-notificaciones-1" in said and "the log of boletia-watchdog-1" in said
    assert sum(c[:2] == ["docker", "exec"] for c in rec.calls) == 1


def test_docker_without_an_engine_says_so(settings):
    def no_engine():
        raise docker.errors.DockerException("Error while fetching server API version: "
                                            "('Connection aborted.', FileNotFoundError(2, 'No such file'))")

    rt = DockerRuntime(run=Recorder(returncode=1, stderr="Cannot connect to the Docker daemon"),
                       settings=settings, engine=no_engine)
    with pytest.raises(LabError, match="no usable Docker engine"):
        rt.up()
    with pytest.raises(LabError, match="no usable Docker engine for the docker runtime .*--runtime local"):
        rt.kill("kafka-1")
    with pytest.raises(LabError, match="unknown component"):
        rt.kill("zookeeper")


def env_of(cmd: list[str]) -> dict[str, str]:
    """The variables a recorded `env K=V ... docker compose` call sets."""
    return dict(a.split("=", 1) for a in cmd[1:cmd.index("docker")])


def test_docker_runs_the_official_set_by_default_and_the_offline_set_once_built(settings):
    rec = Recorder()
    rt = docker_runtime(rec, settings=settings)
    assert rt.image_set() is images.OFFICIAL and "mongo-2" in rt.components()
    rt.set_design("fixed")  # a compose command
    env = env_of(rec.calls[-1])
    assert env["COMPOSE_PROFILES"] == "official" and env["BOLETIA_APP_IMAGE"] == "boletia:lab"
    assert env["BOLETIA_MONGO_HOSTS"] == "mongo-1:27017,mongo-2:27017,mongo-3:27017"

    images.record(settings.lab_dir, images.OFFLINE)
    rt = docker_runtime(rec, settings=settings)
    assert ONE_MEMBER in rt.components() and "mongo-1" not in rt.components()
    rt.kill(ONE_MEMBER)
    assert rec.calls[-1] == ["sdk", "kill", ONE_MEMBER]
    rt.set_design("fixed")
    env = env_of(rec.calls[-1])
    assert env["COMPOSE_PROFILES"] == "offline" and env["BOLETIA_APP_IMAGE"] == "boletia:lab-offline"
    assert env["BOLETIA_MONGO_HOSTS"] == "mongo:27017"
    assert env["BOLETIA_MONGO_OPTIONS"] == "directConnection=true"
    assert rt.settings.mongo_uri == "mongodb://127.0.0.1:27017/?directConnection=true"
    assert env["BOLETIA_PIN_OVERRIDES"] == "soupsieve==3.0.1"
    with pytest.raises(LabError, match="unknown component"):
        rt.kill("mongo-2")
    rt = docker_runtime(engine=FakeEngine(states={ONE_MEMBER: "running"}), settings=settings)
    member = next(s for s in rt.status() if s.name == ONE_MEMBER)
    assert member.state == "running" and member.kind == "mongo" and member.ports == [27017]
    assert "ui" not in rt.components()  # a lab tool on this machine, not a container


def test_docker_host_ports_shift_and_the_settings_follow_them(settings):
    rec = Recorder()
    rt = docker_runtime(rec, settings=settings, port_offset=20000)
    rt.set_design("fixed")
    env = env_of(rec.calls[-1])
    assert env["BOLETIA_PORT_KAFKA_1"] == "29092" and env["BOLETIA_PORT_KAFKA_3"] == "29094"
    assert env["BOLETIA_PORT_MONGO"] == "47017" and env["BOLETIA_PORT_EVENTOS"] == "28070"
    assert env["BOLETIA_PORT_JUPYTER"] == "28888"
    s = rt.settings
    assert s.kafka_bootstrap == "127.0.0.1:29092,127.0.0.1:29093,127.0.0.1:29094"
    assert (s.eventos_url, s.reservas_url) == ("http://127.0.0.1:28070", "http://127.0.0.1:28071")
    assert (s.connect_url, s.ses_url) == ("http://127.0.0.1:28083", "http://127.0.0.1:25005")
    assert s.mongo_uri == "mongodb://127.0.0.1:47017/?directConnection=true"
    assert s.ports.kafka == (29092, 29093, 29094)
    assert {x.name: x.ports for x in rt.status()}["kafka-2"] == [29093]


def test_docker_up_builds_the_set_then_brings_it_up_on_the_ports_it_keeps(settings):
    rec = Recorder()
    rt = docker_runtime(rec, settings=settings, image_set="offline", port_offset=20000)
    said = []
    rt.up(report=said.append)
    assert rec.calls[0][0] == "bash" and rec.calls[0][1].endswith("lab-infra/images/base.sh")
    built = [c[c.index("-t") + 1] for c in rec.calls if c[:2] == ["docker", "build"]]
    assert built == [b.tag for b in images.OFFLINE.builds]
    up = next(c for c in rec.compose() if c[:1] == ["up"])
    assert up[:3] == ["up", "-d", "--wait"] and "--no-build" in up and up[up.index("--pull") + 1] == "never"
    assert any("ONE SecantusDB member" in m and "29092" in m for m in said), said
    # a later runtime without an offset finds the lab where it is, and the set it runs
    later = docker_runtime(Recorder(), settings=settings)
    assert later.image_set() is images.OFFLINE and later.settings.ports.eventos == 28070
    later.up()
    assert env_of(later.run.calls[-1])["BOLETIA_PORT_EVENTOS"] == "28070"  # `up`: its last call


def test_every_container_runs_the_small_app_image_and_jupyterlab_only_when_asked_for(settings):
    """The app target (core dependencies) everywhere; the jupyter target, its compose profile
    and its container only after `boletia lab images --jupyter`."""
    rec = Recorder()
    images.Images(rec, lab_dir=settings.lab_dir).build("offline")
    builds = [c for c in rec.calls if c[:2] == ["docker", "build"]]
    assert [c[c.index("--target") + 1] for c in builds if "--target" in c] == ["app"]
    rt = docker_runtime(rec, settings=settings)
    assert "jupyter" not in rt.components()
    rt.set_design("fixed")
    assert env_of(rec.calls[-1])["COMPOSE_PROFILES"] == "offline"

    rec = Recorder()
    images.Images(rec, lab_dir=settings.lab_dir).build("offline", jupyter=True)
    jupyter = [c for c in rec.calls if c[:2] == ["docker", "build"]][-1]
    assert jupyter[jupyter.index("--target") + 1] == "jupyter"
    assert jupyter[jupyter.index("-t") + 1] == "boletia-jupyter:lab-offline"
    rt = docker_runtime(rec, settings=settings)
    assert "jupyter" in rt.components()
    rt.kill("jupyter")
    assert rec.calls[-1] == ["sdk", "kill", "jupyter"]
    rt.set_design("fixed")
    env = env_of(rec.calls[-1])
    assert env["COMPOSE_PROFILES"] == "offline,jupyter"
    assert env["BOLETIA_JUPYTER_IMAGE"] == "boletia-jupyter:lab-offline"
    later = docker_runtime(Recorder(), settings=settings)
    later.up()  # a later up builds it again (the cache answering) and runs it
    assert any(c[:2] == ["docker", "build"] and "jupyter" in c for c in later.run.calls)
    assert env_of(later.run.calls[-1])["COMPOSE_PROFILES"] == "offline,jupyter"  # `up`: its last


def test_the_app_image_pins_are_the_labs_own(tmp_path):
    """requirements-core.lock (the app image) is pyproject.toml's core dependencies at
    requirements.lock's versions: no version the lab was not tested with."""
    def pins(name):
        return dict(line.split("==", 1) for line in (ROOT / name).read_text().splitlines()
                    if "==" in line and not line.lstrip().startswith("#"))
    core, full = pins("requirements-core.lock"), pins("requirements.lock")
    assert core and {k: full.get(k) for k in core} == core
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[\[<>=!~ ]", d, maxsplit=1)[0].lower() for d in deps}
    assert names <= {k.lower() for k in core}, names - {k.lower() for k in core}
    assert not {"jupyterlab", "papermill", "otter-grader", "pytest"} & set(core)


def test_container_runtimes_start_the_control_room_on_this_machine_and_stop_it(settings, ui_started):
    rt = docker_runtime(Recorder(), settings=settings, image_set="offline", port_offset=20000)
    rt.up()
    assert ui_started == [("docker", 28090, rt.dir)]  # beside a local lab's own 8090
    # a later runtime without the offset (a notebook's open_lab) looks for the same UI, not 8090
    docker_runtime(Recorder(), settings=settings).up()
    assert ui_started[-1] == ("docker", 28090, rt.dir)
    (rt.dir / host_tools.PID).write_text("999999999")  # a UI that already ended
    rt.down()
    assert not (rt.dir / host_tools.PID).exists()
    kind = KindRuntime(run=Recorder(stdout='{"items": []}'), settings=settings)
    kind.up()
    assert ui_started[-1] == ("kind", 8090, settings.lab_dir / "kind")
    assert host_tools.ui_command("kind", 8090)[-5:] == ["ui", "--runtime", "kind", "--port", "8090"]


class StuckConsumer(Recorder):
    """A first `compose up --wait` that fails on notificaciones, unhealthy: it never got its
    partitions (as a kafka-python client that lost its coordinator did, once)."""

    def __call__(self, cmd):
        self.calls.append(cmd)
        ups = sum("up" in c and "--wait" in c for c in self.calls)
        if "--wait" in cmd and ups == 1:
            return subprocess.CompletedProcess(cmd, 1, "", "container boletia-notificaciones-1 is unhealthy")
        return subprocess.CompletedProcess(cmd, 0, "", "")


def test_docker_up_restarts_a_consumer_that_never_got_its_partitions_once(settings):
    rec, said = StuckConsumer(), []
    docker_runtime(rec, FakeEngine(rec, health={"notificaciones": "unhealthy"}),
                   settings=settings).up(report=said.append)
    calls = [c for c in rec.compose() if c[:1] in (["up"], ["restart"])]
    assert [c[0] for c in calls] == ["up", "restart", "up"] and calls[1] == ["restart", "notificaciones"]
    restarted = next(m for m in said if "notificaciones never got its partitions" in m)
    assert "container boletia-notificaciones-1 is unhealthy" in restarted  # the evidence, said
    with pytest.raises(LabError, match="failed"):  # anything else that fails `up` is an error
        docker_runtime(Recorder(returncode=1, stderr="port is already allocated"), settings=settings).up()


class Answers(Recorder):
    """A Docker engine that fails the commands containing any of `failing`."""

    def __init__(self, *failing: str, stderr: str = "Error response from daemon: no such image"):
        super().__init__()
        self.failing, self.err = failing, stderr

    def __call__(self, cmd):
        self.calls.append(cmd)
        bad = any(f in " ".join(cmd) for f in self.failing)
        return subprocess.CompletedProcess(cmd, 1 if bad else 0, "", self.err if bad else "")


def test_images_auto_is_official_when_docker_hub_answers_and_offline_otherwise(tmp_path):
    said = []
    offline = images.Images(run=Answers("pull", "inspect"), report=said.append, lab_dir=tmp_path)
    assert offline.choose("auto") is images.OFFLINE
    assert offline.run.calls[-1][:3] == ["timeout", str(images.PROBE_SECONDS), "docker"]
    assert "offline" in said[-1] and "ONE SecantusDB member" in said[-1]
    online = images.Images(run=Answers("inspect"), lab_dir=tmp_path)
    assert online.choose("auto") is images.OFFICIAL
    assert images.Images(run=Answers(), lab_dir=tmp_path).choose("auto") is images.OFFICIAL  # pulled before
    with pytest.raises(LabError, match="unknown image set"):
        online.choose("podman")


def test_images_official_pulls_only_what_is_missing_and_records_the_set(tmp_path):
    rec = Answers("inspect --format {{.Id}} mongo:7.0")
    image_set, timings = images.Images(run=rec, lab_dir=tmp_path).build("official")
    pulls = [c for c in rec.calls if c[:2] == ["docker", "pull"]]
    assert pulls == [["docker", "pull", "-q", "mongo:7.0"]]
    assert set(timings) == {"mongo:7.0", "boletia-connect:lab", "boletia:lab"}
    assert images.recorded(tmp_path) is images.OFFICIAL and image_set is images.OFFICIAL


def test_images_without_an_engine_say_so(tmp_path):
    rec = Answers("docker", stderr="Cannot connect to the Docker daemon at unix:///var/run/docker.sock")
    with pytest.raises(LabError, match="no usable Docker engine"):
        images.Images(run=rec, lab_dir=tmp_path).build("auto")


def test_cli_images_builds_the_set_asked_for_and_says_which(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from boletia import cli

    rec, real = Recorder(), images.Images
    monkeypatch.setattr(images, "Images", lambda report, progress=None: real(
        run=rec, report=report, progress=progress, lab_dir=tmp_path))
    result = CliRunner().invoke(cli.app, ["lab", "images", "--offline"])
    assert result.exit_code == 0, result.output
    assert "offline image set ready" in result.output and "ONE SecantusDB member" in result.output
    assert images.recorded(tmp_path) is images.OFFLINE
    result = CliRunner().invoke(cli.app, ["lab", "images", "--offline", "--official"])
    assert result.exit_code == 1 and "choose one of" in result.output


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
    with pytest.raises(LabError, match="use --runtime local"):
        rt.set_design("student")
    assert len(rec.calls) == 4  # refused before any kubectl call


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
    made = {"docker": lambda: docker_runtime(rec, settings=settings),  # SDK calls recorded in rec too
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
    # how Connect finds its plugins at start-up (not how a running worker behaves): the local
    # lab's plugin folder carries ServiceLoader manifests (LabFiles.connect_plugins), so it skips
    # the reflective scan; the images do not carry them yet and scan. Each pinned exactly.
    assert local.pop("plugin.discovery") == "service_load"
    for other in (compose, k8s):
        assert other.pop("plugin.discovery") == "hybrid_warn"
    for other in (compose, k8s):
        assert {k: v for k, v in other.items() if k not in where} == \
            {k: v for k, v in local.items() if k not in where}
    assert local["consumer.session.timeout.ms"] == "10000"


def _docker_exec(settings, stdout="", stderr="", returncode=0, refused=None, log=b"one\n"):
    """A docker runtime whose `exec` in the container answers so (or is refused)."""
    engine = FakeEngine(exec_answer=(returncode, stdout.encode(), stderr.encode()),
                        refuse={"exec": refused} if refused else None, log_answer=log)
    return docker_runtime(engine=engine, settings=settings)


def _kind_exec(settings, stdout="", stderr="", returncode=0, refused=None):
    if refused:
        stderr, returncode = f"error: {refused.explanation}", 1
    return KindRuntime(run=Recorder(stdout=stdout, stderr=stderr, returncode=returncode), settings=settings)


@pytest.mark.parametrize("runtime", [_docker_exec, _kind_exec], ids=["docker", "kind"])
def test_a_crash_armed_that_fires_at_once_and_ends_the_exec_is_still_armed(settings, runtime):
    """Seen on docker: the consumer crashed on its next message, its container's death ended
    `compose exec` (exit 137) after `boletia lab arm` had printed its confirmation."""
    said = "notificaciones: crash 3.0\n"
    runtime(settings, stderr=said, returncode=137).crash_consumer("notificaciones", 3)
    runtime(settings, stderr=said, returncode=None if runtime is _docker_exec
            else 137).crash_consumer("notificaciones", 3)  # the SDK: no exit code at all
    refused = docker.errors.APIError("409 Client Error", explanation="container is not running")
    with pytest.raises(LabError, match="not running"):
        runtime(settings, refused=refused).crash_consumer("notificaciones", 3)
    with pytest.raises(LabError):
        runtime(settings, stdout="inventario: crash 3.0\n", returncode=137).crash_consumer("notificaciones")
    with pytest.raises(LabError, match="exit 1"):
        _docker_exec(settings, stderr="boom", returncode=1).crash_consumer("notificaciones", 3)


def test_a_crash_that_ended_the_exec_before_a_line_of_it_came_back_is_read_from_the_log(
        settings, monkeypatch):
    """Seen in CI on docker: exit 137 and no output at all, the crash already fired. The
    consumer's log since the exec began is the proof; without it the arm failed."""
    from boletia.lab import hooks
    from boletia.lab.runtimes import docker as runtime

    monkeypatch.setattr(runtime.time, "sleep", lambda s: None)
    fired = f"crash notificaciones[0]@7: {hooks.CRASH_FIRED}\n".encode()
    engine = FakeEngine(exec_answer=(137, b"", b""), log_answer=b"consumed\n" + fired)
    docker_runtime(engine=engine, settings=settings).crash_consumer("notificaciones", 3)
    assert any(c[:3] == ["sdk", "logs", "notificaciones"] and '"since"' in c[3]
               for c in engine.rec.calls)
    with pytest.raises(LabError, match="exit 137"):
        _docker_exec(settings, returncode=137, log=b"consumed\n").crash_consumer("notificaciones", 3)
    with pytest.raises(LabError, match="exit 137"):  # a delay never ends the container
        _docker_exec(settings, returncode=137, log=fired).slow_consumer("notificaciones", 1.0)


def test_cli_chaos_runs_on_the_runtime_asked_for(monkeypatch):
    from typer.testing import CliRunner

    from boletia import cli
    from boletia.lab.experiments import chaos

    seen = []
    monkeypatch.setattr(chaos, "run", lambda name, design, seed, rt, report: seen.append(rt.name) or {
        "verdict": "clean", "inconclusive": None})
    result = CliRunner().invoke(cli.app, ["chaos", "run", "broker-kill", "--runtime", "docker"])
    assert result.exit_code == 0, result.output
    assert seen == ["docker"]
    result = CliRunner().invoke(cli.app, ["chaos", "run", "broker-kill", "--runtime", "podman"])
    said = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2 and "'podman' is not one of" in said and seen == ["docker"]
