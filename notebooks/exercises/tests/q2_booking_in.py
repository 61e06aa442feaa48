"""Otter-grader test for exercise 2 (`booking_in`): the practice cases, then hidden ones.
Needs the lab's MongoDB running (the cases carry the writes out on a scratch database)."""

from boletia.lab.student.grading import otter_test

OK_FORMAT = True

test = otter_test("q2_booking_in", "booking_in", points=3)
