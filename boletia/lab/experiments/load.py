"""The load generator: N concurrent customers booking and cancelling over M events.

Every customer draws its choices from its own random stream seeded from (seed, customer),
so a run is reproducible in what it asks for (the interleaving is the machine's). Every
request and its answer is recorded: the checker needs the bookings that succeeded.
"""

from __future__ import annotations

import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from boletia.lab.notebook.client import Boletia


@dataclass
class Op:
    t: float
    customer: int
    op: str          # create | book | cancel
    evento: str
    status: int
    id: str | None = None
    cantidad: int | None = None
    error: str | None = None


@dataclass
class Record:
    seed: int
    prefix: str
    events: list[str] = field(default_factory=list)
    capacity: int = 0
    ops: list[Op] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, op: Op) -> None:
        with self.lock:
            self.ops.append(op)

    @property
    def bookings(self) -> list[str]:
        """Ids of every booking answered 200."""
        return [o.id for o in self.ops if o.op == "book" and o.status == 200 and o.id]

    @property
    def uncertain(self) -> list[str]:
        """Ids of bookings whose outcome is unknown (503: the database did not confirm); a
        reservation may exist for them or not, as in Jepsen's indeterminate operations."""
        return [o.id for o in self.ops if o.op == "book" and o.status == 503 and o.id]

    def summary(self) -> dict:
        by = {}
        for o in self.ops:
            key = f"{o.op} {o.status}"
            by[key] = by.get(key, 0) + 1
        return {"events": len(self.events), "operations": len(self.ops), "answers": by,
                "bookings_ok": len(self.bookings), "bookings_uncertain": len(self.uncertain)}

    def to_json(self) -> dict:
        return {"seed": self.seed, "prefix": self.prefix, "events": self.events,
                "capacity": self.capacity, "ops": [asdict(o) for o in self.ops]}

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1))
        return path

    @classmethod
    def load(cls, path: Path) -> Record:
        data = json.loads(Path(path).read_text())
        rec = cls(seed=data["seed"], prefix=data["prefix"], events=data["events"],
                  capacity=data["capacity"])
        rec.ops = [Op(**o) for o in data["ops"]]
        return rec


def create_events(api: Boletia, record: Record, count: int, capacity: int,
                  wait: bool = True) -> None:
    record.capacity = capacity
    for i in range(count):
        nombre = f"{record.prefix} {i + 1}"
        a = api.create_event(nombre, capacity, "Carga")
        record.add(Op(time.time(), -1, "create", nombre, a.status,
                      a.body.get("Id") if a.ok else None, capacity,
                      None if a.ok else str(a.body)[:200]))
        if a.ok:
            record.events.append(nombre)
    if not record.events:
        from boletia.lab.errors import LabError

        failed = next(o for o in record.ops if o.op == "create" and o.status != 200)
        raise LabError(f"no event could be created (eventos answered {failed.status}: "
                       f"{failed.error}); is the lab up and the admin token right?")
    if wait:
        for nombre in record.events:
            api.wait_available(nombre, capacity, timeout=60)


def customer(api: Boletia, record: Record, index: int, operations: int,
             cancel_ratio: float, max_tickets: int, stop: threading.Event | None = None,
             pause: float = 0.0, cancel_after: float = 1.0) -> None:
    rng = random.Random(record.seed * 100_003 + index)
    email = f"cliente{index}@{record.prefix.replace(' ', '-').lower()}.example"
    mine: list[tuple[float, str]] = []  # (when booked, id)
    for _ in range(operations):
        if stop is not None and stop.is_set():
            return
        # a customer cancels a booking made a while ago: the reservation is written
        # asynchronously, and cancelling one that does not exist yet only teaches a 404
        ripe = [i for i, (t, _) in enumerate(mine) if time.monotonic() - t >= cancel_after]
        if ripe and rng.random() < cancel_ratio:
            _, rid = mine.pop(ripe[rng.randrange(len(ripe))])
            a = _safe(api.cancel, rid)
            record.add(Op(time.time(), index, "cancel", "", a.status, rid,
                          error=None if a.ok else str(a.body)[:200]))
        else:
            evento = rng.choice(record.events)
            qty = rng.randint(1, max_tickets)
            a = _safe(api.book, evento, qty, email)
            # a 503 still names the id the booking would have: its outcome is unknown
            rid = a.body.get("Id") if isinstance(a.body, dict) else None
            record.add(Op(time.time(), index, "book", evento, a.status, rid, qty,
                          None if a.ok else str(a.body)[:200]))
            if rid and a.ok:
                mine.append((time.monotonic(), rid))
        if pause:
            time.sleep(pause)


def _safe(call, *args):
    """A request that fails at the network level (service down) is recorded, not raised."""
    from boletia.lab.notebook.client import Answer

    try:
        return call(*args)
    except Exception as exc:  # noqa: BLE001 - recorded as status 0
        return Answer(0, f"{type(exc).__name__}: {exc}")


def run(api: Boletia, seed: int = 1, events: int = 3, customers: int = 10,
        operations: int = 10, capacity: int = 40, cancel_ratio: float = 0.25,
        max_tickets: int = 4, prefix: str | None = None, pause: float = 0.0,
        stop: threading.Event | None = None, record: Record | None = None) -> Record:
    """Create `events` events, then let `customers` threads each make `operations` requests."""
    if record is None:
        record = Record(seed=seed, prefix=prefix or f"Carga {seed}-{int(time.time()) % 100000}")
        create_events(api, record, events, capacity)
    with ThreadPoolExecutor(max_workers=customers) as pool:
        futures = [pool.submit(customer, api, record, i, operations, cancel_ratio, max_tickets,
                               stop, pause) for i in range(customers)]
        for f in futures:
            f.result()
    return record
