"""Complete the bookings answered 200 whose reservation never came (issue 28.5).

The fixed design records each booking in `pedidos` before answering 200
(Design.booking_record). Its reservation normally follows through the change stream; if the
change is lost (Connect's resume point lost, the change dead-lettered), the record remains.
`reconcile` finds each record older than `grace` seconds without its reservation and writes
that reservation, keyed by the same id: idempotent against the consumer doing it too, and
against itself. A record whose reservation exists is done and deleted, so `pedidos` holds
only the bookings in flight. `boletia lab reconcile` runs it once; the watchdog every minute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from boletia import config
from boletia.adapters import mongo
from boletia.domain import decisions

# The watchdog leaves a booking to the normal path for this long. Under a second normally;
# but Connect restarted under load took about 100 s here (chaos connect-restart), and a
# pass with 30 s completed 43 bookings its durable offsets were about to publish: harmless
# (idempotent), yet it hid the lesson of failure mode 5. `lab reconcile` asks for 30 s.
GRACE_S = 300.0


@dataclass
class Reconciled:
    checked: int = 0
    completed: list[str] = field(default_factory=list)  # reservation ids written now
    done: int = 0          # records whose reservation existed: deleted

    def line(self) -> str:
        ids = f": {', '.join(self.completed[:5])}{' …' if len(self.completed) > 5 else ''}" \
            if self.completed else ""
        return (f"reconcile: {self.checked} booking(s) recorded, {self.done} with their reservation, "
                f"{len(self.completed)} completed now{ids}")


def reconcile(db, grace: float = GRACE_S, now: datetime | None = None) -> Reconciled:
    """One pass over `pedidos`; see the module's docstring."""
    now = now or datetime.now(UTC)
    out = Reconciled()
    records = list(db[decisions.BOOKINGS].find({}))
    out.checked = len(records)
    if not records:
        return out
    found = {d["_id"] for d in db.reservas.find({"_id": {"$in": [r["_id"] for r in records]}},
                                                  {"_id": 1})}
    finished = []
    for r in records:
        if r["_id"] in found:
            finished.append(r["_id"])
            continue
        at = r.get("at")
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        if at is not None and now - at < timedelta(seconds=grace):
            continue  # still in flight on the normal path
        if mongo.apply(db, decisions.complete_booking(r, now)):
            out.completed.append(str(r["_id"]))
        finished.append(r["_id"])  # written now, or by the consumer meanwhile
    if finished:
        db[decisions.BOOKINGS].delete_many({"_id": {"$in": finished}})
    out.done = len(finished) - len(out.completed)
    return out


class Reconciler:
    """The watchdog's turn: a pass every `every` seconds; a line when it completed something
    or could not run (quiet otherwise: it runs all day)."""

    def __init__(self, settings: config.Settings, log=print, every: float = 60.0,
                 grace: float = GRACE_S):
        import time

        self.settings, self.log, self.every, self.grace = settings, log, every, grace
        self.clock = time.monotonic
        self._last = float("-inf")
        self._client = None

    def check(self) -> None:
        from pymongo.errors import PyMongoError

        now = self.clock()
        if now - self._last < self.every:
            return
        self._last = now
        try:
            if self._client is None:
                self._client = mongo.connect(self.settings, app_name="watchdog")
            done = reconcile(mongo.database(self._client), self.grace)
        except PyMongoError as exc:
            self.log(f"reconcile failed (again in {self.every:.0f}s): {exc!r}")
            return
        if done.completed:
            self.log(done.line())
