"""Notebook 05's latency-throughput picture: a recorded curve (a `boletia bench` run at the
rates where the designs reach their limits) beside the lesson's short live one, saying which is
which. The lesson's few bookings a second cannot reach any design's limit within its time; the
recorded run took about 15 minutes."""

from __future__ import annotations

import json
from pathlib import Path

RECORDED = Path(__file__).resolve().parents[3] / "docs" / "bench-2026-11-29.json"
LIMIT_MS = 1000.0   # bench.SUSTAINED_P99_S, in ms


def load(path: Path = RECORDED) -> dict:
    return json.loads(Path(path).read_text())


def stopped(result: dict) -> dict[str, str]:
    """Per design: the highest rate it sustained and why the next rate was not (from the steps)."""
    out = {}
    for design in sorted({s["design"] for s in result["steps"]}):
        steps = sorted((s for s in result["steps"] if s["design"] == design), key=lambda s: s["rate"])
        kept = [s["rate"] for s in steps if s["sustained"]]
        first_not = next((s for s in steps if not s["sustained"]), None)
        if first_not is None:
            why = "every rate offered was sustained: the limit is above them"
        elif first_not["recorded"] < first_not["accepted"]:
            lost = first_not["accepted"] - first_not["recorded"]
            why = (f"at {first_not['rate']:g}/s it lost bookings: {lost} of {first_not['accepted']}"
                   " accepted had no reservation")
        else:
            why = (f"at {first_not['rate']:g}/s its p99 POST -> reservation was "
                   f"{first_not['to_reservation_ms']['p99'] / 1000:.1f} s (over 1 s)")
        out[design] = f"sustained up to {max(kept):g}/s; {why}" if kept else why
    return out


def draw(recorded: dict, live: dict, fig=None):
    """Three panels. The recorded run as lines: p99 POST -> reservation, and bookings recorded
    per second, against the offered rate. This lesson's run, whose few bookings a second would
    sit on top of one another in the bottom-left corner of those, in its own panel: its p99 per
    rate as bars side by side, each labelled with the bookings it recorded of those accepted."""
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=(13, 4))
    left, middle, right = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.1, 1.1, 0.8]})
    when = recorded.get("machine", {}).get("when", "")[:10]
    designs = sorted({s["design"] for s in recorded["steps"]} | {s["design"] for s in live["steps"]})
    rates = sorted({s["rate"] for s in live["steps"]})
    width = 0.8 / max(len(designs), 1)
    for i, design in enumerate(designs):
        color = f"C{i}"
        steps = sorted((s for s in recorded["steps"] if s["design"] == design), key=lambda s: s["rate"])
        if steps:
            style = {"marker": "o", "ms": 4, "lw": 1.5, "color": color, "label": design}
            left.plot([s["rate"] for s in steps],
                      [s["to_reservation_ms"].get("p99") or float("nan") for s in steps], **style)
            middle.plot([s["rate"] for s in steps], [s["drained_per_s"] for s in steps], **style)
        mine = {s["rate"]: s for s in live["steps"] if s["design"] == design}
        for j, rate in enumerate(rates):
            if rate not in mine:
                continue
            step = mine[rate]
            x = j + (i - (len(designs) - 1) / 2) * width
            p99 = step["to_reservation_ms"].get("p99") or float("nan")
            right.bar(x, p99, width * 0.9, color=color)
            right.annotate(f"{step['recorded']}/{step['accepted']}", (x, p99), xytext=(0, 2),
                           textcoords="offset points", ha="center", fontsize=7)
    left.axhline(LIMIT_MS, color="#c00", lw=1, ls=":", label="1 s: the sustained limit")
    left.set(title="p99 time from a booking to its reservation", xlabel="offered bookings per second",
             ylabel="milliseconds (log scale)", yscale="log")
    top = recorded["ceiling"]["bookings_per_s"]
    middle.plot([0, top], [0, top], color="#bbb", lw=1, label="all of the offered rate")
    middle.set(title="bookings recorded per second", xlabel="offered bookings per second",
               ylabel="recorded per second")
    right.set(title="this lesson's run: p99 per rate", xlabel="offered bookings per second",
              ylabel="milliseconds", xticks=range(len(rates)), xticklabels=[f"{r:g}" for r in rates])
    right.margins(y=0.15)
    for ax in (left, middle, right):
        ax.grid(alpha=0.3)
    # one legend beside the panels, not over their lines
    handles, labels = left.get_legend_handles_labels()
    extra = middle.get_legend_handles_labels()
    fig.legend(handles + extra[0][-1:], labels + extra[1][-1:], fontsize=7, loc="center right")
    fig.suptitle(f"left and middle: the recorded run ({when}, 2 cores); right: this lesson's run, "
                 "each bar labelled with the bookings it recorded of those accepted", fontsize=10)
    fig.tight_layout(rect=(0, 0, 0.87, 1))
    return fig
