"""Credentials on Kafka, Connect and MongoDB (issue 28), without starting anything: who gets what."""

from __future__ import annotations

import stat

import pytest

from boletia import config
from boletia.adapters import kafka
from boletia.lab.components import BY_NAME, CONSUMER_TOPICS
from boletia.lab.runtimes.local import commands
from boletia.lab.runtimes.local.storage import LabFiles
from boletia.lab.setup import credentials


def test_each_consumer_reads_its_topics_and_writes_only_dead_letters():
    grants = credentials.acls()
    for group, topics in CONSUMER_TOPICS.items():
        mine = {(kind, name, op) for who, kind, name, _, op in grants if who == group}
        assert mine == {("GROUP", group, "READ"), ("TOPIC", config.DEAD_LETTER_TOPIC, "WRITE"),
                        *(("TOPIC", t, "READ") for t in topics)}


def test_no_component_is_granted_the_cluster_or_all():
    for who, kind, _, _, op in credentials.acls():
        assert who not in credentials.SUPER
        assert kind != "CLUSTER" and op not in ("ALL", "ALTER", "ALTER_CONFIGS"), who
        assert op != "DELETE" or (who, kind) == ("connect", "GROUP"), who  # its sinks' offsets


def test_a_lab_without_credentials_stays_plaintext(tmp_path):
    values = credentials.broker_values({})
    assert values == {"listener": "PLAINTEXT", "controller_protocol": "PLAINTEXT", "auth": ""}
    assert credentials.connect_values({}) == ""
    s = config.Settings(lab_dir=tmp_path)
    assert kafka.security(s) == {}
    env = commands.environment(BY_NAME["inventario"], s, LabFiles(tmp_path), "fixed")
    assert "BOLETIA_KAFKA_USER" not in env


def test_credentials_are_made_once_owner_only_and_each_consumer_gets_only_its_own(tmp_path):
    files = LabFiles(tmp_path)
    made = files.create_credentials()
    assert files.create_credentials() == made  # never regenerated
    path = tmp_path / config.CREDENTIALS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    s = config.Settings(lab_dir=tmp_path)
    env = commands.environment(BY_NAME["notificaciones"], s, files, "fixed")
    assert env["BOLETIA_KAFKA_USER"] == "notificaciones"
    assert env["BOLETIA_KAFKA_PASSWORD"] == made["kafka"]["notificaciones"]
    assert not any(made["kafka"]["admin"] in v for v in env.values())
    service = commands.environment(BY_NAME["eventos"], s, files, "fixed")
    assert not any(p in v for p in made["kafka"].values() for v in service.values())
    # the lab's own tools are its admin; a component told its principal is that principal
    assert kafka.security(s)["sasl_plain_username"] == "admin"
    told = config.Settings(lab_dir=tmp_path, kafka_user="notificaciones", kafka_password="x")
    assert kafka.security(told)["sasl_plain_username"] == "notificaciones"


def test_a_lab_made_before_a_consumer_existed_gets_its_user_and_never_the_admins_login(tmp_path):
    """A lab whose credentials predate the split has no `reembolsos` user: `create_credentials`
    adds its password (kept 0600; the brokers get the SCRAM user at `lab up`, ensure_users), and
    until then the consumer is refused its start instead of running as the lab's admin."""
    import json

    from boletia.lab.errors import LabError

    files = LabFiles(tmp_path)
    made = files.create_credentials()
    path = tmp_path / config.CREDENTIALS_FILE
    old = {**made, "kafka": {k: v for k, v in made["kafka"].items() if k != "reembolsos"}}
    path.write_text(json.dumps(old))
    s = config.Settings(lab_dir=tmp_path)
    with pytest.raises(LabError, match="reembolsos has no Kafka user.*`boletia lab up` adds it"):
        commands.environment(BY_NAME["reembolsos"], s, files, "fixed")
    again = files.create_credentials()
    assert again["kafka"]["inventario"] == made["kafka"]["inventario"]   # the others kept
    assert again["kafka"]["reembolsos"] and again["kafka"]["reembolsos"] != made["kafka"]["reembolsos"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    env = commands.environment(BY_NAME["reembolsos"], s, files, "fixed")
    assert env["BOLETIA_KAFKA_USER"] == "reembolsos"


def test_the_brokers_and_connect_config_files_hold_passwords_owner_only(tmp_path):
    files = LabFiles(tmp_path)
    made = files.create_credentials()
    s = config.Settings(lab_dir=tmp_path)
    props = files.connect_config(s)
    text = props.read_text()
    assert made["kafka"]["connect"] in text and "BasicAuthSecurityRestExtension" in text
    assert stat.S_IMODE(props.stat().st_mode) == 0o600
    assert files.connect_jaas() is not None
    broker = credentials.broker_values(made)["auth"]
    assert "allow.everyone.if.no.acl.found=false" in broker
    assert made["kafka"]["connect"] not in broker  # a broker knows only its own login


def test_the_docker_labs_variables_hold_every_password_and_the_brokers_know_only_two_plain_users():
    """The docker lab (compose_env): the brokers' PLAIN users are `broker` and `admin` only (every
    other login is a SCRAM user that `access` makes); the controller listener's is its own."""
    made = credentials.generate()
    env = credentials.compose_env(made)
    broker = env["BOLETIA_KAFKA_BROKER_JAAS"]
    assert 'user_broker="' in broker and 'user_admin="' in broker
    assert env["BOLETIA_KAFKA_BROKER_JAAS"].count("user_") == 2
    assert env["BOLETIA_KAFKA_CONTROLLER_JAAS"].count("user_") == 1
    assert "user_" not in env["BOLETIA_KAFKA_HEALTH_JAAS"]
    assert credentials.parse_users(env["BOLETIA_KAFKA_USERS"]) == {
        p: made["kafka"][p] for p in credentials.KAFKA_PRINCIPALS if p != "broker"}
    assert env["BOLETIA_CONNECT_PASSWORD"] == made["connect"]["admin"]
    assert all("'" not in v and "\n" not in v for v in env.values())  # single-quoted in its file


@pytest.mark.parametrize("text", ["", "admin", "admin:", ":pw", "admin:pw,,x"])
def test_a_users_variable_that_is_not_user_password_pairs_is_refused(text):
    with pytest.raises(ValueError, match="user:password"):
        credentials.parse_users(text)


def test_each_component_is_given_its_own_mongodb_user_and_mongodb_all_of_them(tmp_path):
    """Services and consumers: BOLETIA_MONGO_USER/PASSWORD, their own; Connect: its password
    only, for the connectors' ${env:...}; MongoDB's entrypoint: every user and its roles; the
    lab's tools, not told any: the admin, from the lab's file; no login in the URI."""
    import json

    files = LabFiles(tmp_path)
    made = files.create_credentials()
    s = config.Settings(lab_dir=tmp_path)
    for name in ("eventos", "reservas", "inventario", "reembolsos", "notificaciones"):
        env = commands.environment(BY_NAME[name], s, files, "fixed")
        assert (env["BOLETIA_MONGO_USER"], env["BOLETIA_MONGO_PASSWORD"]) == (name, made["mongo"][name])
        assert made["mongo"]["admin"] not in env.values()
    connect = commands.environment(BY_NAME["connect"], s, files, "fixed")
    assert connect[credentials.MONGO_PASSWORD_ENV] == made["mongo"]["connect"]
    assert "BOLETIA_MONGO_USER" not in connect
    mongo = commands.environment(BY_NAME["mongo"], s, files, "fixed")
    users = json.loads(mongo["SECANTUS_USERS"])
    assert {u: users[u]["pwd"] for u in users} == made["mongo"]
    assert users["admin"]["roles"] == [{"role": "root", "db": "admin"}]
    assert {r["db"] for r in users["eventos"]["roles"]} == {config.DATABASE}
    assert {r["db"] for r in users["connect"]["roles"]} == {
        config.DATABASE, config.CHECK_DATABASE, config.PRACTICE_DATABASE}
    assert config.mongo_login(s) == ("admin", made["mongo"]["admin"])
    assert "@" not in s.mongo_uri
    assert "SECANTUS_USERS" not in commands.environment(BY_NAME["mongo"], config.Settings(
        lab_dir=tmp_path / "none"), LabFiles(tmp_path / "none"), "fixed")


def test_a_lab_made_before_mongodb_had_users_gets_them_and_never_the_admins_login(tmp_path):
    import json

    from boletia.lab.errors import LabError

    files = LabFiles(tmp_path)
    made = files.create_credentials()
    old = {k: v for k, v in made.items() if k != "mongo"}
    (tmp_path / config.CREDENTIALS_FILE).write_text(json.dumps({**old, "mongo": {"admin": "a"}}))
    s = config.Settings(lab_dir=tmp_path)
    with pytest.raises(LabError, match="eventos has no MongoDB user.*`boletia lab up` adds it"):
        commands.environment(BY_NAME["eventos"], s, files, "fixed")
    again = files.create_credentials()
    assert set(again["mongo"]) == set(credentials.MONGO_PRINCIPALS)
    assert again["kafka"] == made["kafka"] and again["mongo"]["admin"] == "a"


def _entrypoint():
    import importlib.util

    from boletia import resources

    path = resources.infra_dir() / "images" / "secantusdb" / "entrypoint.py"
    spec = importlib.util.spec_from_file_location("secantus_entrypoint", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("text", ["[]", "{}", "not json", '{"u": {"pwd": ""}}',
                                  '{"u": {"pwd": "p", "roles": []}}',
                                  '{"u": {"pwd": "p", "roles": [{"role": "root"}]}}'])
def test_secantusdbs_entrypoint_refuses_users_it_could_not_provision(text):
    with pytest.raises(SystemExit, match="SECANTUS_USERS is not"):
        _entrypoint().users_from(text)


def test_secantusdbs_entrypoint_takes_the_labs_users_as_written():
    import json

    users = credentials.mongo_users(credentials.generate())
    assert _entrypoint().users_from(json.dumps(users)) == users
