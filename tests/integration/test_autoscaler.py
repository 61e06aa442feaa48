"""The autoscaler on the real lab (issue 27.5): a backlog on inventario (its messages slowed by
the lab's delay fault, under load) makes it add members, and once the backlog is gone it goes
back to one; the checker finds nothing lost or doubled through both changes."""

from __future__ import annotations

import threading

import pytest

from boletia.lab import autoscaler
from boletia.lab.experiments import chaos

pytestmark = pytest.mark.integration
POLICY = autoscaler.Policy(target_lag=10, min_members=1, max_members=3, cooldown=2, stabilize_down=4)


@pytest.fixture
def runtime(lab):
    yield lab
    lab.scale("inventario", 1)
    lab.clear_faults()


@pytest.fixture
def scenario():
    yield lambda body: chaos.SCENARIOS.__setitem__(
        "test-autoscale", chaos.Scenario("test-autoscale", "test only", body, events=2, capacity=60))
    chaos.SCENARIOS.pop("test-autoscale", None)


def test_the_autoscaler_follows_the_lag_up_and_back_down_and_nothing_is_lost(runtime, scenario):
    said: list[str] = []

    def body(ctx):
        stop = threading.Event()
        thread = threading.Thread(target=autoscaler.run, args=(ctx.rt, "inventario", POLICY, stop),
                                  kwargs={"every": 1.0, "log": said.append}, daemon=True)

        def backlog():
            ctx.rt.slow_consumer("inventario", 0.2)   # 5 messages a second a member
            thread.start()
            ctx.wait(lambda: autoscaler.members_running(ctx.rt, "inventario") > 1, 90,
                     "the autoscaler adding a member of inventario")
            ctx.rt.slow_consumer("inventario", 0)
        try:
            chaos._under_load(ctx, backlog, after=1.0)
            ctx.wait(lambda: autoscaler.members_running(ctx.rt, "inventario") == 1
                     and any(" -> 1 member(s)" in line for line in said), 120,
                     "the autoscaler back to one member of inventario")
        finally:
            stop.set()
            ctx.rt.slow_consumer("inventario", 0)
            thread.join(30)
        ups = [line for line in said if "scale 1 -> " in line]
        ctx.fact("the autoscaler's decisions", lines=[line for line in said if "scale " in line])
        ctx.require("it scaled inventario up on the backlog", bool(ups), said=said[-10:])
        ctx.require("and back down to one once the backlog was gone",
                    any(" -> 1 member(s)" in line for line in said), said=said[-10:])

    scenario(body)
    summary = chaos.run("test-autoscale", "fixed", seed=9, rt=runtime)
    print("autoscale:", summary["seconds"], "s", summary["operations"], summary["evidence"])
    assert summary["verdict"] == "clean", summary
    assert summary["drain"]["drained"] and summary["operations"]["bookings_ok"] > 0
    assert all(r["held"] for r in summary["requirements"]), summary["requirements"]
    assert runtime.members("inventario") == 1
