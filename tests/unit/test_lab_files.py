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


def test_connects_plugin_folder_names_the_mongodb_connectors_for_service_load(tmp_path, monkeypatch):
    """Connect runs with plugin.discovery=service_load: it finds only plugins a ServiceLoader
    manifest names, so the lab's plugin folder must carry one for each MongoDB connector."""
    import zipfile

    from boletia.lab.runtimes.local.storage import CONNECTOR_MANIFESTS, LabFiles

    cache = tmp_path / "jars"
    (cache / "connect-plugins" / "mongo-kafka-connect").mkdir(parents=True)
    jar = cache / "connect-plugins" / "mongo-kafka-connect" / "mongo-kafka-connect-2.0.1-all.jar"
    jar.write_bytes(b"PK")
    monkeypatch.setenv("BOLETIA_JARS_DIR", str(cache))
    files = LabFiles(tmp_path / "lab")
    for _ in range(2):   # a second start rebuilds it, no stale or duplicate entries
        folder = files.connect_plugins() / "mongo-kafka-connect"
    assert sorted(p.name for p in folder.iterdir()) == ["boletia-service-manifests.jar", jar.name]
    assert (folder / jar.name).resolve() == jar.resolve()
    with zipfile.ZipFile(folder / "boletia-service-manifests.jar") as manifests:
        named = {n: manifests.read(n).decode().strip() for n in manifests.namelist()}
    assert named == {f"META-INF/services/{k}": v for k, v in CONNECTOR_MANIFESTS.items()}
    assert set(named.values()) == {"com.mongodb.kafka.connect.MongoSourceConnector",
                                   "com.mongodb.kafka.connect.MongoSinkConnector"}
