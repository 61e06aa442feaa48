"""Level 3, the connector: the student writes the configuration of the source connector that
publishes `inventario`'s changes (notebooks/exercises/inventory_connector.json, a stub that
behaves like the seed's connector), and the lab judges it three ways:

- instant checks on the file itself (`instant`): what it gets wrong, each pointing to the idea
  (the change event and not the document, what the pipeline lets through, the key);
- a live comparison (`observe`): the student's configuration and the fixed design's are
  registered side by side through Connect's REST API on a scratch database, each writing to its
  own scratch topics; the same writes are made (an insert, bookings, a refund, the sink's
  replace, and writes to the other collections), and what reaches the student's topic is compared
  with what reaches the reference's, field by field (`diff`);
- the chaos scenarios of its failure modes (`install`: the student's configuration put in place
  of the lab's `mongo-source-inventario` for a run of the `student` design).

The configuration is data the lab reads, never code: the grader runs no sandbox for it.
Cases are `practice.Case`s whose `run(config, seen)` reads the parsed file and the observation.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
from bson import ObjectId, json_util

from boletia import resources
from boletia.lab.errors import LabError
from boletia.lab.setup import connectors
from boletia.lab.setup.credentials import CHECK_TOPIC_PREFIX
from boletia.lab.student.practice import Case, Result

NAME = "mongo-source-inventario"   # the lab's publisher of inventario (fixed and student designs)
COLLECTIONS = ("eventos", "inventario", "reservas")
SOURCE_CLASS = "com.mongodb.kafka.connect.MongoSourceConnector"
STRING = "org.apache.kafka.connect.storage.StringConverter"
# what a change event carries that differs run to run or connector to connector
COMPARED = ("key", "operationType", "ns.coll", "documentKey._id", "updateDescription.updatedFields",
            "updateDescription.removedFields", "fullDocument.nombre")


def reference_file() -> Path:
    return resources.connect_dir() / "fixed" / f"{NAME}.json"


# ---------------------------------------------------------------- the file
def load(source: Path | str | dict) -> dict:
    """The connector's `config` from its file (or an already parsed dict); say what is wrong."""
    if isinstance(source, dict):
        spec = source
    else:
        path = Path(source)
        if not path.is_file():
            raise LabError(f"no connector file at {path}: start again from "
                           "notebooks/exercises/inventory_connector.json")
        try:
            spec = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise LabError(f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                           f"{exc.msg}): fix it and save") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
        raise LabError('a connector file is {"name": ..., "config": {...}}, as Connect\'s REST API '
                       "takes it: start again from notebooks/exercises/inventory_connector.json")
    return {k: str(v) if not isinstance(v, str) else v for k, v in spec["config"].items()}


def _matched(pipeline: str) -> set[str] | None:
    """The collections a pipeline's `$match` on `ns.coll` lets through; None: cannot tell here
    (the live comparison will)."""
    try:
        stages = json.loads(pipeline or "[]")
    except json.JSONDecodeError:
        return None
    allowed = set(COLLECTIONS)
    for stage in stages if isinstance(stages, list) else [None]:
        if not isinstance(stage, dict):
            return None
        match = stage.get("$match")
        if match is None:
            continue
        if set(match) - {"ns.coll"}:
            return None
        cond = match["ns.coll"]
        if isinstance(cond, str):
            allowed &= {cond}
        elif isinstance(cond, dict) and set(cond) <= {"$in", "$eq"}:
            if "$in" in cond:
                allowed &= set(cond["$in"])
            if "$eq" in cond:
                allowed &= {cond["$eq"]}
        else:
            return None
    return allowed


# ---------------------------------------------------------------- the ideas (hints)
CHANGE_EVENT = ("the change event, not the document: a consumer that must know what THIS write did "
                "needs the event's description of the write (which fields it set), not the document "
                "as it was when the connector read it")
POST_IMAGE = ("the post-image: the consumer still reads the event's name from the document that "
              "comes with the change")
SCOPE = ("the pipeline decides which changes become messages: eventos and reservas already have "
         "their publisher (as documents); this connector publishes inventario's changes, and only them")
KEY = ("the key picks the partition: keyed by the document, the changes of one event stay in order "
       "on one partition")
FORMAT = "the consumers read extended JSON strings: the key and the value must stay JSON text"
NEVER_DROP = "at-least-once from the source: a change the connector cannot publish must stop it, never vanish"
SOURCE_DB = "the connector watches the lab's database, boletia"
A_CONNECTOR = "a MongoDB source connector: the class Connect instantiates"


def _check(ok: bool, detail: str) -> tuple[bool, str]:
    return ok, detail


def _is_source(config, seen):
    got = config.get("connector.class")
    return _check(got == SOURCE_CLASS, f"connector.class is {got!r} (a MongoDB source connector?)")


def _change_events(config, seen):
    got = config.get("publish.full.document.only", "false")
    return _check(got.lower() == "false", f"publish.full.document.only is {got!r}: the topic "
                  f"{'gets the document alone' if got.lower() == 'true' else 'gets the change event'}")


def _post_image(config, seen):
    got = config.get("change.stream.full.document", "default")
    return _check(got in ("updateLookup", "required", "whenAvailable"),
                  f"change.stream.full.document is {got!r}: an update's event "
                  f"{'carries no document' if got == 'default' else 'carries a document'}")


def _pipeline_scope(config, seen):
    found = _matched(config.get("pipeline", "[]"))
    if found is None:
        return _check(True, "the pipeline is beyond this quick check: the live comparison judges it")
    return _check(found == {"inventario"}, f"the pipeline lets through {sorted(found) or 'nothing'} "
                  "(expected only inventario)")


def _key(config, seen):
    got = config.get("change.stream.document.key.as.key", "true")
    return _check(got.lower() != "false", f"change.stream.document.key.as.key is {got!r}")


def _formats(config, seen):
    wrong = [f"{k} {config.get(k)!r}" for k, v in (("key.converter", STRING), ("value.converter", STRING))
             if config.get(k) != v]
    wrong += [f"{k} {config.get(k)!r}" for k in ("output.format.key", "output.format.value")
              if config.get(k, "json") != "json"]
    return _check(not wrong, ", ".join(wrong) or "JSON text")


def _tolerance(config, seen):
    got = config.get("errors.tolerance", "none")
    return _check(got == "none", f"errors.tolerance is {got!r}")


def _database(config, seen):
    got = config.get("database")
    return _check(got == "boletia", f"database is {got!r}")


INSTANT: tuple[Case, ...] = (
    Case("connector_events", "it is a MongoDB source connector", A_CONNECTOR, _is_source, key=False),
    Case("connector_events", "the topic gets change events", CHANGE_EVENT, _change_events),
    Case("connector_events", "an update comes with its document", POST_IMAGE, _post_image, key=False),
    Case("connector_scope", "the pipeline lets through inventario alone", SCOPE, _pipeline_scope),
    Case("connector_scope", "it watches the lab's database", SOURCE_DB, _database, key=False),
    Case("connector_scope", "keyed by the document", KEY, _key, key=False),
    Case("connector_scope", "key and value are JSON text", FORMAT, _formats, key=False),
    Case("connector_scope", "a change it cannot publish stops it", NEVER_DROP, _tolerance, key=False),
)


def instant(config: dict) -> list[Result]:
    """The checks on the file alone (no lab): each a result with its idea."""
    return [_run(case, config, None) for case in INSTANT]


def _run(case: Case, config: dict, seen) -> Result:
    try:
        passed, detail = case.run(config, seen)
    except Exception as exc:  # noqa: BLE001 - a check that cannot read the file: that is the result
        passed, detail = False, f"could not read: {type(exc).__name__}: {exc}"
    return Result(case, bool(passed), detail)


# ---------------------------------------------------------------- the writes compared
@dataclass(frozen=True)
class Write:
    label: str      # what it is, as a diff names it: "the booking of R1 (2 tickets)"
    collection: str
    op: str         # insert | update | replace
    args: dict      # update: {"$inc": ..., "$set": ...}; insert/replace: the document


@dataclass
class Plan:
    """The writes of one comparison, on one event of the scratch inventario (plus one write on
    each other collection, which the connector must not publish)."""
    writes: list[Write]
    event: str = "Opera"


def practice_plan() -> Plan:
    r1 = {"id": "R1", "email": "ana@x.es", "cantidad": 2}
    r2 = {"id": "R2", "email": "luis@x.es", "cantidad": 1}
    doc = {"nombre": "Opera", "estado": "A", "capacidad": 10, "vendidos": 0}
    return Plan([
        Write("the event's insert", "inventario", "insert", doc),
        Write("the booking of R1 (2 tickets)", "inventario", "update",
              {"$inc": {"vendidos": 2}, "$set": {"reserva": r1}}),
        Write("the booking of R2 (1 ticket)", "inventario", "update",
              {"$inc": {"vendidos": 1}, "$set": {"reserva": r2}}),
        Write("the refund of R1 (2 tickets)", "inventario", "update", {"$inc": {"vendidos": -2}}),
        Write("the sink's copy of the event", "inventario", "replace",
              {"nombre": "Opera", "estado": "A", "capacidad": 10, "vendidos": 1}),
        Write("an event's insert in eventos", "eventos", "insert",
              {"nombre": "Opera", "estado": "A", "capacidad": 10}),
        Write("a reservation's insert in reservas", "reservas", "insert",
              {"evento": "Opera", "email": "ana@x.es", "cantidad": 2, "estado": "A"}),
    ])


@dataclass
class Seen:
    """What reached the topics: per collection, the student's and the reference's events (each
    `{"key": ..., **value}`), in order, the writes' labels beside them."""
    student: dict[str, list[dict]] = field(default_factory=dict)
    reference: dict[str, list[dict]] = field(default_factory=dict)
    labels: dict[str, list[str]] = field(default_factory=dict)
    failed: str = ""   # the student's connector did not run: why


def _get(doc, path: str):
    for part in path.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return "(missing)"
        doc = doc[part]
    return doc


_ID = re.compile(r'\{"\$oid": "[0-9a-f]{24}"\}')
_TOKEN = re.compile(r'\{"_data": "[0-9A-Fa-f]+"\}')


def _short(value) -> str:
    """A value as a diff shows it: ids and resume tokens named, not spelled (they differ run
    to run and say nothing of the mistake)."""
    text = json_util.dumps(value) if not isinstance(value, str) else repr(value)
    text = _TOKEN.sub('{"_data": <resume token>}', _ID.sub("<the document's id>", text))
    return text if len(text) <= 120 else text[:117] + "..."


def diff(seen: Seen, collection: str = "inventario") -> list[str]:
    """One line per field that differs, naming the write: the readable diff."""
    if seen.failed:
        return [f"your connector did not run: {seen.failed}"]
    got, want = seen.student.get(collection, []), seen.reference.get(collection, [])
    labels = seen.labels.get(collection, [])
    lines = []
    for i, label in enumerate(labels):
        if i >= len(got):
            lines.append(f"{label}: expected an event, nothing reached your topic")
            continue
        if i < len(want) and "operationType" in want[i] and "operationType" not in got[i]:
            fields = ", ".join(k for k in got[i] if k not in ("key", "_id"))
            described = _get(want[i], "updateDescription.updatedFields")
            lines.append(f"{label}: your topic got the document alone (its fields {fields}); "
                         f"expected the change event: operationType {_short(want[i]['operationType'])}"
                         + (f", updateDescription.updatedFields {_short(described)}"
                            if described != "(missing)" else ""))
            continue
        for path in COMPARED:
            a, b = _get(want[i], path) if i < len(want) else "(missing)", _get(got[i], path)
            if a != b:
                lines.append(f"{label}: {path}: expected {_short(a)}, got {_short(b)}")
    if len(got) > len(labels):
        lines.append(f"{len(got) - len(labels)} event(s) more than the writes made")
    return lines


def _compared(labels: tuple[str, ...]) -> Callable:
    def run(config, seen: Seen):
        if seen is None:
            return False, "needs the lab (the live comparison)"
        if seen.failed:
            return False, f"your connector did not run: {seen.failed}"
        # the key is the scope part's (its own check): here what the value says of the write
        lines = [line for line in diff(seen) if line.startswith(labels)
                 and not line.split(": ", 2)[1:2] == ["key"]]
        return not lines, "\n".join(lines[:3]) or "as the fixed design's"
    return run


def _others_quiet(config, seen: Seen):
    if seen is None:
        return False, "needs the lab (the live comparison)"
    if seen.failed:
        return False, f"your connector did not run: {seen.failed}"
    extra = {c: len(seen.student.get(c, [])) for c in ("eventos", "reservas") if seen.student.get(c)}
    return not extra, (f"your connector also published {extra} (the other collections have their "
                       "own publisher: each change would arrive twice, and not as a document)"
                       if extra else "nothing of eventos or reservas")


def live_cases(plan: Plan) -> tuple[Case, ...]:
    """The comparison's cases for a plan: a point per kind of write the consumer tells apart."""
    by_kind: dict[str, list[str]] = {}
    for w in plan.writes:
        if w.collection != "inventario":
            continue
        kind = ("booking" if "reserva" in w.args.get("$set", {}) else "refund") \
            if w.op == "update" else w.op
        by_kind.setdefault(kind, []).append(w.label)
    names = {"insert": "an insert reaches the topic as the fixed design's",
             "booking": "a booking's event says what that write set",
             "refund": "a refund's event says what it changed, and nothing of a booking",
             "replace": "the sink's copy reaches the topic as a replace"}
    out = [Case("connector_events", names[k], CHANGE_EVENT, _compared(tuple(labels)))
           for k, labels in by_kind.items()]
    out.append(Case("connector_scope", "nothing of the other collections is published", SCOPE,
                    _others_quiet))
    return tuple(out)


class Drawn(tuple):
    """A level's cases with the plan their live comparison makes."""
    plan: Plan


def practice_cases() -> Drawn:
    plan = practice_plan()
    out = Drawn((*INSTANT, *live_cases(plan)))
    out.plan = plan
    return out


# ---------------------------------------------------------------- Connect
def _put(url: str, name: str, config: dict) -> None:
    r = connectors.rest().put(f"{url}/connectors/{name}/config", json=config, timeout=30)
    if not r.ok:
        raise LabError(f"Connect refused the connector configuration ({r.status_code}): "
                       f"{connectors._message(r)}")


def _delete(url: str, name: str) -> None:
    try:
        connectors.rest().delete(f"{url}/connectors/{name}", timeout=30)
    except requests.RequestException:
        pass


def _read(bootstrap: str, topics: list[str], timeout: float) -> dict[str, list[dict]]:
    from kafka import KafkaConsumer, TopicPartition

    from boletia.adapters.kafka import security

    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), enable_auto_commit=False,
                             consumer_timeout_ms=int(timeout * 1000), **security())
    try:
        parts = [TopicPartition(t, 0) for t in topics]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        out: dict[str, list[dict]] = {t: [] for t in topics}
        for record in consumer:
            try:
                value = json_util.loads(record.value) if record.value else {}
                key = json_util.loads(record.key) if record.key else None
            except ValueError:
                value, key = {"(not JSON)": str(record.value)[:80]}, str(record.key)[:80]
            out[record.topic].append({"key": key, **(value if isinstance(value, dict) else
                                                     {"(value)": value})})
        return out
    finally:
        consumer.close()


def _document(event: dict) -> dict:
    doc = event.get("fullDocument") if "operationType" in event else event
    return doc if isinstance(doc, dict) else {}


def observe(settings, config: dict, plan: Plan, wait: float = 20.0,
            report=lambda m: None) -> Seen:
    """Register the student's configuration and the reference side by side on a scratch
    database (their own scratch topics), make the plan's writes, read both topics: the lab's
    collections and topics are never touched. The database is always CHECK_DATABASE (the one
    besides the lab's that Connect's MongoDB user may use), emptied first: one check at a time."""
    from kafka.admin import NewTopic

    from boletia.adapters import kafka, mongo
    from boletia.config import CHECK_DATABASE

    tag = uuid.uuid4().hex[:8]
    database = CHECK_DATABASE
    uri = connectors.settings_uri(settings)
    reference = load(reference_file())
    names = {who: f"{CHECK_TOPIC_PREFIX}{who}-{tag}" for who in ("student", "reference")}
    # under CHECK_TOPIC_PREFIX, the one prefix Connect may write besides the lab's topics
    topics = {who: {c: f"{names[who]}.{database}.{c}" for c in COLLECTIONS} for who in names}
    url = settings.connect_url
    admin = kafka.admin(settings.kafka_bootstrap)
    seen = Seen()
    try:
        admin.create_topics([NewTopic(t, num_partitions=1, replication_factor=1)
                             for by in topics.values() for t in by.values()])
        with mongo.connect(settings, operation_timeout_ms=10_000) as client:
            client.drop_database(database)  # what a check that crashed left
            db = client[database]
            for c in COLLECTIONS:
                db.create_collection(c)
            for who, cfg in (("reference", reference), ("student", config)):
                _put(url, names[who], {**cfg, "database": database, "topic.prefix": names[who],
                                       "connection.uri": uri, "name": names[who]})
            try:
                connectors.wait_running(url, names["student"], timeout=60)
            except LabError as exc:
                seen.failed = str(exc).splitlines()[-1][:300] if str(exc) else "FAILED"
            connectors.wait_running(url, names["reference"], timeout=60)
            report("both connectors RUNNING; waiting until each has opened its change stream")
            probes = _probe(settings, db, topics, wait, seen.failed)
            ids: dict[str, list] = {c: [] for c in COLLECTIONS}
            for w in plan.writes:
                coll = db[w.collection]
                if w.op == "insert":
                    ids[w.collection].append(coll.insert_one(dict(w.args)).inserted_id)
                elif w.op == "update":
                    coll.update_one({"_id": ids[w.collection][0]}, w.args)
                else:
                    coll.replace_one({"_id": ids[w.collection][0]}, dict(w.args))
                seen.labels.setdefault(w.collection, []).append(w.label)
            end = db.inventario.insert_one({"nombre": f"__end_{tag}"}).inserted_id
            got = _until(settings, topics, lambda out: _has(out, "reference", topics, end), wait)
            if not seen.failed:
                got = _until(settings, topics, lambda out: _has(out, "student", topics, end), 8.0)
            for who in names:
                for c in COLLECTIONS:
                    events = got[topics[who][c]]
                    after = max((i for i, e in enumerate(events) if _document(e).get("nombre") in
                                 probes), default=-1)
                    kept = [e for e in events[after + 1:]
                            if not str(_document(e).get("nombre", "")).startswith("__")]
                    getattr(seen, who)[c] = kept
            client.drop_database(database)
    finally:
        for name in names.values():
            _delete(url, name)
        try:
            admin.delete_topics([t for by in topics.values() for t in by.values()])
        except Exception:  # noqa: BLE001 - scratch topics: best effort
            pass
        admin.close()
    return seen


def _has(out: dict, who: str, topics: dict, doc_id) -> bool:
    return any(_get(e, "documentKey._id") == doc_id or _document(e).get("_id") == doc_id
               for e in out.get(topics[who]["inventario"], []))


def _until(settings, topics, done: Callable[[dict], bool], wait: float) -> dict:
    deadline = time.monotonic() + wait
    every = [t for by in topics.values() for t in by.values()]
    while True:
        out = _read(settings.kafka_bootstrap, every, 1.0)
        if done(out) or time.monotonic() > deadline:
            return out


def _probe(settings, db, topics, wait: float, failed: str) -> set[str]:
    """Insert marked documents until the reference (and the student's, unless it failed or
    never publishes inventario) shows one: both change streams are open."""
    names: set[str] = set()
    deadline = time.monotonic() + wait
    want = ["reference"] if failed else ["reference", "student"]
    while time.monotonic() < deadline:
        name = f"__probe_{ObjectId()}"
        db.inventario.insert_one({"nombre": name})
        names.add(name)
        out = _read(settings.kafka_bootstrap, [topics[w]["inventario"] for w in want], 1.0)
        if all(any(_document(e).get("nombre") in names for e in out[topics[w]["inventario"]])
               for w in want):
            return names
        if "student" in want and time.monotonic() > deadline - wait / 2 and any(
                _document(e).get("nombre") in names for e in out[topics["reference"]["inventario"]]):
            want = ["reference"]   # the student's never shows inventario: the diff will say so
    return names


# ---------------------------------------------------------------- the checks, the level
def judge(source, settings=None, cases: tuple[Case, ...] | None = None,
          report=lambda m: None) -> tuple[list[Result], Seen | None]:
    """The file against `cases` (the practice ones by default): the instant checks always, the
    live comparison when `settings` (a running lab) is given; with what reached the topics. The
    file is read afresh at every call."""
    cases = practice_cases() if cases is None else cases
    try:
        config = load(source)
    except LabError as exc:
        return [Result(c, False, str(exc)) for c in cases], None
    plan = getattr(cases, "plan", None)
    seen = None
    if settings is not None and plan is not None:
        seen = observe(settings, config, plan, report=report)
    return [_run(c, config, seen) for c in cases], seen


def check(source, settings=None, cases: tuple[Case, ...] | None = None,
          report=lambda m: None) -> list[Result]:
    return judge(source, settings, cases, report)[0]


GUARD = {"$match": {"ns.coll": "inventario"}}


def guarded(pipeline: str) -> str:
    """The student's pipeline behind a first stage that lets only inventario through: a
    scenario's run never gets change events of eventos or reservas on the lab's own topics
    (they would corrupt the lab past the run; the scope cases judge that mistake instead). A
    pipeline that is not a JSON list is left as it is: Connect refuses it, the run says so."""
    try:
        stages = json.loads(pipeline or "[]")
    except json.JSONDecodeError:
        return pipeline
    return json.dumps([GUARD, *stages]) if isinstance(stages, list) else pipeline


def install(settings, source) -> None:
    """Put the student's configuration in place of the lab's publisher of inventario (its
    offsets kept: the name is the lab's; its pipeline `guarded`); Connect's refusal or a
    FAILED task is said."""
    config = load(source)
    config = {**config, "pipeline": guarded(config.get("pipeline", "[]")),
              "connection.uri": connectors.settings_uri(settings), "name": NAME}
    _put(settings.connect_url, NAME, config)
    connectors.wait_running(settings.connect_url, NAME, timeout=60)
