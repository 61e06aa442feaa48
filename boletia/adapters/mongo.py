"""MongoDB: the client, the collections of database `boletia`, their indexes and options."""

from __future__ import annotations

from pymongo import ASCENDING, MongoClient, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from boletia.config import COLLECTIONS, DATABASE
from boletia.domain import decisions as d

NOTIFICATIONS = "notificaciones"
REFUNDS = "reembolsos"


def client(uri: str, timeout_ms: int = 5000, app_name: str | None = None,
           retry_writes: bool = True, operation_timeout_ms: int | None = None) -> MongoClient:
    """`app_name` lets a fail point target one service's connections only.

    `operation_timeout_ms` bounds every operation, server selection included (the driver's
    `timeoutMS`): with MongoDB paused, an API answers 503 within that time instead of
    holding a request thread for minutes.

    `retry_writes=False` for the HTTP services: the driver retries a write once after a
    network error, and the server recognises the retry only while it remembers the first
    attempt. SecantusDB keeps those records in memory, so after a crash a retried booking
    ran twice (measured: 2 tickets taken for one reservation). The services answer 503
    instead, naming what may or may not have happened.
    """
    extra = {"timeoutMS": operation_timeout_ms} if operation_timeout_ms else {}
    return MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, tz_aware=True,
                       appname=app_name or "boletia", retryWrites=retry_writes,
                       connectTimeoutMS=min(timeout_ms, 5000), **extra)


def ping(uri: str) -> bool:
    try:
        with client(uri, timeout_ms=1000) as c:
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
