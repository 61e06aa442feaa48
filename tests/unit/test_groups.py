"""Consumer groups of N members: names, instance ids, idle members, and growing a topic."""

from __future__ import annotations

import pytest

from boletia.lab import groups
from boletia.lab.errors import LabError


def test_each_member_has_its_own_instance_id_and_member_1_keeps_the_old_one():
    ids = [groups.group_instance_id("inventario", k) for k in range(1, groups.MAX_MEMBERS + 1)]
    assert ids[0] == "inventario-local"  # what a lab of one member always used
    assert len(set(ids)) == len(ids)
    assert [groups.member_name("inventario", k) for k in (1, 2, 3)] == [
        "inventario", "inventario-2", "inventario-3"]


@pytest.mark.parametrize("spec", ["inventario", "inventario=", "=2", "inventario=dos", "inventario=-1"])
def test_a_malformed_scale_says_what_to_write(spec):
    with pytest.raises(LabError, match="COMPONENT=N"):
        groups.parse_scale(spec)


@pytest.mark.parametrize("n", [0, groups.MAX_MEMBERS + 1])
def test_a_count_out_of_bounds_is_refused(n):
    with pytest.raises(LabError, match="between 1 and"):
        groups.parse_scale(f"inventario={n}")


def test_a_scale_is_parsed():
    assert groups.parse_scale("notificaciones=3") == ("notificaciones", 3)


def test_a_member_without_partitions_is_named_idle():
    rows = groups.member_rows("notificaciones", [
        {"instance": "notificaciones-local-2", "partitions": []},
        {"instance": "notificaciones-local",
         "partitions": [("boletia.reservas", 0), ("boletia.reservas", 1)]},
    ])
    assert [(r["instance"], r["partitions"], r["idle"]) for r in rows] == [
        ("notificaciones-local", ["boletia.reservas[0]", "boletia.reservas[1]"], False),
        ("notificaciones-local-2", [], True),
    ]


def test_a_topic_is_never_shrunk():
    with pytest.raises(LabError, match="cannot take partitions away"):
        groups.check_grow("boletia.reservas", 3, 2)
    with pytest.raises(LabError, match="nothing to do"):
        groups.check_grow("boletia.reservas", 3, 3)
    groups.check_grow("boletia.reservas", 3, 4)  # growing is allowed


@pytest.fixture
def fresh_settings():
    """Settings read again from the environment, and forgotten after the test."""
    from boletia import config

    config.settings.cache_clear()
    yield
    config.settings.cache_clear()


@pytest.mark.parametrize("component", ["inventario", "connect"])
def test_kind_says_not_yet(component, tmp_path, monkeypatch, fresh_settings):
    monkeypatch.setenv("BOLETIA_LAB_DIR", str(tmp_path))
    from boletia.lab.runtimes.factory import get_runtime

    with pytest.raises(LabError, match="not yet on kind: "):
        get_runtime("kind").scale(component, 2)


def test_a_docker_member_is_the_compose_container_with_its_own_identity():
    from boletia.lab.runtimes.docker import MEMBER_LABEL, MEMBER_NUMBER, NETWORK, member_container

    attrs = {"Config": {"Image": "boletia:lab", "Env": ["BOLETIA_KAFKA=kafka:9092", "BOLETIA_INSTANCE=x",
                                                        "BOLETIA_LAB_MEMBER=inventario"],
                        "Healthcheck": {"Interval": 2_000_000_000, "Retries": 30}},
             "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}},
             "Mounts": [{"Type": "volume", "Name": "boletia_lab", "Destination": "/lab"},
                        {"Type": "bind", "Source": "/etc/hosts", "Destination": "/etc/hosts"}]}
    args = member_container(attrs, "inventario", 3)
    assert args["image"] == "boletia:lab" and args["network"] == NETWORK
    assert sorted(args["environment"]) == ["BOLETIA_INSTANCE=local-3", "BOLETIA_KAFKA=kafka:9092",
                                           "BOLETIA_LAB_MEMBER=inventario-3"]
    assert args["volumes"] == {"boletia_lab": {"bind": "/lab", "mode": "rw"}}
    assert args["labels"][MEMBER_LABEL] == "inventario" and args["labels"][MEMBER_NUMBER] == "3"
    check = args["healthcheck"]
    assert check["interval"] == 2_000_000_000 and check["retries"] == 30
    assert "/lab/run/inventario-3.ready" in check["test"][-1]
    assert "/lab/run/inventario.stalled" in check["test"][-1]       # the group's, the watchdog's
    assert "boletia-service inventario" in args["command"][-1]
    assert "stalled" not in args["command"][-1]                      # member 1 clears the group's mark


def test_an_unreadable_assignment_is_unknown_not_idle():
    [row] = groups.member_rows("inventario", [{"instance": "inventario-local", "partitions": None}])
    assert row["partitions"] is None and row["idle"] is None


def test_the_local_runtime_lists_each_member_and_knows_its_name(tmp_path, monkeypatch,
                                                                fresh_settings):
    monkeypatch.setenv("BOLETIA_LAB_DIR", str(tmp_path))
    from boletia.lab.runtimes.local import LocalRuntime

    rt = LocalRuntime()
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "inventario-2.pid").write_text('{"pid": 1, "create_time": 0}')  # not ours
    rows = {s.name: s for s in rt.status()}
    assert rows["inventario-2"].state == "stopped"
    assert rows["inventario-2"].connection == "group inventario, instance local-2"
    assert rows["inventario-2"].log.endswith("logs/inventario-2.log")
    assert rt._member("inventario-2") == (rt._component("inventario"), 2)
    assert rt._member("kafka-2") is None and rt._member("inventario-1") is None
    (tmp_path / "run" / "connect-2.pid").write_text('{"pid": 1, "create_time": 0}')
    rows = {s.name: s for s in rt.status()}
    assert rows["connect-2"].kind == "connect"
    assert rows["connect-2"].connection == f"http://127.0.0.1:{rt.settings.ports.connect + 100}"
    assert rt._member("connect-2") == (rt._component("connect"), 2)
    assert rt._member("connect-4") is None  # beyond MAX_WORKERS
    (tmp_path / "run" / "reservas-2.pid").write_text('{"pid": 1, "create_time": 0}')
    rows = {s.name: s for s in rt.status()}
    assert rows["reservas-2"].kind == "service" and rows["reservas-2"].member_id == "reservas-2"
    assert rows["reservas-2"].ports == rows["reservas"].ports  # one address, shared
    assert rows["reservas-2"].connection == f"{rt.settings.reservas_url} (shared by its replicas)"
    assert rt._member("reservas-2") == (rt._component("reservas"), 2)
    assert rt._member("reservas-5") is None  # beyond MAX_REPLICAS
    with pytest.raises(LabError, match="mongo does not scale here; what scales: .*connect, eventos, "
                                       "reservas"):
        rt.scale("mongo", 2)


def test_an_api_scales_to_replicas_within_its_bound_and_says_so():
    assert groups.parse_scale("reservas=4") == ("reservas", 4)
    with pytest.raises(LabError, match="an API runs between 1 and 4 replicas"):
        groups.parse_scale("eventos=5")


# `docker inspect` of the compose container reservas, trimmed to what a replica is made from
RESERVAS_ATTRS = {
    "Id": "b" * 64,
    "Config": {"Image": "boletia-lab/boletia:offline",
               "Cmd": ["boletia-service", "reservas", "--host", "0.0.0.0"],
               "Env": ["BOLETIA_DESIGN=fixed", "BOLETIA_REPLICA=stale", "BOLETIA_BOOKING_KEY=k"]},
    "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}},
    "Mounts": [{"Type": "volume", "Name": "boletia-lab_lab", "Destination": "/lab"},
               {"Type": "bind", "Source": "/etc/x", "Destination": "/x"}],
    "State": {"StartedAt": "2026-12-07T02:00:00.5Z"},
}


def test_a_docker_api_replica_runs_in_replica_1s_network_as_its_named_member():
    """Replica k of an API on docker: the API's image and command, its environment with the
    replica's own name, the lab volume, and replica 1's network namespace (so it binds the one
    published port, SO_REUSEPORT); labelled as a member so status and the verbs find it."""
    from boletia.lab.runtimes import docker

    args = docker.replica_container(RESERVAS_ATTRS, RESERVAS_ATTRS["Id"], "reservas", 2)
    assert args["network_mode"] == f"container:{'b' * 64}" and "network" not in args and "ports" not in args
    assert args["command"] == ["boletia-service", "reservas", "--host", "0.0.0.0"]
    assert args["environment"] == ["BOLETIA_DESIGN=fixed", "BOLETIA_BOOKING_KEY=k",
                                   "BOLETIA_REPLICA=reservas-2"]
    assert args["volumes"] == {"boletia-lab_lab": {"bind": "/lab", "mode": "rw"}}
    assert args["labels"][docker.MEMBER_LABEL] == "reservas" and args["labels"][docker.MEMBER_NUMBER] == "2"
    assert args["name"] == f"{docker.PROJECT}-reservas-2-1"
    assert "reservas" in docker.SCALABLE and "eventos" in docker.SCALABLE


def test_a_docker_replica_started_before_replica_1_restarted_holds_a_dead_network():
    """A restarted replica 1 gets a new network namespace: a replica started before it, or made
    for a container compose has replaced since, must be made again (`scale` does)."""
    from boletia.lab.runtimes import docker

    def replica(mode, started):
        return {"HostConfig": {"NetworkMode": mode}, "State": {"StartedAt": started}}

    mine = f"container:{'b' * 64}"
    assert docker.joined(replica(mine, "2026-12-07T02:00:01Z"), RESERVAS_ATTRS)
    # the engine drops a fraction's trailing zeros: ".50001Z" < ".5Z" as text, later as a time
    assert docker.joined(replica(mine, "2026-12-07T02:00:00.50001Z"), RESERVAS_ATTRS)
    assert not docker.joined(replica(mine, "2026-12-07T02:00:00.49999Z"), RESERVAS_ATTRS)
    assert not docker.joined(replica(mine, "2026-12-07T01:59:59Z"), RESERVAS_ATTRS)
    assert not docker.joined(replica(f"container:{'c' * 64}", "2026-12-07T02:00:01Z"), RESERVAS_ATTRS)


def test_a_replica_is_told_its_name_and_only_services_are(tmp_path, monkeypatch, fresh_settings):
    monkeypatch.setenv("BOLETIA_LAB_DIR", str(tmp_path))
    from boletia import config
    from boletia.lab.components import BY_NAME
    from boletia.lab.runtimes.local import commands
    from boletia.lab.runtimes.local.storage import LabFiles

    s = config.settings()
    files = LabFiles(s.lab_dir)
    env = lambda name, k: commands.environment(BY_NAME[name], s, files, "fixed", member=k)  # noqa: E731
    assert env("reservas", 2)["BOLETIA_REPLICA"] == "reservas-2"
    assert env("eventos", 1)["BOLETIA_REPLICA"] == "eventos"
    assert "BOLETIA_REPLICA" not in env("inventario", 2)


def test_connect_scales_to_three_workers_and_says_so():
    assert groups.parse_scale("connect=3") == ("connect", 3)
    with pytest.raises(LabError, match="Connect runs between 1 and 3 workers"):
        groups.parse_scale("connect=4")


# Connect's `GET /connectors?expand=status`, trimmed: two workers share three connectors
STATUSES = {
    "mongo-sink": {"status": {"name": "mongo-sink", "type": "sink",
                              "connector": {"state": "RUNNING", "worker_id": "127.0.0.1:8183"},
                              "tasks": [{"id": 0, "state": "RUNNING", "worker_id": "127.0.0.1:8183"}]}},
    "mongo-source": {"status": {"name": "mongo-source", "type": "source",
                                "connector": {"state": "RUNNING", "worker_id": "127.0.0.1:8083"},
                                "tasks": [{"id": 0, "state": "RUNNING", "worker_id": "127.0.0.1:8083"}]}},
    "mongo-source-inventario": {"status": {
        "name": "mongo-source-inventario", "type": "source",
        "connector": {"state": "RUNNING", "worker_id": "127.0.0.1:8083"},
        "tasks": [{"id": 0, "state": "UNASSIGNED", "worker_id": "127.0.0.1:8183"}]}},
}


def test_each_worker_is_listed_with_the_connectors_and_tasks_it_runs():
    assert groups.worker_holdings(STATUSES) == {
        "127.0.0.1:8083": ["mongo-source", "mongo-source-inventario", "mongo-source/0"],
        "127.0.0.1:8183": ["mongo-sink", "mongo-sink/0", "mongo-source-inventario/0"],
    }


def test_a_task_not_running_has_no_worker_yet():
    assert groups.task_worker(STATUSES, "mongo-source") == "127.0.0.1:8083"
    assert groups.task_worker(STATUSES, "mongo-source-inventario") is None  # UNASSIGNED
    assert groups.task_worker(STATUSES, "no-such-connector") is None


def test_connect_workers_ports_collide_with_no_other_port_of_this_lab_or_a_shifted_one():
    from boletia.config import Ports

    for offset in (0, 1000, 2000):
        ports = Ports().shifted(offset)
        workers = {ports.connect_worker(k) for k in range(1, groups.MAX_WORKERS + 1)}
        assert len(workers) == groups.MAX_WORKERS
        for other in (0, 1000, 2000):
            o = Ports().shifted(other)
            others = {o.mongo, o.ses, *o.kafka, *o.controllers, o.eventos, o.reservas, o.ui}
            assert not workers & others, (offset, other)
            if other != offset:
                assert not workers & {o.connect_worker(k) for k in range(1, groups.MAX_WORKERS + 1)}


def test_a_docker_worker_is_the_connect_container_under_its_own_name():
    from boletia.lab.runtimes.docker import MEMBER_NUMBER, member_container, worker_id

    check = ["CMD-SHELL", "wget -qO- http://localhost:8083/connector-plugins | grep -q Mongo"]
    attrs = {"Config": {"Image": "boletia-connect:lab", "Cmd": ["bash", "-c", "..."],
                        "Env": ["KAFKA_HEAP_OPTS=-Xmx768m", "CONNECT_ADVERTISED_HOST=connect"],
                        "Healthcheck": {"Test": check, "Interval": 5_000_000_000}},
             "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}}, "Mounts": []}
    args = member_container(attrs, "connect", 2)
    assert args["hostname"] == "connect-2" and args["labels"][MEMBER_NUMBER] == "2"
    assert sorted(args["environment"]) == ["CONNECT_ADVERTISED_HOST=connect-2", "KAFKA_HEAP_OPTS=-Xmx768m"]
    assert "command" not in args                                   # the image's: a Connect worker
    assert args["healthcheck"] == {"test": check, "interval": 5_000_000_000}
    assert worker_id(1) == "connect:8083" and worker_id(2) == "connect-2:8083"


def test_a_crash_on_a_topic_the_consumer_does_not_read_is_refused_naming_who_reads_it():
    """`lab crash inventario --topic boletia.reservas` was the seed's refund crash: since the
    split inventario never reads that topic, so the crash would wait forever unseen."""
    groups.check_crash_topic("inventario", None)
    groups.check_crash_topic("inventario", "boletia.inventario")
    groups.check_crash_topic("reembolsos-2", "boletia.reservas")   # a member of a scaled consumer
    with pytest.raises(LabError, match=r"inventario does not read boletia.reservas \(it reads "
                                       r"boletia.inventario\).*read by reembolsos, notificaciones"):
        groups.check_crash_topic("inventario", "boletia.reservas")
