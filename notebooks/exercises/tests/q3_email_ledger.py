"""Otter-grader test for exercise 3 (`email_ledger`): the practice cases, then hidden ones.
Needs the lab's MongoDB running (the cases carry the writes out on a scratch database)."""

OK_FORMAT = True

_SETUP = (
    ">>> import types\n"
    ">>> from boletia import config\n"
    ">>> from boletia.lab.student import practice\n"
    ">>> mine = types.SimpleNamespace(refund=refund, booking_in=booking_in, email_ledger=email_ledger)\n"
)

test = {
    "name": "q3_email_ledger",
    "points": 3,
    "suites": [{
        "type": "doctest", "scored": True, "setup": "", "teardown": "",
        "cases": [
            {"hidden": False, "locked": False, "points": 2, "code": _SETUP + (
                ">>> failed = [r.case.name for r in practice.check(mine, config.settings(),"
                " ('email_ledger',))"
                " if not r.passed]\n"
                ">>> failed\n"
                "[]\n")},
            {"hidden": True, "locked": False, "points": 1, "code": _SETUP + (
                ">>> failed = [r.case.name for r in practice.check(mine, config.settings(),"
                " ('email_ledger',),"
                " hidden=True) if not r.passed]\n"
                ">>> failed\n"
                "[]\n")},
        ],
    }],
}
