"""Boletia's architecture drawn by code, and one booking traced through it.

`draw()`: the layers from top to bottom (the HTTP services, MongoDB's collections, Kafka
Connect, Kafka's topics, the consumers, SES), with the seed's colours: yellow arrows are the
source connector (collection -> topic), red the sink (topic -> collection), blue the consumers.
The services, consumers and the topics each consumer reads come from the one component list.
Labels sit beside their arrows, never on a box.

`trace(booking)`: a Lamport-style picture of ONE real booking: a lane per part of the system,
and an arrow for each hop at the time it really happened (from the timestamps the benchmark
reads: the POST, the change event's Kafka record, the reservation's `registrada`, the
reservation's change, the ledger's `at`).
"""

from __future__ import annotations

from boletia.lab.components import COMPONENTS, SINK_CONNECTOR

SOURCE, SINK, CONSUMER, HTTP = "#e0a800", "#d62728", "#1f77b4", "#555555"
W, H = 2.3, 0.62  # box size

COLLECTIONS = ("eventos", "inventario", "reservas")
WRITES = {  # service -> [(collection, label)]
    "eventos": [("eventos", "insert / cancel")],
    "reservas": [("inventario", "findAndModify"), ("reservas", "cancel (X)")],
}
CONSUMER_WRITES = {"inventario": [("reservas", "insert / C"), ("inventario", "refund")]}


def _layout() -> dict[str, tuple[float, float, str]]:
    x = {"eventos": 0.3, "inventario": 3.3, "reservas": 6.3}
    boxes: dict[str, tuple[float, float, str]] = {}
    services = [c.name for c in COMPONENTS if c.kind == "service"]
    for i, name in enumerate(services):
        boxes[f"{name} (API)"] = (0.3 + 6.0 * i, 6.4, "service")
    for coll in COLLECTIONS:
        boxes[coll] = (x[coll], 4.8, "collection")
        boxes[f"boletia.{coll}"] = (x[coll], 2.2, "topic")
    boxes["Kafka Connect"] = (0.3, 3.55, "connect")  # spans the three source arrows
    consumers = [c for c in COMPONENTS if c.kind == "consumer"]
    for i, c in enumerate(consumers):
        boxes[f"{c.name} (consumer)"] = (3.3 + 3.0 * i, 0.5, "consumer")
    boxes["SES"] = (9.3, 0.5, "external")
    return boxes


STYLE = {"service": "#f2f2f2", "collection": "#dff0d8", "topic": "#fff3cd", "consumer": "#d9e8fb",
         "external": "#eeeeee", "connect": "#fbe3e4"}


def draw(ax=None):
    """Return a matplotlib Axes with the diagram."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(12, 7.4))
    boxes = _layout()

    def box(name):
        x, y, kind = boxes[name]
        w = 11.3 if kind == "connect" else W
        return x, y, w

    for name, (x, y, kind) in boxes.items():
        w = 11.3 if kind == "connect" else W
        ax.add_patch(FancyBboxPatch((x, y), w, H, boxstyle="round,pad=0.05", fc=STYLE[kind], ec="#333"))
        if kind == "connect":  # right of the last arrow, so no arrow crosses the words
            ax.text(x + w - 0.1, y + H / 2, f"Kafka Connect\n{SINK_CONNECTOR}, mongo-source,\n"
                    "mongo-source-inventario", ha="right", va="center", fontsize=8)
        else:
            ax.text(x + w / 2, y + H / 2, name.replace(" (", "\n("), ha="center", va="center", fontsize=9)

    def arrow(a, b, colour, label, ax_=ax, dx=0.0, label_side=1):
        xa, ya, wa = box(a)
        xb, yb, wb = box(b)
        start = (xa + wa / 2 + dx, ya if yb < ya else ya + H)
        end = (xb + wb / 2 + dx, yb + H if yb < ya else yb)
        if abs(ya - yb) < 0.01:  # same row: side to side
            start, end = (xa + wa, ya + H / 2), (xb, yb + H / 2)
        if boxes[a][2] == "connect":
            start = (xb + W / 2 + dx, ya if yb < ya else ya + H)
        if boxes[b][2] == "connect":
            end = (xa + W / 2 + dx, yb + H if yb < ya else yb)
        ax_.annotate("", xy=end, xytext=start,
                     arrowprops={"arrowstyle": "->", "color": colour, "lw": 2})
        if label:
            mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
            ax_.text(mx + 0.12 * label_side, my + (0.12 if abs(ya - yb) < 0.01 else 0), label,
                     fontsize=7.5, color=colour, ha="left" if label_side > 0 else "right",
                     va="bottom" if abs(ya - yb) < 0.01 else "center")

    for service, writes in WRITES.items():
        for i, (coll, label) in enumerate(writes):
            arrow(f"{service} (API)", coll, HTTP, label, dx=0.35 * (i - (len(writes) - 1) / 2),
                  label_side=-1 if coll == "inventario" else 1)
    for coll in COLLECTIONS:  # collection -> Connect -> topic, drawn as one source hop
        xc, yc, _ = boxes[coll]
        ax.annotate("", xy=(xc + W / 2 - 0.3, 2.2 + H), xytext=(xc + W / 2 - 0.3, 4.8),
                    arrowprops={"arrowstyle": "->", "color": SOURCE, "lw": 2})
        ax.text(xc + W / 2 - 0.4, 4.3, "source", fontsize=7.5, color=SOURCE, ha="right")
    xe, _, _ = boxes["boletia.eventos"]
    xi, _, _ = boxes["inventario"]
    ax.annotate("", xy=(xi + 0.2, 4.8), xytext=(xe + W - 0.2, 2.2 + H),
                arrowprops={"arrowstyle": "->", "color": SINK, "lw": 2, "connectionstyle": "arc3,rad=-0.15"})
    ax.text(xe + W + 0.15, 2.95, "sink", fontsize=7.5, color=SINK)
    for c in (c for c in COMPONENTS if c.kind == "consumer"):
        for i, topic in enumerate(c.topics):
            arrow(topic, f"{c.name} (consumer)", CONSUMER, "", dx=0.25 * i)
    for consumer, writes in CONSUMER_WRITES.items():
        x, y, _ = boxes[f"{consumer} (consumer)"]
        for i, (coll, _label) in enumerate(writes):
            xc, yc, _ = boxes[coll]
            ax.annotate("", xy=(xc + W - 0.15 - 0.3 * i, yc), xytext=(x + W - 0.15 - 0.3 * i, y + H),
                        arrowprops={"arrowstyle": "->", "color": CONSUMER, "lw": 1.4, "ls": "--",
                                    "connectionstyle": "arc3,rad=0.25"})
    ax.text(boxes["reservas"][0] + W + 0.25, 1.6, "inventario (consumer) writes\nreservations and refunds",
            fontsize=7.5, color=CONSUMER)
    arrow("notificaciones (consumer)", "SES", CONSUMER, "email")
    ax.text(-0.4, 5.1, "MongoDB", fontsize=9, rotation=90, va="center")
    ax.text(-0.4, 2.5, "Kafka", fontsize=9, rotation=90, va="center")
    ax.legend(handles=[Line2D([], [], color=col, lw=2, label=lbl) for col, lbl in
                       ((SOURCE, "source connector"), (SINK, "sink connector"),
                        (CONSUMER, "consumers"), (HTTP, "HTTP services"))],
              loc="upper center", fontsize=8, ncol=4, bbox_to_anchor=(0.55, 1.0))
    ax.set_xlim(-0.6, 12.0)
    ax.set_ylim(0.2, 7.5)
    ax.axis("off")
    ax.set_title("Boletia: every change travels collection -> topic -> consumer", pad=18)
    return ax


LANES = ("client", "reservas API", "MongoDB", "Kafka", "consumer inventario",
         "consumer notificaciones", "SES")


def trace(b, ax=None):
    """One booking (a bench.Booking with its stages filled) as arrows between lanes, at the
    milliseconds they really happened after the request left."""
    import matplotlib.pyplot as plt

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
    for _n, (a, t_a, z, t_z, label) in enumerate(hops):
        if t_a is None or t_z is None:
            continue
        ax.annotate("", xy=(t_z, lane[z]), xytext=(t_a, lane[a]),
                    arrowprops={"arrowstyle": "->", "color": "#1f77b4", "lw": 1.6})
        ax.text(t_z, lane[z] + (0.28 if lane[z] > lane[a] else -0.28), f" {label} ({t_z:.0f} ms)",
                fontsize=7.5, va="center", color="#333",
                bbox={"fc": "white", "ec": "none", "alpha": 0.8, "pad": 0.5})
    end = max([v for v in ms.values() if v is not None] + [10.0])
    ax.set_xlim(-0.05 * end, end * 1.45)  # room on the right for the last labels
    ax.set_ylim(len(LANES) - 0.5, -0.5)
    ax.set_yticks(range(len(LANES)), LANES)
    ax.set_xlabel("milliseconds after the request left")
    ax.set_title("one booking, traced through the real system")
    ax.grid(axis="x", alpha=0.3)
    return ax
