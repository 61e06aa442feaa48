"""The HTTP layer's own rules, decided before any database is touched (no I/O here; the
whole APIs are fuzzed against the real lab in tests/integration/test_api_fuzz.py)."""

from __future__ import annotations

import pytest

from boletia.domain import model
from boletia.services import eventos, reservas


class NoDatabase:
    """Any use of the database fails the test: these rules must hold before it."""

    def __getattr__(self, name):
        raise AssertionError(f"the database was used ({name}) for a request that must be refused first")

    def __getitem__(self, name):
        return self.__getattr__(name)


KEY = "a-booking-key-for-the-unit-tests"


@pytest.fixture
def admin():
    return eventos.create_app(db=NoDatabase(), token="s3cret-token").test_client()


@pytest.fixture
def public():
    return reservas.create_app(db=NoDatabase(), design="fixed", booking_key=KEY).test_client()


def test_an_empty_token_is_refused_at_start_up():
    with pytest.raises(SystemExit, match="admin token is empty"):
        eventos.create_app(db=NoDatabase(), token="  ")


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Bearer wrong", "Basic s3cret-token",
                                    "Bearer é", "Bearer s3cret-tokenX", "Bearer \u2603\u2603"])
def test_the_admin_api_refuses_every_wrong_token_with_401(admin, header):
    r = admin.get("/eventos", headers={"Authorization": header} if header else {})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert "boletia lab token" in r.get_json()["error"]


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x"])
def test_a_body_that_is_not_json_gets_415(public, ctype):
    headers = {"Content-Type": ctype} if ctype else {}
    r = public.post("/reservas", data=b'{"evento": "x", "cantidad": 1, "email": "a@b.co"}',
                    headers=headers)
    assert r.status_code == 415 and "application/json" in r.get_json()["error"]


def test_deeply_nested_json_is_a_400_not_a_500(public):
    r = public.post("/reservas", data=b"[" * 4000, content_type="application/json")
    assert r.status_code == 400 and "nested too deeply" in r.get_json()["error"]


@pytest.mark.parametrize("path", ["/reservas/" + "a" * 24 + "%0A", "/reservas/" + "a" * 23 + "g",
                                  "/reservas/" + "a" * 25])
def test_ids_must_be_exactly_24_hex_digits(public, path):
    for method in ("GET", "DELETE"):
        r = public.open(path, method=method)
        assert r.status_code == 400, (method, path, r.status_code)


@pytest.mark.parametrize("email", ["a,b@c.de", "x%00y@c.de", "%3Ca%3E@c.de", "no-at-sign"])
def test_a_customer_lookup_by_a_bad_address_is_a_400(public, email):
    assert public.get(f"/reservas/Opera/{email}").status_code == 400


def test_every_answer_says_nosniff_and_no_cors(public):
    for r in (public.get("/health"), public.post("/reservas", data=b"x"),
              public.get("/reservas/zz"), public.get("/openapi.json")):
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "Access-Control-Allow-Origin" not in r.headers


def test_a_wrong_method_says_which_are_allowed(public):
    r = public.put("/reservas", json={})
    assert r.status_code in (405, 415)
    r = public.open("/reservas", method="PATCH", json={})
    assert r.status_code == 405 and "POST" in r.headers["Allow"]


def test_the_openapi_documents_every_status_each_route_can_answer(public, admin):
    for client, statuses in ((public, {"200", "400", "404", "413", "415", "503"}),
                             (admin, {"200", "400", "401", "413", "415", "503"})):
        doc = client.get("/openapi.json").get_json()
        posted = [op for path in doc["paths"].values() for m, op in path.items() if m == "post"]
        assert posted and all(statuses <= set(op["responses"]) for op in posted)
        for path in doc["paths"].values():
            for op in path.values():
                assert "503" in op["responses"], "the database may always be away"


def test_the_inventorys_path_advertises_only_its_own_methods(public):
    """/reservas/<id> must not take 'eventos' for an id: OPTIONS advertised DELETE there."""
    assert "DELETE" not in public.options("/reservas/eventos").headers["Allow"]
    r = public.delete("/reservas/eventos")
    assert r.status_code == 405 and "DELETE" not in r.headers["Allow"]
    assert "DELETE" in public.options("/reservas/" + "a" * 24).headers["Allow"]


def test_the_documents_state_the_rules_the_routes_apply(admin, public):
    e = admin.get("/openapi.json").get_json()
    r = public.get("/openapi.json").get_json()
    assert "409" in e["paths"]["/eventos"]["post"]["responses"]
    (cancel_name,) = e["paths"]["/eventos/{nombre}"]["delete"]["parameters"]
    assert cancel_name["schema"]["pattern"] == model.OWN_NAME_PATTERN
    assert e["components"]["schemas"]["NewEvent"]["properties"]["nombre"]["pattern"] == model.OWN_NAME_PATTERN
    path_email = next(p for p in r["paths"]["/reservas/{evento}/{email}"]["get"]["parameters"]
                      if p["name"] == "email")
    body_email = r["components"]["schemas"]["NewBooking"]["properties"]["email"]
    assert path_email["schema"]["pattern"] == body_email["pattern"] == model.EMAIL_PATTERN
    assert "format" not in body_email  # the pattern is the rule; "email" format is a wider one


def test_each_creation_and_cancel_links_to_what_follows_it(admin, public):
    ops = {}
    for doc in (admin.get("/openapi.json").get_json(), public.get("/openapi.json").get_json()):
        ops.update({op["operationId"]: op for path in doc["paths"].values() for op in path.values()})
    links = {**ops["post__eventos"]["responses"]["200"]["links"],
             **ops["post__reservas"]["responses"]["200"]["links"]}
    assert {(v["operationId"], *v["parameters"].items()) for v in links.values()} == {
        ("get__eventos_{nombre}", ("nombre", "$response.body#/Nombre")),
        ("delete__eventos_{nombre}", ("nombre", "$response.body#/Nombre")),
        # the booking's secret goes with its id (the fixed design: issue 28.1)
        ("get__reservas_{reserva_id}", ("reserva_id", "$response.body#/Id"),
         ("header.X-Boletia-Clave", "$response.body#/Clave")),
        ("delete__reservas_{reserva_id}", ("reserva_id", "$response.body#/Id"),
         ("header.X-Boletia-Clave", "$response.body#/Clave")),
        ("get__reservas_{evento}_{email}", ("evento", "$response.body#/Evento"),
         ("email", "$response.body#/Email")),
        ("get__reservas_eventos_{nombre}", ("nombre", "$response.body#/Evento"))}
    assert all(v["operationId"] in ops for v in links.values())
    for link in links.values():
        target = ops[link["operationId"]]  # every parameter of the target comes from the link
        assert {p["name"] if p["in"] == "path" else f"{p['in']}.{p['name']}"
                for p in target["parameters"] if p["in"] == "path" or p.get("required")} \
            == set(link["parameters"])
    again = {**ops["delete__eventos_{nombre}"]["responses"]["200"]["links"],
             **ops["delete__reservas_{reserva_id}"]["responses"]["200"]["links"]}
    assert {(v["operationId"], *v["parameters"].items()) for v in again.values()} == {
        ("get__eventos_{nombre}", ("nombre", "$request.path.nombre")),
        ("delete__eventos_{nombre}", ("nombre", "$request.path.nombre")),
        ("get__reservas_{reserva_id}", ("reserva_id", "$request.path.reserva_id"),
         ("header.X-Boletia-Clave", "$request.header.X-Boletia-Clave")),
        ("delete__reservas_{reserva_id}", ("reserva_id", "$request.path.reserva_id"),
         ("header.X-Boletia-Clave", "$request.header.X-Boletia-Clave"))}


def test_a_lookup_by_address_applies_the_bookings_rule(public):
    assert public.get("/reservas/Opera/6%232@c.test").status_code == 400  # special-use domain


def test_the_documents_give_an_example_of_everything_a_client_sends(admin, public):
    """The examples phase of a fuzzer (and a reader) needs them; each is valid by the document's
    own rules, as the routes apply them."""
    e = admin.get("/openapi.json").get_json()
    r = public.get("/openapi.json").get_json()
    for doc in (e, r):
        for path in doc["paths"].values():
            for op in path.values():
                for param in op.get("parameters", []):
                    assert "example" in param, (op["operationId"], param["name"])
    (event,) = e["components"]["schemas"]["NewEvent"]["examples"]
    (booking,) = r["components"]["schemas"]["NewBooking"]["examples"]
    assert model.parse_event(event).nombre == booking["evento"]
    assert model.parse_booking(booking).email == booking["email"]
    params = {p["name"]: p["example"] for path in r["paths"].values() for op in path.values()
              for p in op.get("parameters", [])}
    assert model.check_email(params["email"]) and model.check_object_id(params["reserva_id"])


# ------------------------------------------------------------------ Host (issue 28: DNS rebinding)
def test_the_trusted_names_are_loopback_the_bound_name_and_every_form_of_the_own_name():
    from boletia.services.http import trusted_hosts

    names = trusted_hosts("http://eventos.boletia.svc.cluster.local:8070", "0.0.0.0")
    assert {"127.0.0.1", "localhost", "::1", "eventos", "eventos.boletia",
            "eventos.boletia.svc.cluster.local"} <= set(names)
    assert "0.0.0.0" not in names and "boletia" not in names
    assert trusted_hosts("http://127.0.0.1:8070", "127.0.0.1", ["*"]) is None  # answers any
    assert "api.example" in trusted_hosts("http://127.0.0.1:8070", "127.0.0.1", ["api.example"])


# (an IPv6 literal cannot be trusted by name in werkzeug 3.1; the services listen on IPv4)
@pytest.mark.parametrize("host,status", [("127.0.0.1:8071", 200), ("localhost", 200),
                                         ("reservas:8071", 200),
                                         ("evil.example", 400), ("reservas.evil.example:8071", 400)])
def test_a_service_refuses_a_host_it_does_not_answer_to(host, status):
    from boletia.services.http import trusted_hosts

    app = reservas.create_app(db=NoDatabase(), design="fixed", booking_key=KEY)
    app.config["TRUSTED_HOSTS"] = trusted_hosts("http://reservas:8071", "0.0.0.0")
    answer = app.test_client().get("/health", headers={"Host": host})
    assert answer.status_code == status, answer.get_json()
    if status == 400:
        assert "answers to" in answer.get_json()["error"]


def test_every_answer_names_the_replica_that_gave_it(monkeypatch):
    monkeypatch.setenv("BOLETIA_REPLICA", "reservas-2")
    app = reservas.create_app(db=NoDatabase(), design="fixed", booking_key=KEY)
    health = app.test_client().get("/health")
    assert health.get_json()["replica"] == "reservas-2" and health.get_json()["pid"] > 0
    refused = app.test_client().post("/reservas", data=b"x")
    assert refused.status_code == 415 and refused.headers["X-Boletia-Replica"] == "reservas-2"
    monkeypatch.delenv("BOLETIA_REPLICA")
    one = eventos.create_app(db=NoDatabase(), token="s3cret-token").test_client().get("/health")
    assert one.get_json()["replica"] == "eventos"  # an API not scaled: its own name


def test_two_replicas_bind_one_address_and_a_stranger_without_the_option_cannot():
    """SO_REUSEPORT (loopback only, nothing served): what lets `lab scale reservas=2` share
    the port; a socket bound without it, as any other program's, is refused the address."""
    import socket

    from boletia.services.http import shared_socket

    first = shared_socket("127.0.0.1", 0)
    port = first.getsockname()[1]
    second = shared_socket("127.0.0.1", port)
    stranger = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        assert second.getsockname()[1] == port
        with pytest.raises(OSError, match="in use"):
            stranger.bind(("127.0.0.1", port))
    finally:
        for s in (first, second, stranger):
            s.close()
