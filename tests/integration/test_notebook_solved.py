"""Notebook 06 with the reference solution injected (every level's scenario clean, the nemesis
clean on the fixed design and catching the seed's refund), checked by the notebook's own asserts
under papermill, with no stored outputs to compare (its stored run is the untouched stubs:
tests/integration/test_notebooks.py). A file of its own: `make test`'s two workers take files
whole, and the lessons' worker is the longer one."""

from __future__ import annotations

from pathlib import Path

import papermill
import pytest

from tests.integration.test_notebooks import NOTEBOOKS, evidence

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "instructor" / "solution.py"
SOLVED = {"06-your-own-fix.ipynb": {"solution": str(SOLUTION), "expect_clean": True}}


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("notebook", sorted(SOLVED),
                         ids=[f"{n.removesuffix('.ipynb')}-solved" for n in SOLVED])
def test_notebook_with_the_reference_solution(lab, notebook):
    out = NOTEBOOKS / ("." + notebook.replace(".ipynb", "-solved.ipynb"))
    try:
        papermill.execute_notebook(str(NOTEBOOKS / notebook), str(out),
                                   parameters={"runtime": "local", **SOLVED[notebook]},
                                   cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=False)
    except papermill.PapermillExecutionError as exc:
        pytest.fail(f"{exc}\n{evidence(lab)}")
