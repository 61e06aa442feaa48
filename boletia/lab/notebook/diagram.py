"""Boletia's architecture drawn by code, and one booking traced through it.

`draw()`: the picture of `layout.picture()` (the one component list, laid out in rows: the
HTTP services, MongoDB's collections, Kafka's topics, the consumers with the watchdog and SES;
Kafka Connect's band between collections and topics), with the seed's colours: yellow arrows
are the source connector (collection -> topic), red the sink (topic -> collection), blue the
consumers, grey the HTTP services. The control room draws the same picture live
(`static/control-diagram.js`). Labels sit beside their arrows, never on a box.

`trace(booking)`: a Lamport-style picture of ONE real booking: a lane per part of the system,
and an arrow for each hop at the time it really happened (from the timestamps the benchmark
reads: the POST, the change event's Kafka record, the reservation's `registrada`, the
reservation's change, the ledger's `at`).
"""

from __future__ import annotations

from boletia import resources
from boletia.lab.notebook import layout

SOURCE, SINK, CONSUMER, HTTP = "#e0a800", "#d62728", "#1f77b4", "#555555"
COLOURS = {"source": SOURCE, "sink": SINK, "consumer": CONSUMER, "http": HTTP}
W, H = 2.3, 0.62                      # box size
PITCH = 3.0                           # a column's width
ROW_Y = (6.4, 4.8, 2.2, 0.5)          # services, collections, topics, consumers
BAND_Y = 3.55                         # Kafka Connect
STYLE = {"service": "#f2f2f2", "collection": "#dff0d8", "topic": "#fff3cd", "consumer": "#d9e8fb",
         "external": "#eeeeee", "watchdog": "#f2f2f2", "connect": "#fbe3e4"}


def _connectors() -> list[str]:
    """Every connector any design installs (one file each under connect/<design>/)."""
    return sorted({p.stem for p in resources.connect_dir().glob("*/*.json")})


def _boxes(picture: dict) -> dict[str, tuple[float, float, str, str]]:
    """node id -> (x, y, kind, label)."""
    out = {}
    for n in picture["nodes"]:
        label = n["title"] if n["kind"] in ("topic", "external", "service") else f"{n['title']}\n({n['sub']})"
        out[n["id"]] = (0.3 + PITCH * n["col"], ROW_Y[n["row"]], n["kind"], label)
    return out


def draw(ax=None):
    """Return a matplotlib Axes with the diagram."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(12, 7.4))
    picture = layout.picture()
    boxes = _boxes(picture)
    right = max(x for x, _, _, _ in boxes.values()) + W

    band_w = right - 0.3
    ax.add_patch(FancyBboxPatch((0.3, BAND_Y), band_w, H, boxstyle="round,pad=0.05",
                                fc=STYLE["connect"], ec="#333"))
    names = _connectors()
    lines = [", ".join(names[i:i + 2]) for i in range(0, len(names), 2)]
    ax.text(0.3 + band_w - 0.1, BAND_Y + H / 2, "Kafka Connect\n" + ",\n".join(lines),
            ha="right", va="center", fontsize=8)  # right of the arrows, so none crosses the words
    for x, y, kind, label in boxes.values():
        ax.add_patch(FancyBboxPatch((x, y), W, H, boxstyle="round,pad=0.05", fc=STYLE[kind], ec="#333"))
        ax.text(x + W / 2, y + H / 2, label, ha="center", va="center", fontsize=9)

    # each side of a box shares its arrows out in the order of their other ends
    ends: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for i, e in enumerate(picture["edges"]):
        (xa, ya, _, _), (xb, yb, _, _) = boxes[e["from"]], boxes[e["to"]]
        if ya != yb and abs(ya - yb) < 3.0:  # neighbouring rows (Connect's band between two)
            down = yb < ya
            ends.setdefault((e["from"], "bottom" if down else "top"), []).append((xb, i))
            ends.setdefault((e["to"], "top" if down else "bottom"), []).append((xa, i))
    slot = {}
    for (node, _side), items in ends.items():
        x = boxes[node][0]
        for k, (_, i) in enumerate(sorted(items)):
            slot[(i, node)] = (x + W * (k + 1) / (len(items) + 1), len(items) == 1)

    for i, e in enumerate(picture["edges"]):
        colour = COLOURS[e["kind"]]
        xa, ya, _, _ = boxes[e["from"]]
        xb, yb, _, _ = boxes[e["to"]]
        if ya == yb:  # same row: side to side
            start, end = (xa + W, ya + H / 2), (xb, yb + H / 2)
            label_at, ha, va = ((start[0] + end[0]) / 2, ya + H / 2 - 0.12), "center", "top"
        elif abs(ya - yb) >= 3.0:  # a consumer writing back two rows up: dashed, in the gap
            # right of the consumer's column, clear of every box and label: out of the consumer's
            # right side, up the gap, into the collection's facing side (one lane per write)
            # the nearer target takes the inner lane and leaves the consumer higher: no two cross
            back = sorted(boxes[f["to"]][0] for f in picture["edges"]
                          if f["from"] == e["from"] and abs(boxes[f["to"]][1] - ya) >= 3.0)
            k = back.index(xb)
            rise = H * (0.7 - 0.4 * k)
            if xb + W <= xa:  # a collection left of the consumer: up the gap on its left instead
                lane_x, side_x = xa - (PITCH - W) * (0.3 + 0.4 * k), xa
                end = (xb + W, yb + H * 0.35)
            else:
                lane_x, side_x = xa + W + (PITCH - W) * (0.3 + 0.4 * k), xa + W
                end = (xb + W, yb + H / 2) if xb + W < lane_x else (xb, yb + H * 0.65)
            ax.plot([side_x, lane_x, lane_x], [ya + rise, ya + rise, end[1]], color=colour, lw=1.4, ls="--")
            ax.annotate("", xy=end, xytext=(lane_x, end[1]), arrowprops={
                "arrowstyle": "->", "color": colour, "lw": 1.4, "ls": "--"})
            continue
        else:
            down = yb < ya
            (x0, alone0), (x1, alone1) = slot[(i, e["from"])], slot[(i, e["to"])]
            if alone0 and xa + 0.1 < x1 < xa + W - 0.1:
                x0 = x1
            elif alone1 and xb + 0.1 < x0 < xb + W - 0.1:
                x1 = x0
            start, end = (x0, ya if down else ya + H), (x1, yb + H if down else yb)
            t = 0.25 if e["kind"] in ("source", "sink") else 0.5  # off Connect's band
            side = -1 if e["kind"] == "source" else 1  # the consumers' arrows pass right of a source
            if e["kind"] == "http" and end[0] < start[0] - 0.05:
                side = -1   # a request slanting down-left: its label left of it, clear of its upper half
            label_at = (start[0] + (end[0] - start[0]) * t + 0.1 * side, start[1] + (end[1] - start[1]) * t)
            ha, va = "left" if side > 0 else "right", "center"
        ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "color": colour, "lw": 2})
        if e["label"]:
            ax.text(*label_at, e["label"], fontsize=7.5, color=colour, ha=ha, va=va)
    writers = [n for n, writes in layout.CONSUMER_WRITES.items()
               if any(target.startswith("col-") for target, _ in writes)]
    last = max(x for x, _, kind, _ in boxes.values() if kind == "topic")  # right of it, clear of arrows
    for k, consumer in enumerate(writers):
        what = " and ".join(label for target, label in layout.CONSUMER_WRITES[consumer]
                            if target.startswith("col-"))
        ax.text(last + W + 0.25, 2.1 - 0.45 * k, f"{consumer} (consumer) writes\n{what}",
                fontsize=7.5, color=CONSUMER)
    ax.text(-0.4, ROW_Y[1] + H / 2, "MongoDB", fontsize=9, rotation=90, va="center")
    ax.text(-0.4, ROW_Y[2] + H / 2, "Kafka", fontsize=9, rotation=90, va="center")
    ax.legend(handles=[Line2D([], [], color=col, lw=2, label=lbl) for col, lbl in
                       ((SOURCE, "source connector"), (SINK, "sink connector"),
                        (CONSUMER, "consumers"), (HTTP, "HTTP services"))],
              loc="upper center", fontsize=8, ncol=4, bbox_to_anchor=(0.55, 1.0))
    ax.set_xlim(-0.6, right + 0.4)
    ax.set_ylim(0.2, 7.5)
    ax.axis("off")
    ax.set_title("Boletia: every change travels collection -> topic -> consumer", pad=18)
    return ax


# how near a label an arrow may pass: its half-width (lw 1.6) and its head's half-width, in points
ARROW_MARGIN_PT = 3.0
LANES = ("client", "reservas API", "MongoDB", "Kafka", "consumer inventario",
         "consumer notificaciones", "SES")


def trace(b, ax=None):
    """One booking (a bench.Booking with its stages filled) as arrows between lanes, at the
    milliseconds they really happened after the request left."""
    import matplotlib.pyplot as plt
    from matplotlib.transforms import ScaledTranslation

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.6))
    t0 = b.planned
    ms = {k: (getattr(b, k) - t0) * 1000 for k in ("answered", "published", "recorded", "announced",
                                                   "emailed") if getattr(b, k)}
    lane = {name: i for i, name in enumerate(LANES)}
    at = {k: v for k, v in ms.items() if v is not None}
    where = getattr(b, "where", {}) or {}
    hops = [  # (from lane, from ms, to lane, to ms, label): each arrow ends when the hop was seen
        ("client", 0.0, "reservas API", 0.0, "POST /reservas"),
        ("reservas API", 0.0, "MongoDB", 0.0, "findAndModify"),
        ("reservas API", at.get("answered"), "client", at.get("answered"), "200 + Id"),
        ("MongoDB", 0.0, "Kafka", at.get("published"), f"change {where.get('published', '')}"),
        ("Kafka", at.get("published"), "consumer inventario", at.get("recorded"), "polled"),
        ("consumer inventario", at.get("recorded"), "MongoDB", at.get("recorded"), "insert reservation"),
        ("MongoDB", at.get("recorded"), "Kafka", at.get("announced"), f"change {where.get('announced', '')}"),
        ("Kafka", at.get("announced"), "consumer notificaciones", at.get("emailed"), "polled"),
        ("consumer notificaciones", at.get("emailed"), "SES", at.get("emailed"), "email sent"),
    ]
    for i in range(len(LANES)):
        ax.axhline(i, color="#ddd", lw=1, zorder=0)
    end = max([v for v in ms.values() if v is not None] + [10.0])
    ax.set_xlim(-0.05 * end, end * 1.45)  # room on the right for the last labels
    ax.set_ylim(len(LANES) - 0.5, -0.5)   # fixed before the labels are placed: they are measured
    drawn = [(a, t_a, z, t_z, label) for a, t_a, z, t_z, label in hops
             if t_a is not None and t_z is not None]
    arrows = _apart(ax, [((t_a, lane[a]), (t_z, lane[z])) for a, t_a, z, t_z, _ in drawn])
    placed = []
    # a label starts 4 points right of its moment (or ends 4 points left of it): clear of the
    # arrows drawn straight down there
    beside = {side: ax.transData + ScaledTranslation(side * 4 / 72, 0, ax.figure.dpi_scale_trans)
              for side in (1, -1)}
    for i, (a, _, z, t_z, label) in enumerate(drawn):
        ax.annotate("", xy=arrows[i][1], xytext=arrows[i][0],
                    arrowprops={"arrowstyle": "->", "color": "#1f77b4", "lw": 1.6})
        away = 1 if lane[z] > lane[a] else -1  # beyond the arrow's head, away from where it came
        text = ax.text(arrows[i][1][0], lane[z] + 0.28 * away, f"{label} ({t_z:.0f} ms)", transform=beside[1],
                       fontsize=7.5, va="center", color="#333", zorder=5,  # over the later arrows
                       bbox={"fc": "white", "ec": "none", "alpha": 0.85, "pad": 0.5})
        # clear of the labels placed and of every other arrow (its own ends where it starts)
        placed.append(_clear_of(ax, text, placed, lane[z], away, arrows[:i] + arrows[i + 1:], beside))
    ax.set_yticks(range(len(LANES)), LANES)
    ax.set_ylabel("where it happened")
    ax.set_xlabel("milliseconds after the request left")
    ax.set_title("one booking, traced through the real system")
    ax.grid(axis="x", alpha=0.3)
    return ax


def _apart(ax, arrows: list, gap_pt: float = 5.0) -> list:
    """The arrows, each moved right by `gap_pt` (as often as needed) where it would run along
    an earlier one: a hop that goes back over the lanes the previous one crossed a few
    milliseconds later (`insert reservation` up, its `change` down) is drawn beside it, not
    on it (issue 29). Its label keeps the measured time."""
    per_pt = ax.figure.dpi / 72
    unit = ax.transData.transform((1, 0))[0] - ax.transData.transform((0, 0))[0]  # pixels per ms
    out: list = []
    for start, end in arrows:
        for _ in range(4):
            if not any(_alongside(ax, (start, end), other, 3 * per_pt) for other in out):
                break
            shift = gap_pt * per_pt / unit
            start, end = (start[0] + shift, start[1]), (end[0] + shift, end[1])
        out.append((start, end))
    return out


def _alongside(ax, arrow, other, within_px: float, samples: int = 30) -> bool:
    """Whether `arrow` runs within `within_px` of `other` along part of its length (display
    coordinates; its first and last 6 points, where two hops meet at a lane, do not count)."""
    import numpy as np

    (x0, y0), (x1, y1) = ax.transData.transform(list(arrow))
    (a0, b0), (a1, b1) = ax.transData.transform(list(other))
    length = float(np.hypot(x1 - x0, y1 - y0))
    end = 6 * ax.figure.dpi / 72   # more than within_px (3 points): meeting end to end is not alongside
    if length < 3 * end:
        return False
    seg = np.array([a1 - a0, b1 - b0])
    seg_len2 = float(seg @ seg) or 1.0
    for k in range(samples + 1):
        along = end / length + (1 - 2 * end / length) * k / samples
        p = np.array([x0 + (x1 - x0) * along, y0 + (y1 - y0) * along])
        t = min(1.0, max(0.0, float((p - (a0, b0)) @ seg) / seg_len2))
        if float(np.hypot(*(p - (np.array([a0, b0]) + t * seg)))) < within_px:
            return True
    return False


def _clear_of(ax, text, placed: list, lane_y: float, away: int, arrows=(), beside=None):
    """Move `text` further from its lane, then to the other side, then to the left of its moment,
    until it overlaps none of the labels already placed (two hops a few milliseconds apart would
    print one label over the other) and no arrow runs under it (its white box would hide the
    arrow), inside the axes' frame. Returns its final extent on the canvas; when no place is
    clear, the one that crosses the fewest arrows, inside the frame and over no label."""
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    x = text.get_position()[0]
    best = None
    sides = (1, -1) if beside else (1,)
    for side in sides:
        for offset in (0.28, 0.48, -0.28, -0.48, 0.68, -0.68):
            if beside:
                text.set_transform(beside[side])
                text.set_horizontalalignment("left" if side == 1 else "right")
            text.set_position((x, lane_y + offset * away))
            box = text.get_window_extent(renderer).expanded(1.0, 1.1)
            # a label over a label or out of the frame is unreadable; one an arrow grazes, only crowded
            crossed = 10 * sum(box.overlaps(other) for other in placed) + sum(
                _crosses(ax, box, start, end) for start, end in arrows) + 10 * (
                box.x0 < frame.x0 or box.x1 > frame.x1 or box.y0 < frame.y0 or box.y1 > frame.y1)
            if crossed == 0:
                return box
            if best is None or crossed < best[0]:
                best = (crossed, side, offset, box)
    if beside:
        text.set_transform(beside[best[1]])
        text.set_horizontalalignment("left" if best[1] == 1 else "right")
    text.set_position((x, lane_y + best[2] * away))
    return best[3]


def _crosses(ax, box, start, end) -> bool:
    """Whether the straight arrow from `start` to `end` (data coordinates) passes through `box`
    (display coordinates) or within its drawn half-width and arrowhead of it: a line that only
    grazes a label's corner still reads as running into it (issue 29, lesson 03's trace)."""
    from matplotlib.path import Path

    margin = ARROW_MARGIN_PT / 72 * ax.figure.dpi
    line = Path(ax.transData.transform([start, end]))
    return line.intersects_bbox(box.padded(margin), filled=False) or any(
        box.padded(margin).contains(px, py) for px, py in line.vertices)
