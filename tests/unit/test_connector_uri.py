"""The connectors' MongoDB URI: a long heartbeat, so the Java driver's streamed heartbeats
do not meet SecantusDB's wrong `responseTo` every 20 s (connectors.CONNECTOR_HEARTBEAT_MS)."""

from urllib.parse import parse_qs, urlsplit

import pytest

from boletia.lab.setup import connectors
from boletia.lab.setup.connectors import CONNECTOR_HEARTBEAT_MS, connector_uri


def _query(uri: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(uri).query)


def test_the_heartbeat_is_added_and_the_options_kept():
    uri = connector_uri("mongodb://127.0.0.1:27017/?directConnection=true")
    assert uri.startswith("mongodb://127.0.0.1:27017/?")
    assert _query(uri) == {"directConnection": ["true"],
                           "heartbeatFrequencyMS": [str(CONNECTOR_HEARTBEAT_MS)]}


def test_credentials_hosts_and_the_replica_set_survive():
    uri = connector_uri("mongodb://root:p%40ss@mongo-1:27017,mongo-2:27017/?replicaSet=rs0&authSource=admin")
    assert uri.startswith("mongodb://root:p%40ss@mongo-1:27017,mongo-2:27017/?")
    assert _query(uri)["replicaSet"] == ["rs0"] and _query(uri)["authSource"] == ["admin"]
    assert _query(uri)["heartbeatFrequencyMS"] == [str(CONNECTOR_HEARTBEAT_MS)]


@pytest.mark.parametrize("given", ["heartbeatFrequencyMS=500", "heartbeatfrequencyms=500"])
def test_a_heartbeat_the_uri_sets_is_kept(given):
    uri = connector_uri(f"mongodb://h:27017/?{given}")
    assert uri == f"mongodb://h:27017/?{given}"


def test_a_uri_without_a_path_gets_the_slash_the_driver_needs():
    assert connector_uri("mongodb://h:27017") == \
        f"mongodb://h:27017/?heartbeatFrequencyMS={CONNECTOR_HEARTBEAT_MS}"


def test_an_empty_uri_stays_empty():
    assert connector_uri("") == ""


@pytest.mark.parametrize("design", ["fixed", "seed", "txn", "student"])
def test_every_connector_of_every_design_gets_it(design):
    specs = connectors.definitions(design, "mongodb://127.0.0.1:27017/?directConnection=true")
    assert specs
    for spec in specs:
        assert _query(spec["config"]["connection.uri"])["heartbeatFrequencyMS"] == \
            [str(CONNECTOR_HEARTBEAT_MS)], spec["name"]


@pytest.mark.parametrize("given", ["mongodb://127.0.0.1:27017/?directConnection=true",
                                   "mongodb://root:old@m1:27017,m2:27017/?replicaSet=rs0&authSource=x"])
def test_with_a_login_the_uri_names_connects_password_and_never_holds_it(given):
    """Connect's own user; the password a reference its worker resolves from its environment;
    any user the URI had is replaced, users live in `admin`."""
    uri = connector_uri(given, login=True)
    userinfo = urlsplit(uri).netloc.rsplit("@", 1)[0]
    assert userinfo == "connect:${env:BOLETIA_MONGO_PASSWORD}", uri
    assert _query(uri)["authSource"] == ["admin"]
    assert "old" not in uri and urlsplit(uri).netloc.endswith(urlsplit(given).netloc.rsplit("@", 1)[-1])


def test_every_connector_of_a_lab_with_credentials_logs_in_as_connect():
    for spec in connectors.definitions("fixed", "mongodb://127.0.0.1:27017/", login=True):
        assert spec["config"]["connection.uri"].startswith(
            "mongodb://connect:${env:BOLETIA_MONGO_PASSWORD}@127.0.0.1:27017/"), spec["name"]
