"""Owner-only files and folders, and the jars checked against their pinned checksums (no process
started, no network)."""

from __future__ import annotations

import hashlib
import os
import stat

from boletia import resources
from boletia.lab.runtimes import private
from boletia.lab.runtimes.local.storage import LabFiles
from boletia.lab.setup import jars


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_private_file_never_opens_what_was_planted_beside_it(tmp_path):
    """The old writer opened `.<name>.<pid>` without O_EXCL: a file planted there by another user
    (or a link to one) received the secret."""
    target = tmp_path / "admin-token"
    planted = tmp_path / f".admin-token.{os.getpid()}"
    planted.write_text("")
    planted.chmod(0o666)
    private.write(target, "s3cret")
    assert planted.read_text() == ""
    assert target.read_text() == "s3cret" and mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, planted.name])


def test_a_private_folder_is_made_and_tightened_owner_only(tmp_path):
    fresh = private.directory(tmp_path / "lab")
    assert mode(fresh) == 0o700
    loose = tmp_path / "old-lab"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    private.directory(loose)
    assert mode(loose) == 0o700


def test_the_lab_directory_is_owner_only(tmp_path):
    files = LabFiles(tmp_path / ".lab")
    files.admin_token()
    assert mode(files.root) == 0o700
    assert mode(files.root / "admin-token") == 0o600


def test_every_pinned_jar_is_a_jar_of_the_pom():
    pins = jars.pinned()
    versions = jars.versions()
    assert f"kafka/libs/kafka_2.13-{versions['kafka']}.jar" in pins
    assert any(p.endswith(f"mongo-kafka-connect-{versions['mongo-kafka-connect']}-all.jar") for p in pins)
    assert all(len(d) == 64 and int(d, 16) >= 0 for d in pins.values())
    assert (resources.infra_dir() / "jars.sha256").is_file()


def test_a_jar_that_differs_is_unknown_or_missing_is_named(tmp_path):
    good, bad = tmp_path / "kafka/libs/a.jar", tmp_path / "kafka/libs/b.jar"
    good.parent.mkdir(parents=True)
    good.write_bytes(b"a")
    bad.write_bytes(b"tampered")
    (tmp_path / "kafka/libs/extra.jar").write_bytes(b"x")
    pins = {"kafka/libs/a.jar": hashlib.sha256(b"a").hexdigest(),
            "kafka/libs/b.jar": hashlib.sha256(b"b").hexdigest(),
            "kafka/libs/gone.jar": hashlib.sha256(b"g").hexdigest()}
    problems = jars.verify(tmp_path, pins)
    assert [p.split(":")[0] for p in problems] == ["kafka/libs/extra.jar", "kafka/libs/gone.jar",
                                                   "kafka/libs/b.jar"]
    del pins["kafka/libs/gone.jar"], pins["kafka/libs/b.jar"]
    bad.unlink()
    (tmp_path / "kafka/libs/extra.jar").unlink()
    assert jars.verify(tmp_path, pins) == []


def test_the_jars_laid_out_here_match_their_pins():
    """Where this machine has the jars laid out (any lab run has), they match the pins."""
    if not jars.jars_ready():
        return
    assert jars.verify(jars.target(), jars.pinned()) == []
