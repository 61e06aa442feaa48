"""The write-it-yourself checks of lessons 00-03 (boletia/lab/exercises/lessonNN.py): each one says
"right" on the instructor's answer (instructor/lessonNN.py), and "not yet" with the idea on the
lesson's untouched stub (read from the lesson itself) and on wrong answers; none raises."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from boletia.lab.exercises import lesson00, lesson01, lesson02, lesson03

ROOT = Path(__file__).resolve().parents[2]
SEED_SINK = json.loads((ROOT / "connect" / "seed" / "mongo-sink.json").read_text())["config"]
RID = "6b13ba669c2ab3aa824dd166"


def instructor(n: str):
    path = ROOT / "instructor" / f"lesson{n}.py"
    spec = importlib.util.spec_from_file_location(f"instructor_lesson{n}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stub(lesson: str, name: str, **given) -> dict:
    """Run the lesson's own exercise cell (the one that first assigns `name`) as the student gets it."""
    nb = json.loads(next((ROOT / "notebooks").glob(f"{lesson}-*.ipynb")).read_text())
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and source.lstrip().startswith(f"{name} ="):
            scope = dict(given)
            exec(source, scope)  # noqa: S102 - the lesson's own stub cell
            return scope
    raise AssertionError(f"{lesson}: no cell assigns {name}")


def test_00_who_reads_what():
    assert lesson00.check_reads(instructor("00").reads).startswith("right:")
    assert lesson00.check_reads(stub("00", "reads")["reads"]).startswith("not yet: fill in")
    wrong = {"inventario": {"boletia.inventario"}, "notificaciones": {"boletia.reservas"}}
    assert "cancel (X)" in lesson00.check_reads(wrong)  # reembolsos forgotten
    seed = {"inventario": {"boletia.inventario", "boletia.reservas"}, "reembolsos": {"boletia.reservas"},
            "notificaciones": {"boletia.reservas"}}
    assert "the seed's one inventario consumer did" in lesson00.check_reads(seed)
    wrong = {"inventario": {"boletia.inventario", "boletia.reservas", "boletia.eventos"},
             "notificaciones": {"boletia.reservas"}}
    assert "sink connector" in lesson00.check_reads(wrong)


@pytest.mark.parametrize(("numbers", "idea"), [
    ("--partitions 1 --replication-factor 3 --config min.insync.replicas=2", "a group shares"),
    ("--partitions 3 --replication-factor 2 --config min.insync.replicas=1", "one broker down leaves 1"),
    ("--partitions 3 --replication-factor 3 --config min.insync.replicas=1", "acknowledged write is lost"),
    ("--partitions 3 --replication-factor 3 --config min.insync.replicas=3", "write is refused"),
    ("--partitions 3 --replication-factor 4 --config min.insync.replicas=2", "a broker of its own"),
])
def test_01_a_topic_as_safe_as_the_labs(numbers, idea):
    assert lesson01.check_topic_command(instructor("01").command).startswith("right:")
    assert lesson01.check_topic_command(stub("01", "command")["command"]).startswith("not yet: say all three")
    verdict = lesson01.check_topic_command(f"kafka-topics.sh --create --topic t {numbers}")
    assert verdict.startswith("not yet:") and idea in verdict, verdict
    assert lesson01.check_topic_command(
        "kafka-topics.sh --create --topic=t --partitions=6 --replication-factor=3 "
        "--config min.insync.replicas=2").startswith("right:")  # any spelling, more partitions


def test_02_a_sink_a_replay_cannot_hurt():
    right = {**SEED_SINK, **instructor("02").change}
    assert lesson02.check_sink(right, SEED_SINK).startswith("right:")
    untouched = stub("02", "my_sink", seed_sink=SEED_SINK, json=json)["my_sink"]
    assert "still the seed's sink" in lesson02.check_sink(untouched, SEED_SINK)
    replace = {**SEED_SINK, "writemodel.strategy": SEED_SINK["writemodel.strategy"].replace(
        "ReplaceOneDefault", "ReplaceOneBusinessKey")}
    assert "still replaces" in lesson02.check_sink(replace, SEED_SINK)
    short = {**SEED_SINK, "writemodel.strategy": "UpdateOneDefaultStrategy"}
    assert "full name" in lesson02.check_sink(short, SEED_SINK)
    lost_id = {**right, "document.id.strategy": "com.mongodb.kafka.connect.sink.processor.id.strategy."
                                                "BsonOidStrategy"}
    assert "_id" in lesson02.check_sink(lost_id, SEED_SINK)


def test_03_the_request_that_cancels():
    answer = instructor("03")
    assert lesson03.check_cancel(answer.cancel_method, answer.cancel_path(RID), RID).startswith("right:")
    assert lesson03.check_cancel("delete", f"http://127.0.0.1:8071/reservas/{RID}", RID).startswith("right:")
    given = stub("03", "cancel_method", rid=RID)
    verdict = lesson03.check_cancel(given["cancel_method"], given["cancel_path"], RID)
    assert verdict.startswith("not yet: fill in")
    assert "only reads" in lesson03.check_cancel("GET", f"/reservas/{RID}", RID)
    assert "new booking" in lesson03.check_cancel("POST", f"/reservas/{RID}", RID)
    assert "ONE existing reservation" in lesson03.check_cancel("DELETE", "/reservas", RID)
