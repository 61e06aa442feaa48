"""The docker runtime for real: the compose lab brought up through `DockerRuntime` on shifted
host ports (beside a local lab that owns the default ones), the services' contract checked on
the published ports, one container killed and restarted through the runtime's verbs, one chaos
scenario judged clean, notebooks 02 and 03 run with `runtime = "docker"`, and a clean `down`.

Which image set: BOLETIA_TEST_IMAGE_SET (auto | official | offline), else the set built last
on this machine (`boletia lab images`), else auto. The host ports are shifted by
BOLETIA_TEST_PORT_OFFSET (default 20000). The first build of the offline set takes 6 to 10
minutes on 2 cores; with the layer cache warm, the module takes several minutes (notebook 02
switches the design twice, and each switch recreates containers).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
from bson import ObjectId

from boletia import config
from boletia.lab.runtimes import images
from boletia.lab.runtimes.docker import PROJECT, DockerRuntime
from tests.kafka_logins import opens, scram

pytestmark = [pytest.mark.docker, pytest.mark.timeout(3600)]
OFFSET = int(os.environ.get("BOLETIA_TEST_PORT_OFFSET", "20000"))
JSON = {"Content-Type": "application/json"}


def _docker(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60)


def _why_no_engine() -> str | None:
    if shutil.which("docker") is None:
        return "no `docker` command: run scripts/docker-engine.sh (as root) for an engine"
    info = _docker("info", "--format", "{{.ServerVersion}}")
    if info.returncode != 0:
        return (f"no Docker engine answers (`docker info`: {info.stderr.strip()[-200:]}); "
                "start one with scripts/docker-engine.sh")
    if _docker("compose", "version").returncode != 0:
        return "the engine has no compose v2 plugin (`docker compose`): run scripts/docker-engine.sh"
    if _docker("ps", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}").stdout.strip():
        return f"a docker lab (compose project {PROJECT!r}) is already running; this test would take it over"
    return None


def _containers() -> dict[str, str]:
    """service -> `docker ps` status ("Up 2 minutes (healthy)"), for the lab's containers."""
    out = _docker("ps", "-a", "--filter", f"label=com.docker.compose.project={PROJECT}",
                  "--format", "{{json .}}").stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {r["Labels"].split("com.docker.compose.service=")[1].split(",")[0]: r["Status"] for r in rows}


def _wait_for(what: str, probe, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = probe()
        except requests.RequestException:
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds:.0f} s")
        time.sleep(1)


@pytest.fixture(scope="module")
def lab(tmp_path_factory, pytestconfig):
    why = _why_no_engine()
    if why:  # scripts/test-docker.sh made an engine: there, not running these is a failure
        (pytest.fail if os.environ.get("BOLETIA_DOCKER_REQUIRED") else pytest.skip)(why)
    built = images.recorded(config.settings().lab_dir)
    choice = os.environ.get("BOLETIA_TEST_IMAGE_SET") or (built.name if built else "auto")
    settings = config.Settings(lab_dir=tmp_path_factory.mktemp("docker-lab"))
    rt = DockerRuntime(settings=settings, image_set=choice, port_offset=OFFSET)
    # this process's own clients (checker, chaos, connectors) find the lab's credentials in the
    # lab directory of their settings, as `boletia lab up --runtime docker` leaves them
    before = os.environ.get("BOLETIA_LAB_DIR")
    os.environ["BOLETIA_LAB_DIR"] = str(settings.lab_dir)
    config.settings.cache_clear()
    started = time.monotonic()
    try:
        # on pytest's terminal, past its capture: CI's log then shows how the lab came up (a
        # consumer restarted at its first start costs 4 minutes, and says why)
        capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
        terminal = pytestconfig.pluginmanager.get_plugin("terminalreporter")

        def say(message: str) -> None:
            with capture.global_and_fixture_disabled():
                terminal.write_line(f"[docker lab] {message}", flush=True)

        rt.up(report=say)
        say(f"up in {time.monotonic() - started:.0f} s")
        yield rt
    finally:
        rt.down(purge=True)
        if before is None:
            os.environ.pop("BOLETIA_LAB_DIR", None)
        else:
            os.environ["BOLETIA_LAB_DIR"] = before
        config.settings.cache_clear()


def test_every_container_runs_and_every_health_check_passes(lab):
    states = {s.name: s.state for s in lab.status()}
    assert set(states.values()) == {"running"}, states
    status = _containers()
    checked = {n: s for n, s in status.items() if "health" in s}
    assert checked and all("(healthy)" in s for s in checked.values()), status
    assert status["setup"].startswith("Exited (0)") and status["access"].startswith("Exited (0)"), status
    assert {"kafka-1", "kafka-2", "kafka-3", "connect"} <= set(checked)


def test_the_services_answer_their_contract_on_the_published_ports(lab):
    s = lab.settings
    assert s.eventos_url.endswith(str(8070 + OFFSET)) and s.reservas_url.endswith(str(8071 + OFFSET))
    for url in (s.eventos_url, s.reservas_url):
        assert requests.get(f"{url}/health", timeout=10).status_code == 200
    nombre = f"Docker {uuid.uuid4().hex[:8]}"
    admin = {"Authorization": f"Bearer {lab.admin_token()}", **JSON}
    created = requests.post(f"{s.eventos_url}/eventos", headers=admin, timeout=10,
                            json={"nombre": nombre, "capacidad": 5, "categoria": "Prueba"})
    assert created.ok, created.text
    _wait_for("the event in inventario (source, sink)", lambda: requests.get(
        f"{s.reservas_url}/reservas/eventos/{nombre}", timeout=10).ok)
    booked = requests.post(f"{s.reservas_url}/reservas", headers=JSON, timeout=10,
                           json={"evento": nombre, "cantidad": 2, "email": "docker@boletia.example"})
    assert booked.status_code == 200, booked.text
    reserva = booked.json()["Id"]
    mine = {"X-Boletia-Clave": booked.json()["Clave"]}  # the fixed design: the booking's secret
    found = _wait_for("the reservation (source, inventario consumer)", lambda: (
        r := requests.get(f"{s.reservas_url}/reservas/{reserva}", headers=mine,
                          timeout=10)).ok and r.json())
    assert found["Estado"] == "A" and found["Cantidad"] == 2
    inventario = requests.get(f"{s.reservas_url}/reservas/eventos/{nombre}", timeout=10).json()
    assert inventario["Disponible"] == 3, inventario
    assert requests.get(f"{s.reservas_url}/reservas/{reserva}", timeout=10).status_code == 403
    assert requests.get(f"{s.reservas_url}/reservas/{ObjectId()}", timeout=10).status_code == 403
    plain = requests.post(f"{s.reservas_url}/reservas", headers={"Content-Type": "text/plain"},
                          data=json.dumps({"evento": nombre, "cantidad": 1, "email": "a@b.co"}),
                          timeout=10)
    assert plain.status_code == 415, plain.text
    unauthorised = requests.post(f"{s.eventos_url}/eventos", headers=JSON, timeout=10,
                                 json={"nombre": "x", "capacidad": 1, "categoria": "c"})
    assert unauthorised.status_code == 401


def test_kafka_and_connect_take_only_the_labs_credentials(lab):
    """Issue 28 on docker: the published Kafka ports want a SCRAM login (none, or a wrong
    password, is refused; the lab's admin gets in), a consumer's own user reads its topic and
    not another's, and Connect's REST API answers 401 to a caller without `admin`'s password."""
    from kafka import KafkaConsumer, TopicPartition
    from kafka.errors import TopicAuthorizationFailedError

    creds = config.credentials(config.settings())
    boot = lab.settings.kafka_bootstrap
    assert not opens(boot)
    assert not opens(boot, **scram(creds, "inventario", "not-its-password"))
    assert opens(boot, **scram(creds, "admin"))
    c = KafkaConsumer(bootstrap_servers=boot.split(","), group_id=None, enable_auto_commit=False,
                      request_timeout_ms=10000, **scram(creds, "inventario"))
    try:
        assert c.partitions_for_topic("boletia.inventario")
        with pytest.raises(TopicAuthorizationFailedError):
            c.end_offsets([TopicPartition("boletia.reservas", 0)])
    finally:
        c.close()
    url = f"{lab.settings.connect_url}/connectors"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, auth=("admin", "wrong"), timeout=10).status_code == 401
    listed = requests.get(url, auth=("admin", creds["connect"]["admin"]), timeout=10)
    assert listed.status_code == 200 and listed.json(), listed.text
    # the containers' processes are the host's too: no password on any command line there
    args = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True, timeout=30).stdout
    secrets = {**creds["kafka"], "connect REST": creds["connect"]["admin"]}
    assert "kafka.Kafka" in args or "kafka-server-start" in args, "no broker process seen"
    assert not [who for who, pw in secrets.items() if pw in args]



def test_mongodb_takes_only_the_labs_users_and_no_connector_holds_a_password(lab):
    """Issue 28 on docker: the published MongoDB port refuses a client without a login and a
    wrong password, admits the lab's admin; a service's own user reads `boletia` and is refused
    another database; each connector's URI names Connect's password (${env:...}), never holds
    it; no MongoDB password is on a command line of the host."""
    from pymongo import MongoClient
    from pymongo.errors import OperationFailure

    creds = config.credentials(config.settings())

    def reads(user: str | None, password: str = "", db: str = "boletia") -> bool:
        login = dict(username=user, password=password, authSource="admin") if user else {}
        with MongoClient(lab.settings.mongo_uri, serverSelectionTimeoutMS=10000, **login) as c:
            try:
                c[db]["eventos"].find_one()
                return True
            except OperationFailure:
                return False

    assert not reads(None)
    assert not reads("reservas", "not-its-password")
    assert reads("admin", creds["mongo"]["admin"])
    assert reads("reservas", creds["mongo"]["reservas"])
    assert not reads("reservas", creds["mongo"]["reservas"], db="boletia_other")
    url = f"{lab.settings.connect_url}/connectors"
    rest = ("admin", creds["connect"]["admin"])
    for name in requests.get(url, auth=rest, timeout=10).json():
        cfg = requests.get(f"{url}/{name}/config", auth=rest, timeout=10).json()
        assert cfg["connection.uri"].startswith("mongodb://connect:${env:BOLETIA_MONGO_PASSWORD}@mongo"), cfg
        assert not any(pw in str(cfg) for pw in creds["mongo"].values()), name
    args = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True, timeout=30).stdout
    assert "secantusd" in args, "no MongoDB server process seen"
    assert not [who for who, pw in creds["mongo"].items() if pw in args]

def test_the_control_room_runs_on_this_machine_and_sees_the_containers(lab):
    url = f"http://127.0.0.1:{8090 + OFFSET}"  # started by `up`, beside a local lab's 8090
    assert requests.get(f"{url}/health", timeout=10).ok
    admin = {"Authorization": f"Bearer {lab.admin_token()}"}
    snap = _wait_for("a snapshot of the docker lab", lambda: (
        r := requests.get(f"{url}/api/snapshot", headers=admin, timeout=10)).ok and r.json())
    names = {c["name"] for c in snap["components"]}
    assert {"kafka-1", "connect", "reservas", "notificaciones"} <= names, snap["components"]


def test_a_container_killed_through_the_runtime_comes_back_with_restart(lab):
    url = lab.settings.reservas_url
    lab.kill("reservas")
    assert lab.state("reservas") == "stopped"
    with pytest.raises(requests.RequestException):
        requests.get(f"{url}/health", timeout=5)
    lab.restart("reservas")
    _wait_for("reservas after its restart", lambda: requests.get(f"{url}/health", timeout=5).ok, 60)
    assert lab.state("reservas") == "running"



def test_a_container_paused_cut_off_and_read_through_the_sdk(lab):
    """The container verbs are the Docker SDK's: pause and resume, the network cut and back,
    the log since a mark (what a chaos scenario reads its evidence from)."""
    url = lab.settings.eventos_url
    mark = lab.log_mark("eventos")
    lab.pause("eventos")
    try:
        assert lab.state("eventos") == "paused"
        with pytest.raises(requests.RequestException):
            requests.get(f"{url}/health", timeout=3)
    finally:
        lab.resume("eventos")
    _wait_for("eventos resumed", lambda: requests.get(f"{url}/health", timeout=5).ok, 30)
    assert lab.state("eventos") == "running"
    everything, since = lab.logs("eventos", 0), lab.logs("eventos", 0, since=mark)
    assert everything.strip() and len(since.splitlines()) < len(everything.splitlines())  # not its start
    lab.disconnect("eventos")
    try:
        networks = lambda: lab._containers("eventos")["eventos"].attrs["NetworkSettings"]["Networks"]  # noqa: E731
        assert f"{PROJECT}_default" not in networks()
    finally:
        lab.reconnect("eventos")
    assert f"{PROJECT}_default" in networks()

def test_a_chaos_scenario_on_the_containers_is_judged_clean(lab):
    """Mode 6 on docker: the crash is armed inside notificaciones' container, its decisions are
    read back from `compose logs --since`, the supervisor starts the dead container again, and
    the checker drains the lab and reads MongoDB, Kafka and SES through the published ports.
    (By hand, the seed design on this runtime: violated, email-duplicate 2.)"""
    from boletia.lab.experiments import chaos

    result = chaos.run("notification-redelivery", "fixed", seed=1, rt=lab,
                       report=lambda m: print(f"[docker lab] {m}", flush=True))
    assert result["requirements"] and all(r["held"] for r in result["requirements"]), result
    crashed = result["evidence"][0]
    assert len(crashed["at"]) >= 3 and crashed["redelivery_found_work_done"] == crashed["at"], crashed
    assert result["verdict"] == "clean", {k: result[k] for k in ("violations", "examples", "drain")}
    assert result["checked"]["emails"] > 0 and result["drain"]["drained"], result["checked"]
    print(f"[docker lab] notification-redelivery: clean in {result['seconds']} s")


def test_a_consumer_scales_out_to_containers_in_one_group_and_back(lab):
    """`scale inventario=2` on docker: a second container in inventario's group, healthy by its
    own readiness mark, holding partitions; member-kill on it under load is judged clean (its
    partitions wait out its session, then move); scaled back, its container is gone."""
    from boletia.lab.experiments import chaos

    lab.scale("inventario", 2, report=lambda m: print(f"[docker lab] {m}", flush=True))
    try:
        assert lab.members("inventario") == 2 and lab.state("inventario-2") == "running"
        _wait_for("inventario-2 healthy", lambda: "(healthy)" in _containers().get("inventario-2", ""))
        result = chaos.run("member-kill", "fixed", seed=1, rt=lab,
                           report=lambda m: print(f"[docker lab] {m}", flush=True))
        assert all(r["held"] for r in result["requirements"]), result["requirements"]
        assert result["verdict"] == "clean", {k: result[k] for k in ("violations", "examples", "drain")}
        print(f"[docker lab] member-kill: clean in {result['seconds']} s, {result['evidence']}")
    finally:
        lab.scale("inventario", 1)
    assert lab.members("inventario") == 1 and "inventario-2" not in _containers()
    assert "inventario-2" not in {s.name for s in lab.status()}


def test_connect_scales_to_two_workers_and_a_killed_one_hands_over_its_task(lab):
    """`scale connect=2` on docker: a second worker container (connect-2 on the lab's network,
    its REST published) shares the connectors and tasks; the one running inventario's source
    task is SIGKILLed under load, the task moves and publishes again, and the checker is clean."""
    from boletia.lab.experiments import chaos

    try:
        result = chaos.run("connect-worker-kill", "fixed", seed=1, rt=lab,
                           report=lambda m: print(f"[docker lab] {m}", flush=True))
        assert all(r["held"] for r in result["requirements"]), result["requirements"]
        assert result["verdict"] == "clean", {k: result[k] for k in ("violations", "examples", "drain")}
        moved = next(r for r in result["requirements"] if "published again" in r["claim"])
        assert 5 <= moved["task_moved_s"] <= moved["published_again_s"] <= 120, moved
        print(f"[docker lab] connect-worker-kill: clean in {result['seconds']} s, {moved}")
    finally:
        lab.scale("connect", 1)
    assert lab.members("connect") == 1 and "connect-2" not in _containers()
    rows = {s.name: s for s in lab.status()}
    assert "connect-2" not in rows and rows["connect"].state == "running"


def test_an_api_scales_to_containers_on_its_one_address_and_a_killed_replica_loses_nothing(lab):
    """`scale reservas=3` on docker: replicas 2 and 3 are containers in replica 1's network
    namespace, binding its one published port; every replica answers new connections there.
    api-replica-kill SIGKILLs the second under load: the other two keep the address and every
    booking answered 200 has its reservation. Scaled back, the containers are gone."""
    from boletia.lab.experiments import chaos

    try:
        lab.scale("reservas", 2, report=lambda m: print(f"[docker lab] {m}", flush=True))
        rows = {s.name: s for s in lab.status()}
        assert rows["reservas-2"].state == "running" and rows["reservas-2"].ports == rows["reservas"].ports
        assert "on reservas's address" in rows["reservas-2"].connection
        result = chaos.run("api-replica-kill", "fixed", seed=1, rt=lab,
                           report=lambda m: print(f"[docker lab] {m}", flush=True))
        assert all(r["held"] for r in result["requirements"]), result["requirements"]
        assert result["verdict"] == "clean", {k: result[k] for k in ("violations", "examples", "drain")}
        killed = result["evidence"][0]
        assert set(killed["before"]) == {"reservas", "reservas-2", "reservas-3"}, killed
        assert set(killed["after"]) == {"reservas", "reservas-3"}, killed
        print(f"[docker lab] api-replica-kill: clean in {result['seconds']} s, {killed}")
    finally:
        lab.scale("reservas", 1)
    assert lab.members("reservas") == 1
    assert not {"reservas-2", "reservas-3"} & set(_containers())
    assert lab.state("reservas") == "running"


@pytest.mark.parametrize("notebook", ["02-connect-source-and-sink.ipynb", "03-booking-and-cancelling.ipynb"])
def test_a_lesson_runs_on_the_docker_runtime(lab, notebook, monkeypatch):
    """The lesson with `runtime = "docker"` (papermill; its own assertions are the checks): its
    kernel finds this lab through the lab directory, where `up` saved the shifted ports."""
    import papermill

    root = Path(__file__).resolve().parents[2] / "notebooks"
    monkeypatch.setenv("BOLETIA_LAB_DIR", str(lab.settings.lab_dir))
    out = lab.settings.lab_dir / f"docker-{notebook}"
    started = time.monotonic()
    try:
        papermill.execute_notebook(str(root / notebook), str(out), parameters={"runtime": "docker"},
                                   cwd=str(root), kernel_name="python3", progress_bar=False)
    except papermill.PapermillExecutionError as exc:
        states = {s.name: s.state for s in lab.status()}
        pytest.fail(f"{exc}\ncontainer states: {states}")
    print(f"[docker lab] {notebook} ran in {time.monotonic() - started:.0f} s")


def test_down_removes_every_container_and_volume(lab):
    lab.down(purge=True)
    assert _containers() == {}
    volumes = _docker("volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}")
    assert volumes.stdout.strip() == ""
    assert not lab.dir.exists()
