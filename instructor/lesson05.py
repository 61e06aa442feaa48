"""Lesson 05: the reference answers (not for students).

The exercise: `knee(steps)`, the highest rate a design sustained. Checked by
boletia/lab/exercises/lesson05.py (`check_knee`), which the lesson's check cell calls.
"""


def knee(steps):
    """The highest offered rate at which every accepted booking got its reservation and the p99
    from the planned moment to the reservation was at most 1 s; 0 when none was."""
    held = [s["rate"] for s in steps
            if s["accepted"] > 0 and s["recorded"] == s["accepted"]
            and s["p99_ms"] is not None and s["p99_ms"] <= 1000]
    return max(held, default=0)


# The lesson's open questions, answered (they were at the foot of the lesson).
ANSWERS = {
    "1. rates 20-200: where each design stops, which resource limits it": (
        "On two cores every design is limited by the CPU shared between the brokers, Connect, "
        "SecantusDB and the services (`top` shows no single process at 100 %, the two cores together "
        "near it). In the recorded run (the lines printed above its plot) `txn` sustained 40/s and its "
        "p99 passed 1 s at 80/s: every booking's transaction touches the one event document, so "
        "concurrent transactions conflict and retry. `fixed` went furthest (240/s there): the booking "
        "is one `findAndModify`, and the work behind it is asynchronous, batched per partition, and the "
        "email path yields to it. The `seed` lost bookings at 80/s (failure mode 3, the race), so its "
        "curve stops there however fast it answers."),
    "2. doubling the source connector's batch size": (
        "Larger batches raise throughput but each booking may wait for a batch: at low rates the p99 "
        "barely moves, near the limit it drops because the source keeps up."),
    "3. why not send the email inside the transaction": (
        "An email cannot be rolled back: sending it inside the transaction would email customers whose "
        "booking then aborted (a conflict, a timeout). The transaction records the fact; the email "
        "follows it, once."),
}
