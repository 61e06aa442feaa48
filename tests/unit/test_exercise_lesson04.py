"""Lesson 04's exercise check: the instructor's answer passes; the stub and wrong keys do not,
each told the idea it missed (never the code)."""

import importlib.util
from pathlib import Path

from boletia.lab.exercises.lesson04 import check_email_key, report

ROOT = Path(__file__).resolve().parents[2]


def _instructor():
    spec = importlib.util.spec_from_file_location("lesson04_answer", ROOT / "instructor" / "lesson04.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.email_key


def test_the_instructors_answer_is_right():
    right, line = check_email_key(_instructor())
    assert right and line.startswith("right:")


def test_a_tuple_key_is_right_too():
    assert check_email_key(lambda m: (m["value"]["_id"], m["value"]["estado"]))[0]


def test_the_untouched_stub_is_not_yet_and_does_not_raise(capsys):
    assert report(lambda m: None) is False
    assert capsys.readouterr().out.startswith("not yet: the key is None")


def test_an_offset_key_misses_the_republished_change():
    right, line = check_email_key(lambda m: (m["topic"], m["partition"], m["offset"]))
    assert not right and "position in the topic" in line


def test_a_reservation_only_key_misses_the_cancel_email():
    right, line = check_email_key(lambda m: m["value"]["_id"])
    assert not right and "email-missing" in line


def test_a_customer_key_joins_two_reservations():
    right, line = check_email_key(lambda m: (m["value"]["email"], m["value"]["estado"]))
    assert not right and "tell reservations apart" in line


def test_a_key_that_differs_per_delivery_misses_at_least_once():
    import itertools
    counter = itertools.count()
    right, line = check_email_key(lambda m: next(counter))
    assert not right and "at-least-once" in line


def test_a_student_error_is_one_line_not_a_traceback():
    right, line = check_email_key(lambda m: m["value"]["reserva"])
    assert not right and line == "not yet: email_key raised KeyError: 'reserva'"
