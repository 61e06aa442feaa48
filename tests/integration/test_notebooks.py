"""Every lesson, headless: papermill executes it against the real lab (a failing cell fails
the test), then nbval runs the executed notebook again and compares the outputs of the cells
marked NBVAL_CHECK_OUTPUT (counts, states, verdicts). Cells whose output varies between runs
(ids, times, plots) are not compared."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import papermill
import pytest

from boletia.lab.components import CONSUMERS

pytestmark = pytest.mark.integration
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


SOLUTION = Path(__file__).resolve().parents[2] / "instructor" / "solution.py"
# The student notebook runs twice: with the reference solution injected (every scenario
# clean) and with the untouched stubs (every scenario must catch the seed's behaviour).
EXTRA = {"06-your-own-fix.ipynb": [("reference", {"solution": str(SOLUTION), "expect_clean": True}),
                                   ("stubs", {"expect_clean": False})]}
RUNS = [(name, label, params) for name in sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
        for label, params in EXTRA.get(name, [("", {})])]


# a lesson runs twice here (papermill, then nbval): 04 took 559-831 s on a quiet machine, more
# than pytest's 900 s default on a loaded one; the bound stays, per lesson
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("notebook,label,params", RUNS,
                         ids=[f"{n}{'-' + label if label else ''}" for n, label, _ in RUNS])
def test_notebook(lab, notebook, label, params):
    # the executed copy sits beside the lesson (hidden, ignored by git): nbval starts its kernel
    # in the notebook's own folder, so relative paths resolve as they did under papermill
    out = NOTEBOOKS / ("." + (notebook.replace(".ipynb", f"-{label}.ipynb") if label else notebook))
    begun = time.monotonic()
    try:
        papermill.execute_notebook(str(NOTEBOOKS / notebook), str(out),
                                   parameters={"runtime": "local", **params}, cwd=str(NOTEBOOKS),
                                   kernel_name="python3", progress_bar=False)
    except papermill.PapermillExecutionError as exc:
        pytest.fail(f"{exc}\n{evidence(lab)}")
    first = time.monotonic() - begun
    check = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--nbval-lax", "--nbval-current-env",
         "-p", "no:cacheprovider", "-o", "addopts=", str(out)],
        capture_output=True, text=True, cwd=NOTEBOOKS, timeout=1200)
    print(f"{notebook}: papermill {first:.0f}s, nbval {time.monotonic() - begun - first:.0f}s")
    # the failing cell last: a CI log shows the end of a long message (the logs before it)
    code = check.returncode
    assert code == 0, evidence(lab) + "\n" + check.stderr[-2000:] + first_failure(check.stdout)


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
