"""The local runtime's lab directory (no process started)."""

import uuid

from boletia.lab.runtimes.local.storage import LabFiles

# 0xf8 as the first byte: its base64url starts with "-"
DASHED = uuid.UUID(bytes=b"\xf8" + bytes(15))


def test_a_cluster_id_never_starts_with_a_dash(tmp_path, monkeypatch):
    """`kafka-storage format -t -xyz` reads the id as an option and the lab does not come up."""
    made = iter([DASHED, uuid.UUID(int=7)])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(made))
    found = LabFiles(tmp_path).cluster_id()
    assert not found.startswith("-")
    assert found == LabFiles(tmp_path).cluster_id()  # kept once made


def test_a_stored_cluster_id_with_a_dash_is_replaced(tmp_path):
    (tmp_path / "kafka-cluster-id").write_text("-VNOqbJGS-ac9-F4rHkN-w")
    assert not LabFiles(tmp_path).cluster_id().startswith("-")


def test_a_stored_cluster_id_is_kept(tmp_path):
    (tmp_path / "kafka-cluster-id").write_text("VNOqbJGS-ac9-F4rHkN-w\n")
    assert LabFiles(tmp_path).cluster_id() == "VNOqbJGS-ac9-F4rHkN-w"
