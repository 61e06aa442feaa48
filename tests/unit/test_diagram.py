"""The two pictures of the lab come from one layout, and that layout from the component list:
the notebooks' matplotlib diagram (`diagram.draw`) draws a box for every node of
`layout.picture()` and an arrow for every edge (the control room's drawing of it is checked in
the browser: tests/integration/e2e/test_browser.py)."""

from __future__ import annotations

import matplotlib

from boletia import config
from boletia.lab.components import COMPONENTS
from boletia.lab.notebook import diagram, layout

matplotlib.use("Agg")


def test_the_notebook_diagram_draws_the_layout():
    from matplotlib.patches import FancyBboxPatch

    picture = layout.picture()
    ax = diagram.draw()
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == len(picture["nodes"]) + 1  # and Connect's band
    texts = " ".join(t.get_text() for t in ax.texts)
    for n in picture["nodes"]:
        assert n["title"] in texts, n["id"]
    arrows = [c for c in ax.get_children() if type(c).__name__ == "Annotation"]
    assert len(arrows) == len(picture["edges"])
    import matplotlib.pyplot as plt
    plt.close(ax.figure)


def test_a_consumer_added_to_the_list_is_drawn_under_its_first_topic():
    from boletia.lab.components import Component

    added = Component("auditoria", "consumer", "ready", group="auditoria", topics=("boletia.eventos",))
    nodes = {n["id"]: n for n in layout.picture(components=(*COMPONENTS, added))["nodes"]}
    assert nodes["con-auditoria"]["col"] == config.TOPICS.index("boletia.eventos")
    assert nodes["watchdog"]["col"] not in {n["col"] for n in nodes.values()
                                            if n["row"] == 3 and n["id"] != "watchdog"}
    row = [n["col"] for n in nodes.values() if n["row"] == 3]
    assert len(row) == len(set(row)), "two boxes of the consumers' row in one column"


def test_two_consumers_of_one_topic_sit_side_by_side_and_ses_right_of_them():
    """reembolsos and notificaciones both read boletia.reservas (the seed's inventario, split)."""
    nodes = {n["id"]: n for n in layout.picture()["nodes"]}
    row = {n["id"]: n["col"] for n in nodes.values() if n["row"] == 3}
    assert row["con-reembolsos"] == config.TOPICS.index("boletia.reservas")
    assert row["con-notificaciones"] == row["con-reembolsos"] + 1
    assert row["ses"] == max(row.values()) and len(set(row.values())) == len(row)


def test_the_trace_never_prints_a_label_over_another():
    """Hops a few milliseconds apart (a quiet machine) put two labels on the same spot; the
    trace moves one clear (issue 29: overlapping labels in lesson 03's trace)."""
    from types import SimpleNamespace

    import matplotlib.pyplot as plt

    booking = SimpleNamespace(planned=0.0, answered=0.012, published=0.020, recorded=0.024,
                              announced=0.030, emailed=0.033,
                              where={"published": "boletia.inventario[2]@5",
                                     "announced": "boletia.reservas[1]@4"})
    ax = diagram.trace(booking)
    renderer = ax.figure.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_text().strip()]
    boxes = [t.get_window_extent(renderer) for t in labels]
    assert len(labels) == 9
    for i, a in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            assert not a.overlaps(boxes[j]), (labels[i].get_text(), labels[j].get_text())
    assert ax.get_title() and ax.get_xlabel()
    plt.close(ax.figure)


def test_the_trace_keeps_every_arrow_out_from_under_the_other_hops_labels():
    """The stored run of lesson 03 (the consumer paused a second): the diagonal hops ran under
    the `polled` label and against a `change` label, whose white boxes hid them (issue 29)."""
    from types import SimpleNamespace

    import matplotlib.pyplot as plt

    booking = SimpleNamespace(planned=0.0, answered=0.019, published=0.016, recorded=1.023,
                              announced=1.028, emailed=1.078,
                              where={"published": "boletia.inventario[2]@208",
                                     "announced": "boletia.reservas[2]@151"})
    ax = diagram.trace(booking)
    renderer = ax.figure.canvas.get_renderer()
    arrows = [c for c in ax.get_children() if type(c).__name__ == "Annotation" and c.arrow_patch]
    labels = [t for t in ax.texts if t.get_text().strip()]
    assert len(arrows) == len(labels) == 9
    for i, label in enumerate(labels):
        box = label.get_window_extent(renderer)
        for j, arrow in enumerate(arrows):
            if j != i:
                start, end = arrow.xyann, arrow.xy
                assert not diagram._crosses(ax, box, start, end), (label.get_text(), j)
    assert ax.get_ylabel()
    plt.close(ax.figure)


def test_the_trace_keeps_every_arrow_clear_of_a_labels_corner():
    """The stored run of lesson 03 (stop 39): the arrow leaving Kafka for notificaciones grazed
    the corner of the `change boletia.reservas` label, and the one leaving MongoDB the
    `findAndModify` label; a test of the line's centre alone passed them (issue 29)."""
    from types import SimpleNamespace

    import matplotlib.pyplot as plt

    booking = SimpleNamespace(planned=0.0, answered=0.018, published=0.014, recorded=1.023,
                              announced=1.028, emailed=1.054,
                              where={"published": "boletia.inventario[0]@4274",
                                     "announced": "boletia.reservas[1]@4312"})
    from matplotlib.path import Path

    ax = diagram.trace(booking, ax=plt.subplots(figsize=(10, 3.6))[1])
    renderer = ax.figure.canvas.get_renderer()
    arrows = [c for c in ax.get_children() if type(c).__name__ == "Annotation" and c.arrow_patch]
    labels = [t for t in ax.texts if t.get_text().strip()]
    margin = 2.5 / 72 * ax.figure.dpi   # the line's half-width and its head's, near enough
    for i, label in enumerate(labels):
        box = label.get_window_extent(renderer).padded(margin)
        for j, arrow in enumerate(arrows):
            if j != i:
                line = Path(ax.transData.transform([arrow.xyann, arrow.xy]))
                assert not line.intersects_bbox(box, filled=False), (label.get_text(), j)
    plt.close(ax.figure)


def test_a_hop_back_over_the_lanes_just_crossed_is_drawn_beside_the_last_not_on_it():
    """Lesson 03's stored run (this stop): `insert reservation` up from inventario to MongoDB at
    1020 ms, its `change` down to Kafka at 1026 ms, 3 pixels apart: one line over the other
    between the two lanes (issue 29, the third reading)."""
    from types import SimpleNamespace

    import matplotlib.pyplot as plt
    import numpy as np

    booking = SimpleNamespace(planned=0.0, answered=0.011, published=0.009, recorded=1.020,
                              announced=1.026, emailed=1.098,
                              where={"published": "boletia.inventario[2]@1",
                                     "announced": "boletia.reservas[1]@2"})
    ax = diagram.trace(booking, ax=plt.subplots(figsize=(10, 3.6))[1])
    arrows = [c for c in ax.get_children() if type(c).__name__ == "Annotation" and c.arrow_patch]
    ends = [ax.transData.transform([a.xyann, a.xy]) for a in arrows]
    insert, change = ends[5], ends[6]            # inventario -> MongoDB, MongoDB -> Kafka
    # where the change arrow is halfway down, the insert arrow is at least 4 points away
    mid_y = (change[0][1] + change[1][1]) / 2
    at = lambda seg, y: seg[0][0] + (seg[1][0] - seg[0][0]) * (y - seg[0][1]) / (seg[1][1] - seg[0][1])  # noqa: E731
    assert abs(at(change, mid_y) - at(insert, mid_y)) >= 4 * ax.figure.dpi / 72, (insert, change)
    texts = {t.get_text() for t in ax.texts}
    assert "change boletia.reservas[1]@2 (1026 ms)" in texts    # the measured time, unmoved
    assert np.isfinite(ends).all()
    plt.close(ax.figure)


def test_the_trace_keeps_every_label_inside_its_frame():
    """The stored run of lesson 03 at its latest: the last `change` label (a four-digit offset)
    ran past the right edge of the axes (issue 29, the second reading)."""
    from types import SimpleNamespace

    import matplotlib.pyplot as plt

    booking = SimpleNamespace(planned=0.0, answered=0.010, published=0.006, recorded=1.016,
                              announced=1.023, emailed=1.047,
                              where={"published": "boletia.inventario[2]@2531",
                                     "announced": "boletia.reservas[0]@4816"})
    ax = diagram.trace(booking, ax=plt.subplots(figsize=(8, 3.6))[1])   # the notebook's font runs wider
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    for label in (t for t in ax.texts if t.get_text().strip()):
        box = label.get_window_extent(renderer)
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, label.get_text()
    plt.close(ax.figure)
