"""A consumer as N members of its group on the real lab (issue 27): under load the members
share the partitions (each topic has 3: `adapters/kafka.PARTITIONS`), a member beyond the
partition count is idle, and the checker finds nothing lost or doubled through a scale-up and
a scale-down."""

from __future__ import annotations

import pytest
import requests

from boletia.adapters import kafka
from boletia.lab import groups
from boletia.lab.experiments import chaos

pytestmark = pytest.mark.integration


def _members(lab, group: str) -> list[dict]:
    return groups.member_rows(group, kafka.group_members(lab.settings.kafka_bootstrap, [group])[group])


@pytest.fixture
def runtime(lab):
    yield lab
    for consumer in ("inventario", "notificaciones", "reservas"):
        lab.scale(consumer, 1)
    lab.clear_faults()


@pytest.fixture
def scenario():
    added = []

    def add(name, body):
        chaos.SCENARIOS[name] = chaos.Scenario(name, "test only", body, events=2, capacity=30)
        added.append(name)
    yield add
    for name in added:
        chaos.SCENARIOS.pop(name, None)


def test_scale_inventario_up_then_down_under_load_is_clean(runtime, scenario):
    def up(ctx):
        def inject():
            ctx.rt.scale("inventario", 2)
            rows = _members(ctx.rt, "inventario")
            ctx.fact("inventario scaled to 2", members={r["instance"]: r["partitions"] for r in rows})
            ctx.require("both members of inventario hold partitions",
                        len(rows) == 2 and not any(r["idle"] for r in rows), rows=rows)
        ctx.during_load(inject, delay=1.0, customers=4, operations=8)

    def down(ctx):
        def inject():
            ctx.rt.scale("inventario", 1)
            rows = _members(ctx.rt, "inventario")
            ctx.require("inventario is one member holding all 6 partitions",
                        len(rows) == 1 and len(rows[0]["partitions"]) == 6, rows=rows)
        ctx.during_load(inject, delay=1.0, customers=4, operations=8)

    scenario("test-scale-up", up)
    scenario("test-scale-down", down)
    summary = chaos.run("test-scale-up", "fixed", seed=7, rt=runtime)
    assert summary["verdict"] == "clean", summary
    assert summary["drain"]["drained"] and summary["operations"]["bookings_ok"] > 0
    print("scale-up:", summary["seconds"], "s", summary["operations"], summary["evidence"])
    assert runtime.members("inventario") == 2
    assert [s.name for s in runtime.status() if s.name.startswith("inventario")] == [
        "inventario", "inventario-2"]
    summary = chaos.run("test-scale-down", "fixed", seed=8, rt=runtime)
    assert summary["verdict"] == "clean", summary
    assert summary["drain"]["drained"] and summary["operations"]["bookings_ok"] > 0
    print("scale-down:", summary["seconds"], "s", summary["operations"])
    assert runtime.members("inventario") == 1


def test_a_member_beyond_the_partitions_is_idle(runtime):
    runtime.scale("notificaciones", 4)  # boletia.reservas has 3 partitions
    rows = _members(runtime, "notificaciones")
    assert [r["instance"] for r in rows] == [groups.group_instance_id("notificaciones", k)
                                             for k in range(1, 5)]
    assert sum(r["idle"] for r in rows) == 1
    assert sorted(p for r in rows for p in r["partitions"]) == [
        f"boletia.reservas[{p}]" for p in range(3)]


def _answering(url: str, probes: int = 40) -> dict[str, int]:
    """Which replica answers each new connection to one address."""
    seen: dict[str, int] = {}
    for _ in range(probes):
        with requests.Session() as session:
            try:
                replica = session.get(f"{url}/health", timeout=3).json()["replica"]
            except requests.RequestException:
                replica = "(no answer)"
        seen[replica] = seen.get(replica, 0) + 1
    return seen


def test_an_api_scales_to_replicas_on_one_address_and_a_killed_one_loses_nothing(runtime, scenario):
    """reservas as 3 processes on its one port under load: every replica answers the address,
    a killed one leaves it to the others, and every booking answered 200 has its reservation."""
    url = runtime.settings.reservas_url

    def body(ctx):
        def inject():
            ctx.rt.scale("reservas", 3)
            before = _answering(url)
            ctx.fact("reservas scaled to 3 on one address", answered=before)
            ctx.require("all 3 replicas answer reservas' address",
                        set(before) == {"reservas", "reservas-2", "reservas-3"}, answered=before)
            ctx.rt.kill("reservas-2")
            after = _answering(url)
            ctx.fact("reservas-2 killed", answered=after)
            ctx.require("the address is answered by the other two alone",
                        set(after) == {"reservas", "reservas-3"}, answered=after)
        ctx.during_load(inject, delay=1.0, customers=4, operations=10)

    scenario("test-api-replicas", body)
    summary = chaos.run("test-api-replicas", "fixed", seed=11, rt=runtime)
    print("api replicas:", summary["seconds"], "s", summary["operations"], summary["evidence"])
    assert summary["verdict"] == "clean", summary
    assert summary["drain"]["drained"] and summary["operations"]["bookings_ok"] > 0
    rows = {s.name: s for s in runtime.status() if s.name.startswith("reservas")}
    assert rows["reservas-2"].state == "stopped" and rows["reservas-3"].state == "running"
    runtime.scale("reservas", 1)
    assert runtime.members("reservas") == 1 and set(_answering(url, 10)) == {"reservas"}
