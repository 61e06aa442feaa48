"""Permanent or transient, case by case: a message that can never succeed is dead-lettered,
anything else is retried. Decided by error type at the adapter boundary (no I/O here)."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from bson import ObjectId

from boletia import config
from boletia.adapters import ses
from boletia.adapters.errors import PermanentFailure
from boletia.consumers import runner
from boletia.domain import messages

RESERVA = {"_id": ObjectId(), "evento": "Opera", "estado": "A", "email": "ana@x.es", "cantidad": 2}


@pytest.mark.parametrize("change,emailed", [
    ({"evento": None}, False), ({"cantidad": 0}, False), ({"estado": "Z"}, False),
    ({"email": "a,b@c.de"}, True), ({"email": "<a>@c.de"}, True), ({"email": "x\x01@c.de"}, True),
])
def test_a_reservation_without_what_it_needs_is_invalid(change, emailed):
    with pytest.raises(messages.InvalidMessage):
        messages.reservation({**RESERVA, **change}, emailed=emailed)


def test_a_good_reservation_passes_and_the_refund_does_not_need_an_email():
    assert messages.reservation(dict(RESERVA), emailed=True)
    assert messages.reservation({**RESERVA, "email": "a,b@c.de"})  # inventario never emails


@pytest.mark.parametrize("doc", [
    {"operationType": "update", "fullDocument": {"nombre": "x", "estado": "A"}},
    {"operationType": "update", "updateDescription": {"updatedFields": {}}},
    {"operationType": "update", "fullDocument": {"nombre": "x", "estado": "A"},
     "updateDescription": {"updatedFields": {"reserva": {"id": 1, "email": "bad", "cantidad": 1}}}},
    {"operationType": "insert"},
])
def test_a_change_event_without_what_the_fixed_design_reads_is_invalid(doc):
    with pytest.raises(messages.InvalidMessage):
        messages.inventario_change(doc)


def test_a_seed_booking_must_name_its_reservation():
    with pytest.raises(messages.InvalidMessage):
        messages.inventario_document({"nombre": "x", "estado": "A", "canres": 2, "email": "a@b.co"})
    assert messages.inventario_document({"nombre": "x", "estado": "A", "canres": -1})  # a refund's echo


# A wrongly typed field (issue 28.4): lax validation coerced "2" to 2, then the decision met
# the raw "2" and failed (retried forever, wedging the partition) or ignored the booking.
@pytest.mark.parametrize("change", [{"cantidad": "2"}, {"cantidad": 2.0}, {"cantidad": True},
                                    {"evento": 7}, {"email": ["ana@x.es"]}, {"_id": [1, 2]},
                                    {"_id": {"$gt": ""}}])
def test_a_wrongly_typed_reservation_is_invalid_not_coerced(change):
    with pytest.raises(messages.InvalidMessage, match=next(iter(change)).lstrip("_")):
        messages.reservation({**RESERVA, **change}, emailed=True)


def _change(reserva: dict) -> dict:
    return {"operationType": "update", "fullDocument": {"nombre": "Opera", "estado": "A"},
            "updateDescription": {"updatedFields": {"reserva": reserva, "vendidos": 4}}}


def _record(topic: str, doc: dict):
    from bson import json_util
    return type("R", (), {"topic": topic, "value": json_util.dumps(doc).encode()})()


@pytest.mark.parametrize("design,topic,doc", [
    ("fixed", "boletia.reservas", {**RESERVA, "estado": "X", "cantidad": "2"}),
    ("seed", "boletia.reservas", {**RESERVA, "estado": "X", "cantidad": "2"}),
    ("fixed", "boletia.inventario", _change({"id": ObjectId(), "email": "ana@x.es", "cantidad": "2"})),
    ("seed", "boletia.inventario", {"nombre": "Opera", "estado": "A", "idres": ObjectId(),
                                    "email": "ana@x.es", "canres": "2"}),
])
def test_the_store_consumers_dead_letter_a_wrongly_typed_message(design, topic, doc):
    """Not a TypeError inside the decision (transient: retried forever), not an ignored
    booking: a PermanentFailure naming the field, raised before any write is decided; by
    inventario on boletia.inventario, by reembolsos on boletia.reservas."""
    from boletia import designs
    from boletia.consumers import inventario, reembolsos

    consumer = inventario if topic == "boletia.inventario" else reembolsos
    assert topic in consumer.TOPICS
    handler = runner._handler(consumer.make_handler(None, designs.get(design)))
    with pytest.raises(PermanentFailure, match="cantidad|canres"):
        handler.decide(_record(topic, doc))


def test_decisions_read_the_validated_message_not_the_raw_document():
    from boletia import designs

    reserva = {"id": ObjectId(), "email": "ana@x.es", "cantidad": 3}
    raw = _change(reserva)
    typed = messages.inventario_change(raw)
    assert typed is not raw and typed["updateDescription"]["updatedFields"]["reserva"] == reserva
    assert typed["updateDescription"]["updatedFields"]["reserva"] is not reserva
    decided = designs.get("fixed").on_inventario(raw)
    assert decided.writes[0].document["cantidad"] == 3
    assert messages.reservation(dict(RESERVA)) == RESERVA  # unread fields pass through


def test_the_runner_dead_letters_an_invalid_message_and_retries_a_bug():
    handler_errors = {"invalid": messages.InvalidMessage("no evento"), "bug": KeyError("evento")}
    for kind, error in handler_errors.items():
        def handle(topic, doc, error=error):
            raise error
        wrapped = runner._handler(handle)
        record = type("R", (), {"topic": "boletia.reservas", "value": b'{"a": 1}'})()
        expected = PermanentFailure if kind == "invalid" else KeyError
        with pytest.raises(expected):
            wrapped(record)


class Client:
    """Stands in for boto3's SES client: raises what it is told to, once per call."""

    def __init__(self, *errors):
        self.errors, self.verified = list(errors), 0

    def verify_email_identity(self, EmailAddress):  # noqa: N803 - boto3's name
        self.verified += 1

    def send_email(self, **kw):
        if self.errors:
            raise self.errors.pop(0)
        return {"MessageId": "m-1"}


def _client_error(code: str, status: int, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "SendEmail")


@pytest.mark.parametrize("error,expected", [
    (_client_error("InvalidParameterValue", 400, "Missing domain"), ses.Refused),
    (_client_error("MessageRejected", 400, "Email address is blacklisted"), ses.Refused),
    (_client_error("Throttling", 400, "Maximum sending rate exceeded"), ses.Unreachable),
    (_client_error("InternalFailure", 500), ses.Unreachable),
    (_client_error("AccessDenied", 403), ses.Unreachable),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:5005"), ses.Unreachable),
    (ConnectTimeoutError(endpoint_url="http://127.0.0.1:5005"), ses.Unreachable),
    (ReadTimeoutError(endpoint_url="http://127.0.0.1:5005"), ses.Uncertain),
    (NoCredentialsError(), ses.Unreachable),
])
def test_ses_failures_are_classified_by_what_boto3_raised(error, expected):
    mailer = ses.Mailer(config.Settings())
    mailer.client = Client(error)
    with pytest.raises(expected):
        mailer.send("ana@x.es", "s", "b")
    assert issubclass(ses.Refused, PermanentFailure)
    for transient in (ses.Unreachable, ses.Uncertain):
        assert not issubclass(transient, PermanentFailure)


def test_a_forgotten_sender_is_verified_again_not_dead_lettered():
    mailer = ses.Mailer(config.Settings())
    mailer.client = Client(_client_error("MessageRejected", 400,
                                         "Email address not verified boletos@boletia.example"))
    assert mailer.send("ana@x.es", "s", "b") == "m-1"
    assert mailer.client.verified == 2


def test_no_client_of_the_lab_asks_the_store_for_retryable_writes():
    # SecantusDB sorts every retryable-write record on each write past 10 000 of them
    # (mongo.client's docstring): the store's ceiling fell tenfold within one benchmark
    from boletia.adapters import mongo

    c = mongo.client("mongodb://127.0.0.1:1/?directConnection=true", timeout_ms=100)
    try:
        assert c.options.retry_writes is False
    finally:
        c.close()
