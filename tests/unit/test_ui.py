"""The control room's server and hub, without a lab: a fake runtime, a fake data source, a fake
API client and a fake mailbox (no I/O). The browser tests against the real lab are in
tests/e2e/test_browser.py."""

from __future__ import annotations

import json
import threading
import time

import pytest

from boletia import config
from boletia.domain import decisions
from boletia.lab.errors import LabError
from boletia.lab.experiments import checker
from boletia.lab.notebook.client import Answer
from boletia.lab.runtimes.port import ComponentStatus
from boletia.lab.ui import hub as hub_mod
from boletia.lab.ui import loadgen, server
from boletia.lab.ui.hub import Hub, Subscription

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NAMES = ["mongo", "kafka-1", "connect", "reservas", "inventario", "notificaciones"]


class FakeRuntime:
    name = "fake"

    def __init__(self, settings: config.Settings):
        self.settings = settings
        self.states = dict.fromkeys(NAMES, "running")
        self.calls: list[tuple] = []
        self.gate = threading.Event()
        self.gate.set()
        self.current_design = "fixed"

    def components(self):
        return list(NAMES)

    def status(self):
        return [ComponentStatus(n, "x", s) for n, s in self.states.items()]

    def design(self):
        return self.current_design

    def admin_token(self):
        return TOKEN

    def _verb(self, verb, component):
        self.calls.append((verb, component))
        if self.states[component] == "stopped" and verb != "start":
            raise LabError(f"{component} is not running")

    def kill(self, component):
        self._verb("kill", component)
        self.states[component] = "stopped"

    def pause(self, component):
        self._verb("pause", component)

    def resume(self, component):
        self._verb("resume", component)

    def restart(self, component, report=None):
        self.calls.append(("restart", component))
        self.gate.wait(5)

    def start(self, component, report=None):
        self._verb("start", component)
        self.states[component] = "running"

    def crash_consumer(self, consumer, times=1, topic=None):
        self.calls.append(("crash", consumer, times, topic))

    def slow_consumer(self, consumer, seconds):
        self.calls.append(("slow", consumer, seconds))

    def fail_writes(self, times, service=None):
        self.calls.append(("fail-writes", times, service))

    def clear_faults(self):
        self.calls.append(("clear",))

    def set_design(self, design, report=None):
        self.calls.append(("design", design))
        self.current_design = design

    def scale(self, component, members, report=None):
        self.calls.append(("scale", component, members))
        for k in range(2, members + 1):  # listed by status() as the local runtime lists them
            self.states[f"{component}-{k}"] = "running"


class FakeSource:
    """What the hub samples, with a counter per probe: the fan-out tests read it."""

    private = frozenset({"tails"})
    public_only = frozenset({"inventory"})

    def __init__(self):
        self.counts = {"components": 0, "lag": 0, "topics": 0, "inventory": 0}
        self.lag = 0
        self.probes = {"components": self._components, "lag": self._lag, "topics": self._topics,
                       "inventory": self._inventory}
        self.closed = False

    def _components(self):
        self.counts["components"] += 1
        return {"components": [{"name": "inventario", "state": "running"}], "design": "fixed"}

    def _lag(self):
        self.counts["lag"] += 1
        return {"lag": {"inventario": {"boletia.inventario": self.lag}}}

    def _topics(self):
        self.counts["topics"] += 1
        return {"topics": {"boletia.reservas": {"end": 10, "rate": 1.5}},
                "tails": {"boletia.reservas": [{"offset": 9, "summary": "reservation A x1 ana@x.co"}]}}

    def _inventory(self):
        self.counts["inventory"] += 1
        return {"inventory": [{"Id": RID, "Nombre": "Opera", "Disponible": 7, "Estado": "A"}]}

    def calls(self):
        return dict(self.counts)

    def close(self):
        self.closed = True


RID = "6b0ad095dbaf53e40dc481dc"
OTHER = "6b0ad095dbaf53e40dc481dd"  # another booking to the same address, not this session's


class FakeApi:
    """The services as the Boletia client returns them."""

    def __init__(self):
        self.booked: list[tuple] = []
        self.cancelled: list[str] = []
        self.asked: list[tuple] = []
        self.events: list[str] = []
        self.secrets_sent: list = []
        self._n = 0
        self._lock = threading.Lock()

    def book(self, evento, cantidad, email):
        self.booked.append((evento, cantidad, email))
        if cantidad == 100:
            return Answer(404, {"error": f"no hay 100 boletos para {evento!r}: quedan 7", "status": 404})
        with self._lock:
            self._n += 1
            rid = f"{self._n:024x}"
        return Answer(200, {"Id": rid, "Evento": evento, "Estado": "A", "Email": email,
                            "Cantidad": cantidad}, secret=f"s-{rid}")

    def cancel(self, rid, secret=None):
        self.cancelled.append(rid)
        self.secrets_sent.append(secret)
        return Answer(200, f"reserva Id: {rid} Cliente: ana@x.co Evento: Opera cancelada")

    def reservations(self, evento, email):
        self.asked.append((evento, email))
        return Answer(200, [{"Id": RID, "Evento": evento, "Estado": "A", "Email": email, "Cantidad": 2}])

    def reservation(self, rid, secret=None):
        """As the fixed design answers: only to the booking's secret (here `s-<id>`)."""
        self.asked.append(rid)
        if secret != f"s-{rid}":
            return Answer(403, {"error": f"reserva {rid}: falta la clave", "status": 403})
        return Answer(200, {"Id": rid, "Evento": "Opera", "Estado": "A", "Email": "ana@x.co",
                            "Cantidad": 2})

    def create_event(self, nombre, capacidad, categoria="Lab"):
        self.events.append(nombre)
        return Answer(200, {"Id": RID, "Nombre": nombre})

    def wait_available(self, nombre, expected, timeout=30.0):
        return expected

    def inventory(self, nombre=None):
        return Answer(200, [])


def email(estado: str, evento: str = "Opera", to: str = "ana@x.co", rid: str = RID) -> dict:
    fields = {"id": rid, "evento": evento, "cantidad": 2}
    return {"id": f"m-{estado}-{rid}", "to": [to], "subject": decisions.SUBJECTS[estado].format(**fields),
            "body": decisions.BODIES[estado].format(**fields), "source": "boletos@boletia.example"}


@pytest.fixture
def rt(tmp_path):
    return FakeRuntime(config.Settings(lab_dir=tmp_path))


@pytest.fixture
def source():
    return FakeSource()


@pytest.fixture
def hub(source):
    h = Hub(source, interval=0.05)
    yield h
    h.close()


@pytest.fixture
def api():
    return FakeApi()


@pytest.fixture
def app(rt, hub, api, tmp_path):
    a = server.create_app(rt, rt.settings, TOKEN, hub=hub, api=api, admin_api=api,
                          mail=lambda: [email("A"), email("X"), email("A", to="otro@x.co"),
                                        email("A", rid=OTHER)],
                          runs_dir=tmp_path / "runs")
    yield a
    a.extensions["boletia_ui"]["control"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def post(client, path, body, headers=AUTH):
    return client.post(path, data=json.dumps(body), content_type="application/json", headers=headers)


# ---------------------------------------------------------------- the rules of every answer
def test_the_two_faces_and_their_assets_are_served_by_the_package(client):
    for path, kind in [("/", "text/html"), ("/control", "text/html"),
                       ("/static/app.js", "javascript"), ("/static/control.js", "javascript"),
                       ("/static/boxoffice.js", "javascript"), ("/static/style.css", "text/css")]:
        r = client.get(path)
        assert r.status_code == 200 and kind in r.content_type, path
    page = client.get("/control").get_data(as_text=True)
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page


@pytest.mark.parametrize("method, path", [
    ("get", "/"), ("get", "/control"), ("get", "/static/app.js"), ("get", "/nowhere"),
    ("get", "/api/stats"), ("get", "/api/admin/whoami"), ("post", "/api/book"),
    ("delete", "/api/reservas/nothex"), ("put", "/api/book")])
def test_every_answer_says_nosniff_and_never_allows_other_origins(client, method, path):
    r = getattr(client, method)(path, headers={"Origin": "http://evil.example"})
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "Access-Control-Allow-Origin" not in r.headers
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]


def test_a_preflight_gets_no_cors_permission(client):
    r = client.open("/api/admin/fault", method="OPTIONS", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert not any(h.lower().startswith("access-control-allow") for h in r.headers.keys())


def test_only_loopback_host_names_are_answered_by_default(client):
    assert client.get("/", headers={"Host": "127.0.0.1:8090"}).status_code == 200
    assert client.get("/", headers={"Host": "[::1]:8090"}).status_code == 200
    r = client.get("/", headers={"Host": "rebound.evil.example"})
    assert r.status_code == 400 and "answers to" in r.get_json()["error"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("token", ["", "   ", None])
def test_an_empty_admin_token_is_refused_at_start_up(rt, hub, api, token, monkeypatch):
    if token is None:
        monkeypatch.setattr(rt, "admin_token", lambda: "")
    with pytest.raises(ValueError, match="admin token is empty"):
        server.create_app(rt, rt.settings, token, hub=hub, api=api, admin_api=api)


ADMIN_ROUTES = [("post", "/api/admin/component"), ("post", "/api/admin/fault"),
                ("post", "/api/admin/design"), ("post", "/api/admin/scale"), ("post", "/api/admin/event"),
                ("post", "/api/admin/autoscale"), ("post", "/api/admin/autoscale/stop"),
                ("post", "/api/admin/load"), ("post", "/api/admin/load/rate"),
                ("post", "/api/admin/load/stop"), ("post", "/api/admin/check"),
                ("get", "/api/admin/whoami"), ("get", "/api/admin/jobs/1"),
                ("get", "/api/admin/layout")]


def test_every_admin_route_is_in_the_token_test(app):
    """A route added to a panel's blueprint under /api/admin/ is listed above, so the token
    test covers it (the blueprints register the routes: none may slip through)."""
    listed = {(m.upper(), path.replace("/1", "/<int:job_id>")) for m, path in ADMIN_ROUTES}
    served = {(m, rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/admin")
              for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == listed


@pytest.mark.parametrize("method, path", ADMIN_ROUTES)
@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Bearer wrong", f"Basic {TOKEN}",
                                    f"Bearer {TOKEN}X", "Bearer é", "Bearer \u2603"])
def test_every_admin_action_needs_the_bearer_token(client, rt, method, path, header):
    headers = {} if header is None else {"Authorization": header}
    if method == "post":
        r = post(client, path, {"component": "inventario", "verb": "kill"}, headers)
    else:
        r = client.get(path, headers=headers)
    assert r.status_code == 401, (path, header)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert "boletia lab token" in r.get_json()["error"]
    assert rt.calls == []


def test_the_right_token_opens_the_control_room(client):
    r = client.get("/api/admin/whoami", headers=AUTH)
    assert r.status_code == 200 and r.get_json()["ok"] is True


@pytest.mark.parametrize("path", ["/api/book", "/api/admin/fault", "/api/admin/load"])
@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x"])
def test_a_body_that_is_not_json_gets_415(client, rt, path, ctype):
    headers = {**AUTH, **({"Content-Type": ctype} if ctype else {})}
    r = client.post(path, data=b'{"fault": "clear"}', headers=headers)
    assert r.status_code == 415 and "application/json" in r.get_json()["error"]
    assert rt.calls == []


# ---------------------------------------------------------------- bad input: 4xx that say why
@pytest.mark.parametrize("path, body, words", [
    ("/api/admin/component", {"component": "kafka-9", "verb": "kill"}, "unknown component 'kafka-9'"),
    ("/api/admin/component", {"component": "inventario", "verb": "explode"}, "unknown verb 'explode'"),
    ("/api/admin/component", {"verb": "kill"}, "unknown component None"),
    ("/api/admin/fault", {"fault": "meteor"}, "unknown fault 'meteor'"),
    ("/api/admin/fault", {}, "unknown fault None"),
    ("/api/admin/fault", {"fault": "crash", "consumer": "reservas"}, "unknown consumer 'reservas'"),
    ("/api/admin/fault", {"fault": "crash", "consumer": "inventario", "times": 0}, "between 1 and 100"),
    ("/api/admin/fault", {"fault": "crash", "consumer": "inventario", "times": "2"}, "must be a number"),
    ("/api/admin/fault", {"fault": "crash", "consumer": "notificaciones", "topic": "boletia.eventos"},
     "unknown topic for notificaciones"),
    ("/api/admin/fault", {"fault": "slow", "consumer": "inventario", "seconds": 3600}, "between 0 and 60"),
    ("/api/admin/fault", {"fault": "fail-writes"}, "missing field 'times'"),
    ("/api/admin/fault", {"fault": "fail-writes", "times": True}, "must be a number"),
    ("/api/admin/fault", {"fault": "fail-writes", "times": 3, "service": "mongo"}, "unknown service"),
    ("/api/admin/design", {"design": "chaos"}, "unknown design 'chaos'"),
    ("/api/admin/scale", {"component": "mongo", "members": 2}, "unknown component to scale 'mongo'"),
    ("/api/admin/scale", {"component": "reservas", "members": 5}, "between 1 and 4"),
    ("/api/admin/scale", {"component": "inventario"}, "missing field 'members'"),
    ("/api/admin/scale", {"component": "inventario", "members": 7}, "between 1 and 6"),
    ("/api/admin/scale", {"component": "connect", "members": 4}, "between 1 and 3"),
    ("/api/admin/scale", {"component": "connect", "members": 0}, "between 1 and 3"),
    ("/api/admin/component", {"component": "inventario-2", "verb": "kill"},
     "unknown component 'inventario-2'"),
    ("/api/admin/load", {"rate": 0}, "'rate' must be between 0.5 and 200"),
    ("/api/admin/load", {"rate": 1000}, "'rate' must be between 0.5 and 200"),
    ("/api/admin/load", {"rate": "fast"}, "'rate' must be a number"),
    ("/api/admin/load", {"rate": 5, "events": 50}, "'events' must be between 1 and 10"),
    ("/api/admin/load", {"rate": 5, "cancel_ratio": 2}, "'cancel_ratio' must be between"),
    ("/api/admin/load/rate", {"rate": -1}, "'rate' must be between"),
    ("/api/admin/load/rate", {}, "missing field 'rate'"),
    ("/api/admin/autoscale", {"consumer": "connect"}, "unknown consumer to autoscale 'connect'"),
    ("/api/admin/autoscale", {"consumer": "inventario", "target_lag": 0}, "'target_lag' must be between"),
    ("/api/admin/autoscale", {"consumer": "inventario", "max_members": 7},
     "'max_members' must be between 1 and 6"),
    ("/api/admin/autoscale", {"consumer": "inventario", "min_members": 3, "max_members": 2},
     "'min_members' (3) must not be above 'max_members' (2)"),
])
def test_bad_input_gets_a_400_that_says_what_to_send(client, rt, path, body, words):
    r = post(client, path, body)
    assert r.status_code == 400, r.get_json()
    assert words in r.get_json()["error"]
    assert rt.calls == []


@pytest.mark.parametrize("raw, words", [(b"", "empty body"), (b"{nope", "malformed JSON"),
                                        (b"[1, 2]", "send a JSON object"), (b"[" * 4000, "")])
def test_a_body_that_is_not_a_json_object_is_a_400(client, raw, words):
    r = client.post("/api/admin/fault", data=raw, content_type="application/json", headers=AUTH)
    assert r.status_code == 400 and words in r.get_json()["error"]


def test_a_body_too_large_is_a_413(client):
    r = post(client, "/api/book", {"evento": "x" * 5000, "cantidad": 1, "email": "a@b.co"})
    assert r.status_code == 413


@pytest.mark.parametrize("path, header, words", [
    ("/api/my", "", "is not an email address"), ("/api/my?email=nobody", "", "is not an email address"),
    ("/api/my?email=ana@x.co", "not json", "must be a JSON object"),
    ("/api/my?email=ana@x.co", '["a"]', "must be a JSON object"),
    ("/api/my?email=ana@x.co", json.dumps({RID: 1}), "must be a JSON object"),
    ("/api/my?email=ana@x.co", '{"zzz": "s"}', "zzz")])
def test_a_customer_lookup_with_bad_input_is_a_400(client, api, path, header, words):
    r = client.get(path, headers={"X-Boletia-Claves": header} if header else {})
    assert r.status_code == 400 and words in r.get_json()["error"]
    assert api.asked == []


def test_a_cancel_needs_a_reservation_id(client, api):
    r = client.delete("/api/reservas/..%2F..%2Feventos")
    assert r.status_code in (400, 404)
    r = client.delete("/api/reservas/zzz")
    assert r.status_code == 400 and "zzz" in r.get_json()["error"]
    assert api.cancelled == []


def test_unknown_routes_and_methods_say_so(client):
    assert client.get("/api/nothing").status_code == 404
    r = client.get("/api/book")
    assert r.status_code == 405 and "POST" in r.headers["Allow"]


# ---------------------------------------------------------------- the box office
def test_a_booking_is_forwarded_and_the_apis_answer_passed_back(client, api):
    r = post(client, "/api/book", {"evento": "Opera", "cantidad": 2, "email": "ana@x.co"}, headers={})
    assert r.status_code == 200 and r.get_json()["Estado"] == "A"
    assert r.get_json()["Clave"] == f"s-{r.get_json()['Id']}"  # to the booker's page, once
    r = post(client, "/api/book", {"evento": "Opera", "cantidad": 100, "email": "ana@x.co"}, headers={})
    assert r.status_code == 404 and r.get_json()["error"] == "no hay 100 boletos para 'Opera': quedan 7"
    assert api.booked == [("Opera", 2, "ana@x.co"), ("Opera", 100, "ana@x.co")]


def test_a_cancel_is_forwarded_and_its_text_answer_passed_back(client, api):
    r = client.delete(f"/api/reservas/{RID}", headers={"X-Boletia-Clave": f"s-{RID}"})
    assert r.status_code == 200 and r.get_json()["message"].endswith("cancelada")
    assert api.cancelled == [RID]
    assert api.secrets_sent == [f"s-{RID}"]  # the customer's own secret, passed on as it came
    client.delete(f"/api/reservas/{RID}")
    assert api.secrets_sent[-1] == ""  # none given: none sent (the box office keeps none)


def test_my_reservations_are_this_sessions_own_and_the_emails_about_them(client, api, app):
    mine = {"X-Boletia-Claves": json.dumps({RID: f"s-{RID}"})}
    r = client.get("/api/my?email=ana@x.co", headers=mine)
    doc = r.get_json()
    assert r.status_code == 200
    assert doc["events"] == ["Opera"]
    assert [(m["estado"], m["reserva"]) for m in doc["emails"]] == [("X", RID), ("A", RID)]
    assert [x["Id"] for x in doc["reservations"]] == [RID]  # not OTHER: not this session's
    # a stranger who types her address, with no secret or a wrong one, sees nothing of hers
    for header in ({}, {"X-Boletia-Claves": json.dumps({RID: "guess", OTHER: ""})}):
        doc = client.get("/api/my?email=ana@x.co", headers=header).get_json()
        assert (doc["reservations"], doc["emails"]) == ([], []), doc
    # her own secrets, with another's address: the API's answer names her, not him
    doc = client.get("/api/my?email=otro@x.co", headers=mine).get_json()
    assert (doc["reservations"], doc["emails"]) == ([], []), doc
    # thirty customers at once read the mail server once
    for _ in range(30):
        client.get("/api/my?email=otro@x.co")
    assert app.extensions["boletia_ui"]["mailbox"].reads == 1


# ---------------------------------------------------------------- the instructor's buttons
def test_a_quick_action_answers_with_its_outcome(client, rt):
    r = post(client, "/api/admin/component", {"component": "inventario", "verb": "kill"})
    assert r.status_code == 200 and r.get_json()["job"]["state"] == "done"
    assert rt.calls == [("kill", "inventario")]
    r = post(client, "/api/admin/component", {"component": "inventario", "verb": "pause"})
    assert r.status_code == 409 and "inventario is not running" in r.get_json()["error"]
    r = post(client, "/api/admin/component", {"component": "inventario", "verb": "start"})
    assert r.status_code == 200 and rt.states["inventario"] == "running"


def test_faults_and_design_reach_the_runtime(client, rt):
    for body in ({"fault": "crash", "consumer": "reembolsos", "times": 2, "topic": "boletia.reservas"},
                 {"fault": "slow", "consumer": "notificaciones", "seconds": 1.5},
                 {"fault": "fail-writes", "times": 3, "service": "reservas"},
                 {"fault": "clear"}):
        assert post(client, "/api/admin/fault", body).status_code == 200
    assert post(client, "/api/admin/design", {"design": "seed"}).status_code == 200
    assert rt.calls == [("crash", "reembolsos", 2, "boletia.reservas"), ("slow", "notificaciones", 1.5),
                        ("fail-writes", 3, "reservas"), ("clear",), ("design", "seed")]


def test_a_slow_action_runs_on_and_a_second_one_on_the_same_thing_is_refused(client, rt):
    rt.gate.clear()
    server_jobs = client.application.extensions["boletia_ui"]["control"].jobs
    server_jobs.wait = 0.1  # how long a request waits for its job before answering 202
    r = post(client, "/api/admin/component", {"component": "connect", "verb": "restart"})
    assert r.status_code == 202 and r.get_json()["job"]["state"] == "running"
    job_id = r.get_json()["job"]["id"]
    r = post(client, "/api/admin/component", {"component": "connect", "verb": "restart"})
    assert r.status_code == 409 and "still running" in r.get_json()["error"]
    r = post(client, "/api/admin/design", {"design": "seed"})  # touches what a restart of connect does
    assert r.status_code == 409
    rt.gate.set()
    deadline = time.monotonic() + 5
    while server_jobs.get(job_id).state == "running" and time.monotonic() < deadline:
        time.sleep(0.01)
    r = client.get(f"/api/admin/jobs/{job_id}", headers=AUTH)
    assert r.get_json()["job"]["state"] == "done"
    assert client.get("/api/admin/jobs/999", headers=AUTH).status_code == 404


def test_load_then_verdict(client, api, rt, monkeypatch, tmp_path):
    judged = []

    def fake_check(runtime, record, timeout=None, progress=None):
        judged.append(record)
        return checker.Report(design="fixed")
    monkeypatch.setattr(loadgen, "check_lab", fake_check)
    assert post(client, "/api/admin/check", {}).status_code == 409  # no run yet
    r = post(client, "/api/admin/load", {"rate": 100, "events": 2, "capacity": 50, "cancel_ratio": 0.5})
    assert r.status_code == 200, r.get_json()
    assert post(client, "/api/admin/load", {"rate": 5}).status_code == 409
    assert post(client, "/api/admin/check", {}).status_code == 409  # still running
    assert post(client, "/api/admin/load/rate", {"rate": 150}).get_json()["load"]["rate"] == 150
    deadline = time.monotonic() + 5
    while len(api.booked) < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    r = post(client, "/api/admin/load/stop", {})
    load = r.get_json()["load"]
    assert r.status_code == 200 and load["state"] == "stopped"
    assert load["bookings"] >= 20 and load["answers"]["book 200"] == load["bookings"]
    assert load["record"] and (tmp_path / "runs").is_dir()
    assert api.events == [f"{load['prefix']} 1", f"{load['prefix']} 2"]
    assert load["prefix"].startswith("UI Carga ")
    r = post(client, "/api/admin/check", {})
    assert r.status_code == 202
    deadline = time.monotonic() + 5
    while True:
        check = client.get("/api/admin/whoami", headers=AUTH).get_json()["check"]
        if check["state"] != "checking" or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert check["state"] == "done" and check["result"]["verdict"] == "clean"
    record = judged[0]
    assert len(record.bookings) == load["bookings_ok"] and record.events == load["events"]
    assert post(client, "/api/admin/load/stop", {}).status_code == 409


def test_the_open_loop_books_at_the_rate_asked(api):
    run = loadgen.LoadRun(api, rate=40, events=1, capacity=10, cancel_ratio=0).start()
    time.sleep(1.0)
    run.stop()
    assert run.wait(5)
    booked = run.status()["bookings"]
    assert 25 <= booked <= 50, booked


# ---------------------------------------------------------------- live: one sampler, many browsers
def test_thirty_subscribers_cost_one_sampling(hub, source):
    subs = [hub.subscribe(full=i % 2 == 0) for i in range(30)]
    for _ in range(3):
        hub.tick()
    assert source.counts == {"components": 3, "lag": 3, "topics": 3, "inventory": 3}
    assert hub.samples == 3
    received = {True: [], False: []}
    for sub in subs:
        got = [sub.queue.get_nowait() for _ in range(3)]
        assert [json.loads(p.split(b"data: ", 1)[1])["seq"] for p in got] == [1, 2, 3]
        received[sub.full].append(got[-1])
    # serialized once per view: every browser of a view gets the very same bytes
    for payloads in received.values():
        assert all(p is payloads[0] for p in payloads)
    assert b'"tails"' in received[True][0] and b'"tails"' not in received[False][0]
    assert b'"inventory"' in received[False][0] and b'"inventory"' not in received[True][0]
    assert hub.stats()["subscribers"] == 30 and hub.stats()["calls"] == source.counts


def test_the_stream_through_the_app_serves_each_view(client, hub, source):
    hub.tick()
    r = client.get("/api/stream", buffered=False)
    assert r.status_code == 200 and r.mimetype == "text/event-stream"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    chunks = r.iter_encoded()
    assert next(chunks) == b"retry: 2000\n\n"
    first = next(chunks).decode()
    assert first.startswith("id: 1\nevent: snapshot\ndata: ")
    public = json.loads(first.split("data: ", 1)[1])
    assert "tails" not in public and "control" not in public and public["lag"]
    assert hub.subscribers == 1
    hub.tick()
    assert json.loads(next(chunks).decode().split("data: ", 1)[1])["seq"] == 2
    r.close()
    assert hub.subscribers == 0

    r = client.get("/api/stream?view=control", headers=AUTH, buffered=False)
    chunks = r.iter_encoded()
    next(chunks)
    full = json.loads(next(chunks).decode().split("data: ", 1)[1])
    assert full["tails"] and full["control"]["jobs"] == []
    r.close()
    assert client.get("/api/stream?view=control").status_code == 401
    assert client.get("/api/stream", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_too_many_viewers_get_a_503(client, hub):
    hub.max_subscribers = 2
    subs = [hub.subscribe(False) for _ in range(2)]
    r = client.get("/api/stream")
    assert r.status_code == 503 and "at most 2" in r.get_json()["error"]
    for s in subs:
        hub.unsubscribe(s)


def test_the_snapshot_route_and_the_counters(client, hub, source):
    hub.tick()
    snap = client.get("/api/snapshot").get_json()
    assert snap["seq"] == 1 and "tails" not in snap
    assert "tails" in client.get("/api/snapshot", headers=AUTH).get_json()
    assert client.get("/api/snapshot", headers={"Authorization": "Bearer x"}).status_code == 401
    stats = client.get("/api/stats").get_json()
    assert stats["samples"] == 1 and stats["calls"]["lag"] == 1


def test_a_slow_probe_goes_stale_without_holding_up_the_others(source):
    release = threading.Event()
    calls = []

    def slow():
        calls.append(1)
        release.wait(5)
        return {"connectors": {"state": "RUNNING"}}
    source.probes["connectors"] = slow
    h = Hub(source, interval=0.05)
    try:
        snap = h.tick(budget=0.05)
        assert snap["stale"] == {"connectors": None} and snap["lag"]
        snap = h.tick(budget=0.05)
        assert len(calls) == 1 and "connectors" in snap["stale"]  # not asked twice at once
        release.set()
        time.sleep(0.05)
        snap = h.tick(budget=0.05)
        assert snap["connectors"] == {"state": "RUNNING"} and "connectors" not in snap["stale"]
    finally:
        release.set()
        h.close()


def test_a_failing_probe_is_reported_and_the_snapshot_goes_on(source):
    def broken():
        raise ConnectionError("Connect does not answer")
    source.probes["connectors"] = broken
    h = Hub(source, interval=0.05)
    try:
        snap = h.tick()
        assert "Connect does not answer" in snap["errors"]["connectors"] and snap["lag"]
    finally:
        h.close()


def test_a_slow_browser_loses_old_snapshots_not_the_hub(source):
    sub = Subscription(full=False, size=2)
    for i in range(5):
        sub.put(f"{i}".encode())
    assert [sub.queue.get_nowait() for _ in range(2)] == [b"3", b"4"] and sub.dropped == 3


def test_nobody_watching_nothing_sampled(source):
    h = Hub(source, interval=0.01, linger=0.0).start()
    try:
        time.sleep(0.15)
        assert h.samples == 0
        sub = h.subscribe(full=False)
        deadline = time.monotonic() + 2
        while h.samples < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert h.samples >= 3
        h.unsubscribe(sub)
        time.sleep(0.1)
        settled = h.samples
        time.sleep(0.15)
        assert h.samples == settled
    finally:
        h.close()
    assert source.closed


def test_the_sse_event_is_one_data_line():
    payload = hub_mod.sse({"seq": 7, "text": "two\nlines"})
    assert payload.startswith(b"id: 7\nevent: snapshot\ndata: {") and payload.endswith(b"}\n\n")
    assert payload.count(b"\n") == 4


def test_the_cli_has_the_ui_command():
    from typer.testing import CliRunner

    from boletia.cli import app

    out = CliRunner().invoke(app, ["lab", "ui", "--help"])
    assert out.exit_code == 0
    assert "--port" in out.output and "--host" in out.output and "--runtime" in out.output


def test_the_organisers_form_creates_an_event_through_the_admin_api(client, api):
    r = post(client, "/api/admin/event", {"nombre": "UI Concierto", "capacidad": 50})
    assert r.status_code == 200 and r.get_json()["Nombre"] == "UI Concierto"
    assert api.events == ["UI Concierto"]


def test_replaying_the_sink_goes_through_connects_rest_api(client, rt, monkeypatch):
    from boletia.lab.ui import actions

    replayed = []
    monkeypatch.setattr(actions.connectors, "replay", lambda url, name: replayed.append((url, name)))
    r = post(client, "/api/admin/fault", {"fault": "replay-sink"})
    assert r.status_code == 200 and r.get_json()["job"]["label"] == "replay the sink (mongo-sink)"
    assert replayed == [(rt.settings.connect_url, "mongo-sink")]
    jobs = client.get("/api/admin/whoami", headers=AUTH).get_json()["jobs"]
    assert jobs[0]["label"] == "replay the sink (mongo-sink)" and jobs[0]["state"] == "done"


def test_the_designs_offered_are_the_labs(client):
    assert client.get("/api/admin/whoami", headers=AUTH).get_json()["designs"] == list(config.DESIGNS)


def test_the_layout_is_the_component_list_drawn(client):
    """The diagram's boxes come from the component list: every service, consumer and topic,
    MongoDB, Connect and the brokers (in the gutter), the watchdog and SES; one box per cell;
    a consumer under the first topic it reads; every arrow joins two boxes."""
    from boletia.lab.components import COMPONENTS

    picture = client.get("/api/admin/layout", headers=AUTH).get_json()
    nodes = {n["id"]: n for n in picture["nodes"]}
    drawn = {n.get("comp") for n in nodes.values()} | set(picture["gutter"]["brokers"]) | {
        picture["gutter"]["connect"], picture["gutter"]["mongo"]}
    assert drawn - {None} == {c.name for c in COMPONENTS if not c.host_side}
    assert {n["topic"] for n in nodes.values() if n["kind"] == "topic"} == {
        *config.TOPICS, config.DEAD_LETTER_TOPIC}
    cells = [(n["row"], n["col"]) for n in nodes.values()]
    assert len(cells) == len(set(cells)), "two boxes in one cell"
    under: set[int] = set()
    for c in COMPONENTS:
        if c.kind == "consumer":  # under its first topic, or right of a consumer already there
            col = config.TOPICS.index(c.topics[0])
            while col in under:
                col += 1
            assert nodes[f"con-{c.name}"]["col"] == col
            under.add(nodes[f"con-{c.name}"]["col"])
            assert {e["from"] for e in picture["edges"] if e["to"] == f"con-{c.name}"} == {
                "top-" + t.split(".", 1)[1] for t in c.topics}
    assert all(e["from"] in nodes and e["to"] in nodes for e in picture["edges"])
    assert nodes["api-reservas"]["title"] == "reservas API :8071"
    assert {"api-reservas", "con-inventario", "con-notificaciones", "ses"} <= {
        n["id"] for n in nodes.values() if n["flow"]}  # the booking's path, as the browser test reads it


def test_a_wider_address_over_plain_http_is_refused_with_how_to_serve_it():
    """Beyond loopback the control room's admin requests would cross the network in clear."""
    from typer.testing import CliRunner

    from boletia.cli import app as app_cli

    out = CliRunner().invoke(app_cli, ["lab", "ui", "--host", "0.0.0.0", "--port", "8099"])
    said = " ".join(out.output.replace("│", " ").split())
    assert out.exit_code != 0 and "plain HTTP" in said and "--trusted-host" in said, said


def test_a_trusted_host_behind_a_proxy_is_answered_and_others_still_refused(rt, hub, api):
    srv, a = server.make_server(rt, "127.0.0.1", 0, extra_hosts=["class.example"], hub=hub,
                                api=api, admin_api=api)
    try:
        c = a.test_client()
        assert c.get("/", headers={"Host": "class.example"}).status_code == 200
        assert c.get("/", headers={"Host": "127.0.0.1:8090"}).status_code == 200
        assert c.get("/", headers={"Host": "rebound.evil.example"}).status_code == 400
    finally:
        a.extensions["boletia_ui"]["close"]()
        srv.close()


def test_the_control_room_scales_and_then_reaches_each_member(client, rt):
    assert post(client, "/api/admin/scale", {"component": "connect", "members": 2}).status_code == 200
    assert post(client, "/api/admin/scale", {"component": "inventario", "members": 3}).status_code == 200
    r = post(client, "/api/admin/component", {"component": "connect-2", "verb": "kill"})
    assert r.status_code == 200, r.get_json()
    assert rt.calls == [("scale", "connect", 2), ("scale", "inventario", 3), ("kill", "connect-2")]


def test_the_control_room_runs_the_autoscaler_and_shows_its_decisions(client, rt, monkeypatch):
    """Started from its panel, it reads the group's lag (here: 150 messages, at most 3 members),
    scales inventario to ceil(150 / 50) = 3 through the runtime, and every snapshot carries the
    reading and the decision; one at a time; stopped, it says so."""
    from boletia.lab import autoscaler

    monkeypatch.setattr(autoscaler, "group_lag", lambda bootstrap, group, topics: (150, 3))
    r = post(client, "/api/admin/autoscale", {"consumer": "inventario", "target_lag": 50, "max_members": 3})
    assert r.status_code == 200, r.get_json()
    control = client.application.extensions["boletia_ui"]["control"]
    deadline = time.monotonic() + 10
    while not control.state()["autoscale"]["decisions"] and time.monotonic() < deadline:
        time.sleep(0.05)
    shown = control.state()["autoscale"]
    assert [(d["members"], d["to"], d["lag"]) for d in shown["decisions"]] == [(1, 3, 150)], shown
    assert shown["state"] == "running" and shown["reading"]["partitions"] == 3
    assert ("scale", "inventario", 3) in rt.calls
    again = post(client, "/api/admin/autoscale", {"consumer": "notificaciones"})
    assert again.status_code == 409 and "already scaling inventario" in again.get_json()["error"]
    stopped = post(client, "/api/admin/autoscale/stop", {})
    assert stopped.status_code == 200 and stopped.get_json()["autoscale"]["state"] == "stopped"
    assert post(client, "/api/admin/autoscale/stop", {}).status_code == 409
