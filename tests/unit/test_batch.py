"""The batch runner's grid, without running anything."""

import pytest

from boletia.lab.notebook.batch import parse_grid


def test_a_grid_takes_lists_and_ranges():
    assert parse_grid(["design=seed,fixed", "seed=1-3"]) == {"design": ["seed", "fixed"], "seed": [1, 2, 3]}
    assert parse_grid(["rate=5,-1"]) == {"rate": [5, -1]}
    assert parse_grid([]) == {}


@pytest.mark.parametrize("bad", ["design", "=seed", "design="])
def test_a_bad_axis_says_how_to_write_it(bad):
    with pytest.raises(ValueError, match="NAME=v1,v2"):
        parse_grid([bad])
