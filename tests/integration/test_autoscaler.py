"""The autoscaler on the real lab (issue 27.5): the chaos scenario `autoscale-burst` slows
inventario's messages under load, so the autoscaler adds members on the lag, and once the
backlog is gone it goes back to one; the checker finds nothing lost or doubled through both
changes. (Lesson 08 runs the same scenario and plots it.)"""

from __future__ import annotations

import pytest

from boletia.lab.experiments import chaos

pytestmark = pytest.mark.integration


@pytest.fixture
def runtime(lab):
    yield lab
    lab.scale("inventario", 1)
    lab.clear_faults()


def test_the_autoscaler_follows_the_lag_up_and_back_down_and_nothing_is_lost(runtime):
    summary = chaos.run("autoscale-burst", "fixed", seed=9, rt=runtime)
    print("autoscale:", summary["seconds"], "s", summary["operations"],
          [{k: v for k, v in f.items() if k != "readings"} for f in summary["evidence"]])
    assert summary["verdict"] == "clean", summary
    assert summary["drain"]["drained"] and summary["operations"]["bookings_ok"] > 0
    assert all(r["held"] for r in summary["requirements"]), summary["requirements"]
    followed = next(f for f in summary["evidence"] if f["fact"] == "the autoscaler followed the burst")
    assert followed["most"] >= 2 and followed["readings"], followed
    assert runtime.members("inventario") == 1
