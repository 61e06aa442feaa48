"""The lab's SES endpoint answers a check with the emails of its run only (issue 30): moto's
backend in this process (mock_aws), the read-back routes through werkzeug's test client."""

from __future__ import annotations

import boto3
import pytest
from bson import ObjectId
from moto import mock_aws
from werkzeug.test import Client

from boletia.domain import decisions
from boletia.lab.ses_endpoint import Middleware


def not_moto(environ, start_response):
    start_response("418 I'm a teapot", [("Content-Type", "text/plain")])
    return [b"moto"]


@pytest.fixture
def endpoint(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        ses = boto3.client("ses", region_name="us-east-1")
        ses.verify_email_identity(EmailAddress="boletos@boletia.example")

        def send(evento: str, estado: str = "A") -> str:
            m = decisions.notification({"_id": ObjectId(), "evento": evento, "cantidad": 1,
                                        "estado": estado, "email": "ana@x.example"})
            return ses.send_email(Source="boletos@boletia.example",
                                  Destination={"ToAddresses": [m.to]},
                                  Message={"Subject": {"Data": m.subject},
                                           "Body": {"Text": {"Data": m.body}}})["MessageId"]
        yield Client(Middleware(not_moto, "us-east-1")), send


def test_only_the_emails_of_the_asked_events_come_back_in_order(endpoint):
    client, send = endpoint
    first, _, third = send("Opera"), send("Rock"), send("Opera", "X")
    assert client.post("/boletia-api/seed", json={"count": 1000, "evento": "Historia"}).json == {
        "total": 1003}
    got = client.get("/boletia-api/sent?evento=Opera").json
    assert [m["id"] for m in got["messages"]] == [first, third] and got["total"] == 1003
    assert len(client.get("/boletia-api/sent?evento=Historia&evento=Rock").json["messages"]) == 1001
    assert client.get("/boletia-api/sent?evento=Nada").json["messages"] == []
    fourth = send("Opera")       # indexed on the next question
    assert [m["id"] for m in client.get("/boletia-api/sent?evento=Opera").json["messages"]] == [
        first, third, fourth]


def test_an_email_deleted_behind_the_checkers_back_is_gone(endpoint):
    client, send = endpoint
    first, second = send("Opera"), send("Opera")
    assert client.delete(f"/boletia-api/sent/{first}").json == {"deleted": True}
    assert [m["id"] for m in client.get("/boletia-api/sent?evento=Opera").json["messages"]] == [
        second]
    assert client.delete(f"/boletia-api/sent/{first}").status_code == 404


def test_bad_requests_are_refused_and_everything_else_is_moto(endpoint):
    client, _ = endpoint
    r = client.post("/boletia-api/seed", json={"count": 0, "evento": "x"})
    assert r.status_code == 400 and "1..100000" in r.json["error"]
    assert client.get("/boletia-api/nothing").status_code == 404
    assert client.get("/moto-api/").status_code == 418
