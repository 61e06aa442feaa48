"""What the lessons print and draw, as a student reads it: log lines without raw exception
reprs, batch results as titled dots (separate runs are not joined by a line), and a sampler's
marks named in the legend rather than written over the lines."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from boletia.lab.notebook import batch  # noqa: E402
from boletia.lab.notebook.lesson import readable  # noqa: E402
from boletia.lab.notebook.observe import Sampler  # noqa: E402


def test_a_log_line_reads_without_its_stamp_and_without_the_exception_repr():
    line = ("2026-11-28T12:00:01.123+00:00 retry boletia.inventario[1]@57: attempt 1 failed: "
            "WriteError(\"Failing command via 'failCommand' failpoint\", 91, {'ok': 0.0, 'code': 91, "
            "'errmsg': 'Failing command', 'errorLabels': ['RetryableWriteError']})")
    assert readable(line) == ("retry boletia.inventario[1]@57: attempt 1 failed: "
                              "WriteError: Failing command via 'failCommand' failpoint")
    assert readable("skipped x[0]@1: " + "y" * 300, width=40).endswith("…")
    assert len(readable("skipped x[0]@1: " + "y" * 300, width=40)) == 40
    # the repr of a message with quotes in it escapes them (as pymongo's OperationFailure does)
    escaped = "retry a[0]@1: OperationFailure('Failing command via \\'failCommand\\' failpoint', 91, {})"
    assert readable(escaped) == "retry a[0]@1: OperationFailure: Failing command via 'failCommand' failpoint"


def test_batch_results_are_titled_dots_one_colour_per_group():
    rows = [{"design": d, "seed": s, "lost": s % 2 if d == "seed" else 0}
            for d in ("seed", "fixed") for s in (1, 2, 3)]
    ax = Figure().subplots()
    batch.draw(ax, rows, "seed", "lost", "design", "lost per run")
    assert len(ax.lines) == 0 and len(ax.collections) == 2         # dots, no line between runs
    assert ax.get_title() == "lost per run"
    assert ax.get_xlabel() == "seed of the run" and "lost" in ax.get_ylabel()
    assert ax.get_ylim()[0] < 0                                  # a dot at 0 stays visible


def test_a_sampler_names_its_marks_in_the_legend_and_keeps_zero_visible():
    s = Sampler.__new__(Sampler)
    s.series, s.t = {"busy": [0, 3, 5, 0], "idle": [0, 0, 0, 0]}, [0, 1, 2, 3]
    s.marks = [(0.5, "load starts"), (2.5, "load ends")]
    ax = s.plot("lag", "messages", ax=Figure().subplots())
    assert len(ax.texts) == 0                                  # nothing written over the lines
    assert [t.get_text() for t in ax.get_legend().get_texts()][-2:] == ["load starts (0.5 s)",
                                                                        "load ends (2.5 s)"]
    assert ax.get_ylim()[0] < 0                                  # the idle line is above the axis
    busy, idle = ax.lines[:2]                                    # where both are 0, the one on top
    assert idle.get_zorder() > busy.get_zorder() and idle.get_linewidth() < busy.get_linewidth()


def test_the_recorded_curve_says_where_each_design_stopped_and_why():
    from boletia.lab.notebook import curves

    said = curves.stopped(curves.load())
    assert said["fixed"].startswith("sustained up to 240/s; at 280/s its p99")
    assert said["txn"].startswith("sustained up to 40/s; at 80/s its p99")
    assert said["seed"] == ("sustained up to 40/s; at 80/s it lost bookings: 5 of 640 accepted had no "
                            "reservation")
    live = {"steps": [{"design": "fixed", "rate": 5, "to_reservation_ms": {"p99": 40.0}, "drained_per_s": 5,
                       "sustained": True, "recorded": 15, "accepted": 15}]}
    assert curves.stopped(live) == {"fixed": "sustained up to 5/s; every rate offered was sustained: "
                                             "the limit is above them"}
    fig = curves.draw(curves.load(), live, Figure(figsize=(13, 4)))
    assert [ax.get_title() for ax in fig.axes] == ["p99 time from a booking to its reservation",
                                                   "bookings recorded per second",
                                                   "this lesson's run: p99 per rate"]


def test_the_lessons_few_bookings_a_second_are_bars_side_by_side_not_crosses_on_one_another():
    """At 5 and 15/s every design's point sat in the recorded panels' bottom-left corner, one on
    another; the lesson's run has its own panel, a bar per design and rate, none over another."""
    from boletia.lab.notebook import curves

    live = {"steps": [{"design": d, "rate": r, "to_reservation_ms": {"p99": p}, "drained_per_s": r,
                       "sustained": True, "recorded": 3 * r, "accepted": 3 * r}
                      for d, p in (("fixed", 16.0), ("seed", 20.0), ("txn", 2.5)) for r in (5, 15)]}
    left, middle, right = curves.draw(curves.load(), live, Figure(figsize=(13, 4))).axes
    recorded_points = sum(len(line.get_xdata()) for line in left.lines[:3])
    assert recorded_points == len(curves.load()["steps"])        # the recorded run only, as lines
    bars = sorted((p.get_x(), p.get_x() + p.get_width()) for p in right.patches)
    assert len(bars) == 6 and all(a[1] <= b[0] for a, b in itertools.pairwise(bars))
    assert sorted(t.get_text() for t in right.texts) == ["15/15"] * 3 + ["45/45"] * 3
    assert [t.get_text() for t in right.get_xticklabels()] == ["5", "15"]


def test_a_rebalance_line_lists_its_partitions_by_topic_instead_of_cut_mid_list():
    line = ("2026-12-06T21:00:00.1 rebalance generation 2 assigned boletia.inventario[0],"
            "boletia.inventario[1],boletia.inventario[2],boletia.reservas[0],boletia.reservas[1],"
            "boletia.reservas[2]; revoked none")
    assert readable(line) == ("rebalance generation 2 assigned boletia.inventario[0,1,2], "
                              "boletia.reservas[0,1,2]; revoked none")
    one = "crash boletia.reservas[1]@7: fault fired"   # one partition, an offset: as it is
    assert readable(one) == one


def test_a_rebalance_that_gave_all_a_member_holds_says_the_list_once_and_keeps_its_assignor():
    """Lesson 04's stored line ran past the 140-column cut and lost its last character (issue 29)."""
    names = ",".join(f"boletia.{t}[{p}]" for t in ("inventario", "reservas") for p in range(3))
    line = f"2026-12-06T21:00:00.1 rebalance generation 2 assigned {names}; holds {names} (roundrobin)"
    assert readable(line) == ("rebalance generation 2 assigned boletia.inventario[0,1,2], "
                              "boletia.reservas[0,1,2], all it holds now (roundrobin)")
    kept = f"rebalance generation 3 assigned boletia.reservas[0]; holds {names} (cooperative-sticky)"
    assert readable(kept).endswith("holds boletia.inventario[0,1,2], boletia.reservas[0,1,2] "
                                   "(cooperative-sticky)")


def test_a_log_line_drops_pymongos_full_server_reply():
    line = ("retry a[0]@1: attempt 1 failed, again in 0.2s: OperationFailure("
            "\"Failing command via 'failCommand' failpoint, full error: "
            "{'ok': 0.0, 'errmsg': 'Failing command', 'code': 91}\", 91)")
    assert readable(line) == ("retry a[0]@1: attempt 1 failed, again in 0.2s: OperationFailure: "
                              "Failing command via 'failCommand' failpoint")


def test_a_lesson_shows_only_the_part_of_a_function_it_discusses():
    import pytest

    from boletia.adapters.at_least_once import AtLeastOnceConsumer
    from boletia.lab.notebook.lesson import source_part

    part = source_part(AtLeastOnceConsumer._process_partition, "outcome = self._handle(record)",
                       "done = record", before=1).splitlines()
    assert part[0] == "try:" and part[1].strip() == "outcome = self._handle(record)"
    assert part[-1] == "done = record"
    assert len(part) < 20 and any("_retry(" in line for line in part)
    with pytest.raises(ValueError, match="no lines from"):
        source_part(AtLeastOnceConsumer._process_partition, "not in it", "done = record")
