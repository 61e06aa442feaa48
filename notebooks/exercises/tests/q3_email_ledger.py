"""Otter-grader test for exercise 3 (`email_ledger`): the practice cases, then hidden ones.
Needs the lab's MongoDB running (the cases carry the writes out on a scratch database)."""

from boletia.lab.student.grading import otter_test

OK_FORMAT = True

test = otter_test("q3_email_ledger", "email_ledger", points=3)
