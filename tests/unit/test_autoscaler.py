"""The autoscaler's policy, pure: KEDA's count, the partitions' cap, cooldown and the
stabilisation window before scaling down (no Kafka, no process)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from boletia.lab import autoscaler
from boletia.lab.autoscaler import Autoscaler, Policy
from boletia.lab.errors import LabError

POLICY = Policy(target_lag=50, min_members=1, max_members=3, cooldown=10, stabilize_down=20)


def test_the_count_is_kedas_within_the_bounds_and_the_partitions():
    s = Autoscaler(POLICY)
    assert [s.wanted(lag, 6) for lag in (0, 1, 50, 51, 100, 101, 10_000)] == [1, 1, 1, 2, 2, 3, 3]
    assert s.wanted(10_000, 2) == 2    # a third member would hold no partition: idle
    assert Autoscaler(Policy(min_members=2, max_members=3)).wanted(0, 6) == 2


def test_up_at_once_down_only_after_the_window_and_never_within_the_cooldown():
    s = Autoscaler(POLICY)
    up = s.observe(0, lag=140, partitions=6, members=1)
    assert (up.members, up.to) == (1, 3) and "over the target of 50" in up.why
    assert s.observe(5, lag=400, partitions=6, members=3) is None      # at the max already
    assert s.observe(12, lag=0, partitions=6, members=3) is None       # low: the window starts
    assert s.observe(25, lag=0, partitions=6, members=3) is None       # 13 s of it: not yet
    assert s.observe(26, lag=120, partitions=6, members=3) is None     # wanted 3 again: window reset
    assert s.observe(30, lag=0, partitions=6, members=3) is None       # starts again at 30
    down = s.observe(50, lag=0, partitions=6, members=3)
    assert (down.members, down.to) == (3, 1) and "for 20s" in down.why
    assert s.observe(55, lag=120, partitions=6, members=1) is None     # within the cooldown
    again = s.observe(61, lag=120, partitions=6, members=1)
    assert (again.members, again.to) == (1, 3)
    assert [(d.members, d.to) for d in s.decisions] == [(1, 3), (3, 1), (1, 3)]


def test_a_policy_that_cannot_hold_is_refused_with_its_numbers():
    with pytest.raises(LabError, match="min <= max: not min 3, max 2"):
        Policy(min_members=3, max_members=2)
    with pytest.raises(LabError, match="at least 1 message"):
        Policy(target_lag=0)


def test_members_are_counted_from_the_status_rows():
    rows = [SimpleNamespace(name=n, state=s) for n, s in (
        ("inventario", "running"), ("inventario-2", "running"), ("inventario-3", "stopped"),
        ("notificaciones", "running"), ("inventario-x", "running"))]
    rt = SimpleNamespace(status=lambda: rows)
    assert autoscaler.members_running(rt, "inventario") == 2


def test_only_a_consumer_is_scaled():
    import threading
    with pytest.raises(LabError, match="scales a consumer"):
        autoscaler.run(SimpleNamespace(), "reservas", POLICY, threading.Event())


def test_the_keda_scaledobject_states_the_same_policy_and_fits_kedas_schema():
    import jsonschema
    import yaml

    k8s = Path(__file__).resolve().parents[2] / "k8s"
    obj = yaml.safe_load((k8s / "keda" / "scaledobject-inventario.yaml").read_text())
    crd = next(d for d in yaml.safe_load_all((k8s / "keda" / "keda.sh_scaledobjects.crd.yaml").read_text())
               if d and d.get("kind") == "CustomResourceDefinition")
    version = next(v for v in crd["spec"]["versions"] if v["name"] == obj["apiVersion"].split("/")[1])
    jsonschema.validate(obj, version["schema"]["openAPIV3Schema"])
    spec, policy = obj["spec"], autoscaler.Policy()
    trigger = spec["triggers"][0]["metadata"]
    behaviour = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (policy.min_members, policy.max_members)
    assert int(trigger["lagThreshold"]) == policy.target_lag and trigger["allowIdleConsumers"] == "false"
    assert behaviour["scaleDown"]["stabilizationWindowSeconds"] == policy.stabilize_down
    assert behaviour["scaleUp"]["policies"][0]["periodSeconds"] == policy.cooldown
    assert trigger["consumerGroup"] == spec["scaleTargetRef"]["name"] == "inventario"
    assert "topic" not in trigger    # every topic the group reads, as the lab's autoscaler sums them
    deployment = (k8s / "boletia.yaml").read_text()
    assert trigger["bootstrapServers"] in deployment
    with pytest.raises(jsonschema.ValidationError):   # the schema does judge: a wrong type fails
        jsonschema.validate({**obj, "spec": {**spec, "minReplicaCount": "one"}},
                            version["schema"]["openAPIV3Schema"])
