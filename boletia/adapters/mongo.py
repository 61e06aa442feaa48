"""MongoDB: the client, the collections of database `boletia`, their indexes and options."""

from __future__ import annotations

from pymongo import ASCENDING, MongoClient, ReturnDocument
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from boletia import config
from boletia.config import COLLECTIONS, DATABASE
from boletia.domain import decisions as d

NOTIFICATIONS = "notificaciones"
REFUNDS = "reembolsos"


def connect(s: config.Settings, **options) -> MongoClient:
    """A client of the lab's MongoDB as this process's user (config.mongo_login): its own when
    the runtime gave it one, else the lab's admin, else none (a lab without credentials).
    `options`: those of `client`."""
    return client(s.mongo_uri, login=config.mongo_login(s), **options)


def client(uri: str, timeout_ms: int = 5000, app_name: str | None = None,
           retry_writes: bool = False, operation_timeout_ms: int | None = None,
           login: tuple[str, str] | None = None) -> MongoClient:
    """`app_name` lets a fail point target one service's connections only. `login`: (user,
    password), kept out of the URI (the URI is printed; users live in `admin`).

    `operation_timeout_ms` bounds every operation, server selection included (the driver's
    `timeoutMS`): with MongoDB paused, an API answers 503 within that time instead of
    holding a request thread for minutes.

    No retryable writes by default (the driver retries a write once after a network error,
    and the server recognises the retry by a record it keeps of the first attempt). Whoever
    owns a write's meaning retries it instead: the consumers' loop re-runs an idempotent
    message, the HTTP services answer 503 naming what may or may not have happened. Two
    reasons, both measured on SecantusDB:
    - it keeps those records in memory, so after a crash a retried booking ran twice (2
      tickets taken for one reservation);
    - past 10 000 records, every write sorts them all to evict the oldest: after a few
      thousand bookings the store's ceiling fell from ~200 to ~20 bookings/s, with 60 % of
      the server's time in that sort (py-spy, `TransactionRegistry._prune_retryable_locked`).
    """
    extra = {"timeoutMS": operation_timeout_ms} if operation_timeout_ms else {}
    if login:
        extra.update(username=login[0], password=login[1], authSource="admin")
    return MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, tz_aware=True,
                       appname=app_name or "boletia", retryWrites=retry_writes,
                       connectTimeoutMS=min(timeout_ms, 5000), **extra)


def ping(s: config.Settings) -> bool:
    try:
        with connect(s, timeout_ms=1000) as c:
            return c.admin.command("ping").get("ok") == 1
    except PyMongoError:
        return False


def database(c: MongoClient) -> Database:
    return c[DATABASE]


def ensure_schema(c: MongoClient) -> None:
    """Create the collections with post-images on, and the indexes the services rely on.

    Post-images let the source connector publish each update as that update left the
    document (`change.stream.full.document=required`), not as it is when read later.
    """
    db = database(c)
    existing = set(db.list_collection_names())
    for name in (*COLLECTIONS, NOTIFICATIONS, REFUNDS):
        if name not in existing:
            db.create_collection(name, changeStreamPreAndPostImages={"enabled": True})
        else:
            db.command("collMod", name, changeStreamPreAndPostImages={"enabled": True})
    db.eventos.create_index([("nombre", ASCENDING)], unique=True, name="nombre_unico")
    db.inventario.create_index([("nombre", ASCENDING)], name="nombre")
    db.reservas.create_index([("evento", ASCENDING), ("email", ASCENDING)], name="evento_email")
    db.reservas.create_index([("evento", ASCENDING), ("estado", ASCENDING)], name="evento_estado")
    db[NOTIFICATIONS].create_index(
        [("reserva", ASCENDING), ("estado", ASCENDING)], unique=True, name="una_por_estado")
    # the fixed design's record of each booking answered 200 (reconcile reads it): created here,
    # not by the first booking, so the lab's collections are the same whatever ran before
    if d.BOOKINGS not in existing:
        db.create_collection(d.BOOKINGS)


class _NothingToDo(Exception):
    """Aborts a transaction whose FindAndModify matched nothing."""


def apply(db: Database, write, session=None) -> object:
    """Carry out one write decided by boletia.domain.decisions.

    FindAndModify -> the document after the update, or None when the filter matched nothing.
    UpdateMany    -> the number of documents changed.
    InsertOne     -> True, or False when the `_id` exists already (the work was done before:
                     a redelivered message is acknowledged, not inserted twice).
    Transaction   -> True when every write happened, False when none did (an InsertOne met
                     its `_id`, or a FindAndModify matched nothing).
    """
    if isinstance(write, d.Transaction):
        return _transaction(db, write)
    coll = db[write.collection]
    if isinstance(write, d.FindAndModify):
        return coll.find_one_and_update(write.filter, write.update,
                                        return_document=ReturnDocument.AFTER, session=session)
    if isinstance(write, d.UpdateMany):
        return coll.update_many(write.filter, write.update, session=session).modified_count
    if isinstance(write, d.InsertOne):
        try:
            coll.insert_one(dict(write.document), session=session)
            return True
        except DuplicateKeyError:
            if session is not None:
                raise  # inside a transaction: abort it
            return False
    raise TypeError(f"not a write: {write!r}")


def _transaction(db: Database, txn) -> bool:
    def body(session) -> None:
        for w in txn.writes:
            if apply(db, w, session) is None:
                raise _NothingToDo
    # with_transaction retries a transient conflict (a booking touching the same event)
    with db.client.start_session() as session:
        try:
            session.with_transaction(body)
        except (DuplicateKeyError, _NothingToDo):
            return False
    return True


DUPLICATE_KEY = 11000


def apply_all(db: Database, writes: list[list]) -> list[bool]:
    """Carry out several messages' writes in order, one round trip for each run of inserts
    into one collection: the store pays per command (a journal flush each), so a consumer
    that writes a partition batch at once keeps up with many more messages than one that
    writes them one by one (measured in the README's benchmark section).

    `writes[i]` are message i's writes; the answer says, per message, whether any write
    changed something (False: its work was done before). Inserts into one collection
    commute, so a run of them goes unordered; everything else keeps its place. A failure
    other than a duplicate `_id` raises, with some writes made: the caller retries them all,
    and each write is idempotent."""
    changed = [False] * len(writes)
    run: list[tuple[int, d.InsertOne]] = []

    def flush() -> None:
        if not run:
            return
        coll = db[run[0][1].collection]
        duplicates: set[int] = set()
        try:
            coll.insert_many([dict(w.document) for _, w in run], ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if exc.details.get("writeConcernErrors") or any(
                    e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            duplicates = {e["index"] for e in errors}
        for k, (i, _) in enumerate(run):
            changed[i] = changed[i] or k not in duplicates
        run.clear()

    for i, message in enumerate(writes):
        for w in message:
            if isinstance(w, d.InsertOne) and (not run or run[0][1].collection == w.collection):
                run.append((i, w))
                continue
            flush()
            if isinstance(w, d.InsertOne):
                run.append((i, w))
            else:
                changed[i] = bool(apply(db, w)) or changed[i]
    flush()
    return changed


def claim(coll, filter: dict, update: dict) -> bool:
    """Run a ledger's upsert: True when it matched or inserted (go on), False when it met an
    existing `_id` (the work was done before)."""
    try:
        coll.find_one_and_update(filter, update, upsert=True, return_document=ReturnDocument.AFTER)
        return True
    except DuplicateKeyError:
        return False


def fail_next_writes(c: MongoClient, times: int, app_name: str | None = None,
                     commands: tuple[str, ...] = ("insert", "update", "findAndModify"),
                     error_code: int = 1) -> None:
    """Make the next `times` write commands fail (SecantusDB/mongod `failCommand` fail point),
    optionally only for clients that connected with `appname=app_name`.

    Error code 1 (InternalError) carries no RetryableWriteError label, so the driver does not
    retry it by itself: the consumer sees the failure, as it would a real outage."""
    data: dict = {"failCommands": list(commands), "errorCode": error_code}
    if app_name:
        data["appName"] = app_name
    c.admin.command({"configureFailPoint": "failCommand", "mode": {"times": times}, "data": data})


def clear_fail_points(c: MongoClient) -> None:
    c.admin.command({"configureFailPoint": "failCommand", "mode": "off"})
