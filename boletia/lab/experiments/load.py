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

from boletia.lab.errors import LabError
from boletia.lab.notebook.client import Answer, Boletia


@dataclass
class Op:
    t: float         # when the answer came (epoch seconds)
    customer: int    # -1: the organisers
    op: str          # create | book | cancel | cancel-event
    evento: str
    status: int      # the HTTP status; 0 when no answer came
    id: str | None = None
    cantidad: int | None = None
    error: str | None = None
    email: str | None = None
    sent: float | None = None  # when the request left (epoch seconds)


@dataclass
class Record:
    seed: int
    prefix: str
    events: list[str] = field(default_factory=list)
    capacity: int = 0
    ops: list[Op] = field(default_factory=list)
    started: float = field(default_factory=time.time)
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

    def count(self, op: str, status: int | None = None) -> int:
        return sum(o.op == op and (status is None or o.status == status) for o in self.ops)

    def to_json(self) -> dict:
        return {"seed": self.seed, "prefix": self.prefix, "events": self.events,
                "capacity": self.capacity, "started": self.started,
                "ops": [asdict(o) for o in self.ops]}

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1))
        return path

    @classmethod
    def load(cls, path: Path) -> Record:
        data = json.loads(Path(path).read_text())
        rec = cls(seed=data["seed"], prefix=data["prefix"], events=data["events"],
                  capacity=data["capacity"], started=data.get("started", 0.0))
        rec.ops = [Op(**o) for o in data["ops"]]
        return rec


def create_events(api: Boletia, record: Record, count: int, capacity: int,
                  wait: bool = True) -> None:
    record.capacity = capacity
    for i in range(count):
        nombre = f"{record.prefix} {i + 1}"
        sent = time.time()
        a = api.create_event(nombre, capacity, "Carga")
        record.add(Op(time.time(), -1, "create", nombre, a.status,
                      a.body.get("Id") if a.ok else None, capacity,
                      None if a.ok else str(a.body)[:200], sent=sent))
        if a.ok:
            record.events.append(nombre)
    if not record.events:
        failed = next(o for o in record.ops if o.op == "create" and o.status != 200)
        raise LabError(f"no event could be created (eventos answered {failed.status}: "
                       f"{failed.error}); is the lab up and the admin token right?")
    if wait:
        for nombre in record.events:
            api.wait_available(nombre, capacity, timeout=60)


def cancel_events(api: Boletia, record: Record, names: list[str] | None = None) -> None:
    """The organisers cancel events (every event of the record by default); each answer is
    recorded, since it decides which state the history allows its reservations."""
    for nombre in names if names is not None else record.events:
        sent = time.time()
        a = _safe(api.cancel_event, nombre)
        record.add(Op(time.time(), -1, "cancel-event", nombre, a.status, sent=sent,
                      error=None if a.ok else str(a.body)[:200]))


def customer(api: Boletia, record: Record, index: int, operations: int,
             cancel_ratio: float, max_tickets: int, stop: threading.Event | None = None,
             pause: float = 0.0, confirm_timeout: float = 5.0) -> None:
    """One customer: each operation books, or (with probability `cancel_ratio`, once it has
    bookings) cancels one of its own. It cancels a booking once its reservation is visible,
    as a customer would from "my reservations": the reservation is written asynchronously,
    so the plan (drawn from this customer's own seeded stream) does not depend on timing."""
    rng = random.Random(record.seed * 100_003 + index)
    email = f"cliente{index}@{record.prefix.replace(' ', '-').lower()}.example"
    mine: list[str] = []
    for _ in range(operations):
        if stop is not None and stop.is_set():
            return
        if mine and rng.random() < cancel_ratio:
            rid = mine.pop(rng.randrange(len(mine)))
            if not _confirmed(api, rid, confirm_timeout, stop):
                record.add(Op(time.time(), index, "cancel-abandoned", "", 0, rid, email=email,
                              error=f"reservation not visible within {confirm_timeout:.0f}s"))
                continue
            sent = time.time()
            a = _safe(api.cancel, rid)
            record.add(Op(time.time(), index, "cancel", "", a.status, rid,
                          error=None if a.ok else str(a.body)[:200], email=email, sent=sent))
        else:
            evento = rng.choice(record.events)
            qty = rng.randint(1, max_tickets)
            sent = time.time()
            a = _safe(api.book, evento, qty, email)
            # a 503 still names the id the booking would have: its outcome is unknown
            rid = a.body.get("Id") if isinstance(a.body, dict) else None
            record.add(Op(time.time(), index, "book", evento, a.status, rid, qty,
                          None if a.ok else str(a.body)[:200], email=email, sent=sent))
            if rid and a.ok:
                mine.append(rid)
        if pause:
            time.sleep(pause)


def _confirmed(api: Boletia, rid: str, timeout: float, stop: threading.Event | None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (stop is not None and stop.is_set()):
        a = _safe(api.reservation, rid)
        if a.ok and a.body.get("Estado") == "A":
            return True
        time.sleep(0.1)
    return False


def _safe(call, *args):
    """A request that fails at the network level (service down) is recorded, not raised."""
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
