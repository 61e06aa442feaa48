"""Every lesson, headless, executed ONCE against the real lab and checked against its committed
reference outputs: papermill only injects the parameters (prepare_only), then nbval (strict)
executes that copy and compares every cell's output with the one stored in the lesson, except
the cells tagged nbval-ignore-output, each with its reason in its metadata (ids, timings, plots);
the sanitizers turn this machine's paths, ports and tokens into markers on both sides. A failing
cell fails the test. The references are refreshed with `boletia notebooks refresh`
(boletia/lab/notebook/references.py), which the unit tests check."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import papermill
import pytest

from boletia.lab.components import CONSUMERS
from boletia.lab.notebook import references

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
LESSONS = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))

SOLUTION = ROOT / "instructor" / "solution.py"
# 06 runs twice: its reference (stored) run is the untouched stubs, every scenario catching
# them, checked by nbval; the run with the reference solution injected (every scenario clean,
# the nemesis clean on the fixed design and catching the seed's refund) is checked by the
# notebook's own asserts, under papermill, with no stored outputs to compare. Both in this file:
# the other worker's files took longer than the lessons with it (a clone run: 1583 s against
# about 1160 s for the lessons when it ran there).
SOLVED = {"06-your-own-fix.ipynb": {"solution": str(SOLUTION), "expect_clean": True}}


# a lesson runs once here; 04 took 559-831 s on a quiet machine, more under load: the bound
# stays generous, per lesson
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("notebook", LESSONS, ids=[n.removesuffix(".ipynb") for n in LESSONS])
def test_notebook_matches_its_reference_outputs(lab, notebook, tmp_path):
    lesson = NOTEBOOKS / notebook
    params = {"runtime": "local", **references.REFERENCE_PARAMS.get(lesson.stem, {})}
    # the prepared copy sits beside the lesson (hidden, ignored by git): nbval starts its kernel
    # in the notebook's own folder, so relative paths resolve as they do in JupyterLab
    out = NOTEBOOKS / ("." + notebook)
    papermill.execute_notebook(str(lesson), str(out), parameters=params, prepare_only=True,
                               kernel_name="python3")
    rules = tmp_path / "sanitize.cfg"
    rules.write_text(references.sanitizers(references.machine_roots(ROOT, lab.settings.lab_dir)))
    begun = time.monotonic()
    check = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", str(rules), "-p", "no:cacheprovider", "-o", "addopts=", str(out)],
        capture_output=True, text=True, cwd=NOTEBOOKS, timeout=1700)
    print(f"{notebook}: nbval {time.monotonic() - begun:.0f}s")
    # the failing cell last: a CI log shows the end of a long message (the logs before it)
    assert check.returncode == 0, evidence(lab) + "\n" + check.stderr[-2000:] + first_failure(check.stdout)


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


def first_failure(report: str) -> str:
    """nbval's report of the FIRST failing cell (the later ones usually fail because of it) and
    its summary lines: the tail alone hid the cause when a long cell failed first."""
    sections = re.split(r"(?m)^(?=_{5,} .* _{5,}$)", report)
    failing = [s for s in sections[1:] if "Cell" in s.splitlines()[0]]
    summary = report[report.find("short test summary"):] if "short test summary" in report else ""
    return (failing[0][:6000] if failing else report[-4000:]) + "\n" + summary[-2000:]


def evidence(lab) -> str:
    """What a failed lesson leaves to read: each component's state, and the end of the log
    of every consumer and of anything that is not running."""
    states = {c.name: c.state for c in lab.status()}
    show = [n for n, state in states.items() if state != "running"]
    show += [n for n in CONSUMERS if n not in show]
    logs = "".join(f"\n--- {n} ({states[n]}), last lines of its log:\n{lab.logs(n, 40)}"
                   for n in show)
    return f"\ncomponent states: {states}{logs}"
