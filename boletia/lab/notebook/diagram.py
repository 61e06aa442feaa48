"""Boletia's architecture drawn by code, with the seed's colours: yellow arrows are the
source connector (collection -> topic), red is the sink (topic -> collection), blue are
the consumers reading topics."""

from __future__ import annotations

SOURCE, SINK, CONSUMER, HTTP = "#e0a800", "#d62728", "#1f77b4", "#555555"

BOXES = {  # name: (x, y, kind)
    "eventos (API)": (0.5, 5.2, "service"), "reservas (API)": (4.5, 5.2, "service"),
    "eventos": (0.5, 3.6, "collection"), "inventario": (3.0, 3.6, "collection"),
    "reservas": (6.0, 3.6, "collection"),
    "boletia.eventos": (0.5, 1.9, "topic"), "boletia.inventario": (3.0, 1.9, "topic"),
    "boletia.reservas": (6.0, 1.9, "topic"),
    "inventario (consumer)": (3.6, 0.3, "consumer"), "notificaciones (consumer)": (6.6, 0.3, "consumer"),
    "SES": (9.4, 0.3, "external"),
}
STYLE = {"service": ("#f2f2f2", "s"), "collection": ("#dff0d8", "o"), "topic": ("#fff3cd", "t"),
         "consumer": ("#d9e8fb", "c"), "external": ("#eeeeee", "e")}
ARROWS = [  # from, to, colour, label
    ("eventos (API)", "eventos", HTTP, "insert / cancel"),
    ("reservas (API)", "inventario", HTTP, "findAndModify"),
    ("reservas (API)", "reservas", HTTP, "cancel (X)"),
    ("eventos", "boletia.eventos", SOURCE, "source"),
    ("inventario", "boletia.inventario", SOURCE, "source"),
    ("reservas", "boletia.reservas", SOURCE, "source"),
    ("boletia.eventos", "inventario", SINK, "sink"),
    ("boletia.inventario", "inventario (consumer)", CONSUMER, ""),
    ("boletia.reservas", "inventario (consumer)", CONSUMER, ""),
    ("boletia.reservas", "notificaciones (consumer)", CONSUMER, ""),
    ("inventario (consumer)", "reservas", CONSUMER, "insert / C"),
    ("inventario (consumer)", "inventario", CONSUMER, "refund"),
    ("notificaciones (consumer)", "SES", CONSUMER, "email"),
]


def draw(ax=None):
    """Return a matplotlib Axes with the diagram."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 6.2))
    w, h = 1.9, 0.6
    for name, (x, y, kind) in BOXES.items():
        face, _ = STYLE[kind]
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.05", fc=face, ec="#333"))
        ax.text(x + w / 2, y + h / 2, name, ha="center", va="center", fontsize=9)
    for src, dst, colour, label in ARROWS:
        (x1, y1, _), (x2, y2, _) = BOXES[src], BOXES[dst]
        start = (x1 + w / 2, y1 + (0 if y2 < y1 else h))
        end = (x2 + w / 2, y2 + (h if y2 < y1 else 0))
        if abs(y2 - y1) < 0.1:
            start, end = (x1 + w, y1 + h / 2), (x2, y2 + h / 2)
        ax.annotate("", xy=end, xytext=start,
                    arrowprops={"arrowstyle": "->", "color": colour, "lw": 2,
                                "connectionstyle": "arc3,rad=0.08"})
        if label:
            ax.text((start[0] + end[0]) / 2 + 0.05, (start[1] + end[1]) / 2, label,
                    fontsize=7, color=colour)
    ax.text(-0.3, 4.0, "MongoDB\n(boletia)", fontsize=9, rotation=90, va="center")
    ax.text(-0.3, 2.2, "Kafka\n(3 brokers)", fontsize=9, rotation=90, va="center")
    ax.legend(handles=[Line2D([], [], color=c, lw=2, label=lbl) for c, lbl in
                       ((SOURCE, "source connector"), (SINK, "sink connector"),
                        (CONSUMER, "consumers"), (HTTP, "HTTP services"))],
              loc="upper right", fontsize=8)
    ax.set_xlim(-0.5, 11.5)
    ax.set_ylim(-0.2, 6.2)
    ax.axis("off")
    ax.set_title("Boletia: every change travels collection -> topic -> consumer")
    return ax
