"""Writing a plot file must not change the notebook's matplotlib backend: `bench.plot` once
switched it to Agg, and every later `plt.show()` in notebook 05 showed nothing."""

import matplotlib
import pytest

from boletia.lab.experiments import bench
from boletia.lab.notebook import batch


@pytest.fixture
def svg_backend():
    before = matplotlib.get_backend()
    matplotlib.use("svg")   # stands for the notebook's inline backend
    yield
    matplotlib.use(before)


def test_the_bench_plot_keeps_the_backend(svg_backend, tmp_path):
    step = {"design": "fixed", "rate": 20.0, "drained_per_s": 20.0,
            "to_reservation_ms": {"p50": 20.0, "p95": 40.0, "p99": 50.0}}
    path = bench.plot({"steps": [step], "ceiling": {"bookings_per_s": 250.0}}, tmp_path / "b.png")
    assert path.stat().st_size > 1000
    assert matplotlib.get_backend() == "svg"


def test_the_batch_plot_keeps_the_backend(svg_backend, tmp_path):
    rows = [{"seed": 1, "lost": 2, "design": "seed"}, {"seed": 2, "lost": 0, "design": "seed"}]
    path = batch.plot(rows, "seed", "lost", "design", tmp_path / "p.png")
    assert path.stat().st_size > 1000
    assert matplotlib.get_backend() == "svg"
