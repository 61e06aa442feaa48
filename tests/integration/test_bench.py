"""The open-loop benchmark, as a smoke test: a few seconds, one low rate, and a result of the
right shape. Speed is never asserted here: the benchmark prints, the README reports."""

from __future__ import annotations

import json

import pytest

from boletia.lab.experiments import bench

pytestmark = pytest.mark.integration


def test_the_benchmark_produces_a_well_formed_result(lab, tmp_path):
    result = bench.curve(lab, ["fixed"], [4], 2, ceiling_seconds=1, warmup_seconds=1,
                         lead_in_seconds=1)
    data, picture = bench.save(result, tmp_path)
    saved = json.loads(data.read_text())
    assert picture.stat().st_size > 1000
    assert saved["ceiling"]["bookings_per_s"] > 0 and saved["ceiling"]["writes_per_booking"] == 3
    assert set(saved["store"]) == {"reservas", "notificaciones", "oplog"}
    assert all(isinstance(n, int) and n >= 0 for n in saved["store"].values())
    (step,) = saved["steps"]
    assert step["design"] == "fixed" and step["sent"] == 8 and step["accepted"] == step["recorded"]
    assert step["lead_in_s"] == 1 and step["lead_in"]["sent"] == 4
    assert step["lead_in"]["accepted"] == step["lead_in"]["recorded"]
    assert [w["design"] for w in saved["warmups"]] == ["fixed"]
    for key in ("post_ms", "to_reservation_ms", "to_email_ms"):
        assert set(step[key]) == {"p50", "p95", "p99"}
    assert set(step["stages_ms"]) == set(bench.STAGES)
    assert set(saved["ratios"]["fixed"]) == {"highest_sustained_per_s", "fraction_of_ceiling",
                                             "p99_post_to_reservation_ms_at_half", "half_rate_used"}
    assert lab.design() == "fixed"
