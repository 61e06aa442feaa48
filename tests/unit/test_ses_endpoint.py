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


# ------------------------------------------------------------- closed to other origins (issue 28)
def test_a_request_naming_another_host_is_refused_and_the_lab_names_are_answered():
    from boletia.lab.ses_endpoint import host_names

    hosts = host_names("http://ses.boletia.svc.cluster.local:5005", "0.0.0.0")
    client = Client(Middleware(not_moto, "us-east-1", hosts))
    for good in ("127.0.0.1:5005", "localhost", "[::1]:5005", "ses:5005", "ses.boletia:5005",
                 "ses.boletia.svc.cluster.local:5005"):
        assert client.get("/", headers={"Host": good}).status_code == 418, good
    for bad in ("evil.example", "rebind.attacker.test:5005", "sesx:5005", ""):
        answer = client.get("/boletia-api/sent", headers={"Host": bad})
        assert answer.status_code == 421 and "answers to" in answer.get_json()["error"], bad


def test_the_running_endpoint_sends_no_cors_header_and_refuses_a_rebinding_host(tmp_path):
    """The real server process (moto inside): no Access-Control-Allow-Origin for a page's Origin."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "boletia.lab.ses_endpoint", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    try:
        def get(host: str):
            req = urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/data.json",
                                         headers={"Origin": "http://evil.example", "Host": host})
            try:
                with urllib.request.urlopen(req, timeout=3) as r:
                    return r.status, dict(r.headers)
            except urllib.error.HTTPError as e:
                return e.code, dict(e.headers)
        for _ in range(100):
            try:
                status, headers = get(f"127.0.0.1:{port}")
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200 and "Access-Control-Allow-Origin" not in headers, headers
        assert get("evil.example")[0] == 421
    finally:
        server.terminate()
        server.wait(10)
