"""A consumer as N members of its group on the real lab (issue 27): under load the members
share the partitions (each topic has 3: `adapters/kafka.PARTITIONS`), a member beyond the
partition count is idle, and the checker finds nothing lost or doubled through a scale-up and
a scale-down."""

from __future__ import annotations

import time

import pytest

from boletia.adapters import kafka
from boletia.lab import groups
from boletia.lab.experiments import chaos

pytestmark = pytest.mark.integration


def _members(lab, group: str) -> list[dict]:
    return groups.member_rows(group, kafka.group_members(lab.settings.kafka_bootstrap, [group])[group])


@pytest.fixture
def runtime(lab):
    yield lab
    for consumer in ("inventario", "reembolsos", "notificaciones", "reservas"):
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
            ctx.require("inventario is one member holding all 3 partitions",
                        len(rows) == 1 and len(rows[0]["partitions"]) == 3, rows=rows)
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


def test_a_member_beyond_the_partitions_is_idle_and_says_who_holds_them(runtime):
    names = [groups.member_name("notificaciones", k) for k in range(1, 5)]
    logs = {n: runtime.files.log_file(n) for n in names}
    marks = {n: p.stat().st_size if p.exists() else 0 for n, p in logs.items()}
    runtime.scale("notificaciones", 4)  # boletia.reservas has 3 partitions
    rows = _members(runtime, "notificaciones")
    assert [r["instance"] for r in rows] == [groups.group_instance_id("notificaciones", k)
                                             for k in range(1, 5)]
    assert sum(r["idle"] for r in rows) == 1
    assert sorted(p for r in rows for p in r["partitions"]) == [
        f"boletia.reservas[{p}]" for p in range(3)]
    # the idle member asked the group (as its own Kafka user) and found every partition held
    idle = names[[r["idle"] for r in rows].index(True)]

    def said(n: str, what: str) -> list[str]:
        return [line for line in runtime.logs(n, since=marks[n], lines=0).splitlines() if what in line]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not said(idle, "idle boletia.reservas: "):
        time.sleep(1)
    idle_lines = {n: said(n, "idle boletia.reservas: every partition has an owner") for n in names}
    assert [n for n, lines in idle_lines.items() if lines] == [idle], idle_lines
    assert all(groups.group_instance_id("notificaciones", k) in idle_lines[idle][0] for k in range(1, 5))
    assert not any(said(n, "rejoin notificaciones") for n in names)



def test_the_autoscaler_caps_members_at_the_largest_topics_partitions_not_their_sum(lab):
    """Each consumer reads topics of 3 partitions (one since inventario was split; the seed's
    inventario read two): with `range` a fourth member idles (above), so the autoscaler asks for
    at most 3, never the sum (lesson 08's reviewer saw the sum)."""
    from boletia.lab import autoscaler
    from boletia.lab.components import BY_NAME, CONSUMERS

    for consumer in CONSUMERS:
        comp = BY_NAME[consumer]
        lag, most = autoscaler.group_lag(lab.settings.kafka_bootstrap, comp.group, comp.topics)
        assert most == 3 and lag >= 0, (consumer, lag, most)
    # a group over two topics of 3 (the seed's inventario, before the split): still 3, not 6
    lag, most = autoscaler.group_lag(lab.settings.kafka_bootstrap, "inventario",
                                     ("boletia.inventario", "boletia.reservas"))
    assert most == 3 and lag >= 0, (lag, most)


def test_an_api_scales_to_replicas_on_one_address_and_a_killed_one_loses_nothing(runtime):
    """reservas as 3 processes on its one port under load: every replica answers the address,
    a killed one leaves it to the others, and every booking answered 200 has its reservation."""
    summary = chaos.run("api-replica-kill", "fixed", seed=11, rt=runtime)
    print("api-replica-kill:", summary["seconds"], "s", summary["operations"], summary["evidence"])
    assert summary["verdict"] == "clean", summary
    assert summary["requirements"] and all(r["held"] for r in summary["requirements"]), summary
    assert summary["drain"]["drained"] and summary["operations"]["bookings_ok"] > 0
    assert runtime.members("reservas") == 1
    assert set(chaos.answering(runtime.settings.reservas_url, 10)) == {"reservas"}
