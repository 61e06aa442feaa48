"""Lesson 07: the reference answer (not for students).

The exercise: `how_often(rows, design)`, the statistic that answers "how often does the race
bite". Checked by boletia/lab/exercises/lesson07.py (`check_how_often`), which the lesson's check
cell calls.
"""


def how_often(rows, design):
    """The share of `design`'s runs that lost at least one booking (0 to 1): how OFTEN, whatever
    each run lost (that is how badly)."""
    mine = [r for r in rows if r["design"] == design]
    return sum(r["lost"] > 0 for r in mine) / len(mine)
