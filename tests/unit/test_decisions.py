"""What each request and message means, in both designs: pure, no I/O."""

from __future__ import annotations

from boletia import designs
from boletia.domain import decisions as d
from boletia.domain import model

BOOKING = model.NewBooking(evento="Opera Boheme", cantidad=3, email="p@d.com")


def test_seed_booking_counts_capacity_down():
    w = designs.get("seed").book(BOOKING, "R1")
    assert w.collection == "inventario"
    assert w.filter == {"nombre": "Opera Boheme", "estado": "A", "capacidad": {"$gte": 3}}
    assert w.update == {"$inc": {"capacidad": -3},
                        "$set": {"idres": "R1", "email": "p@d.com", "canres": 3}}


def test_fixed_booking_counts_sold_up_and_never_touches_capacity():
    w = designs.get("fixed").book(BOOKING, "R1")
    assert w.update["$inc"] == {"vendidos": 3}
    assert "capacidad" not in w.update["$inc"]
    assert "$expr" in w.filter and w.filter["estado"] == "A"
    assert w.update["$set"] == {"reserva": {"id": "R1", "email": "p@d.com", "cantidad": 3}}


def _change(fields: dict, full: dict | None = None, op: str = "update") -> dict:
    return {"operationType": op, "fullDocument": full or {"nombre": "Opera", "estado": "A"},
            "updateDescription": {"updatedFields": fields, "removedFields": []}}


def test_fixed_reads_the_booking_from_what_the_update_wrote_not_the_looked_up_document():
    # the looked-up document already shows a LATER booking (R2); the change says R1
    later = {"nombre": "Opera", "estado": "A",
             "reserva": {"id": "R2", "email": "b@x.com", "cantidad": 1}}
    change = _change({"vendidos": 4, "reserva": {"id": "R1", "email": "a@x.com", "cantidad": 3}},
                     later)
    (write,) = d.on_inventario_change(change, at="T1").writes
    assert write.document == {"_id": "R1", "evento": "Opera", "estado": "A",
                              "email": "a@x.com", "cantidad": 3, "registrada": "T1"}


def test_fixed_ignores_echoes_and_cancels_on_state_c():
    assert d.on_inventario_change(_change({"vendidos": 2})).ignore
    assert d.on_inventario_change(_change({}, op="insert")).ignore
    assert d.on_inventario_change({"nombre": "Opera", "estado": "A"}).ignore  # seed format
    (write,) = d.on_inventario_change(_change({"estado": "C"})).writes
    assert write == d.UpdateMany("reservas", {"evento": "Opera", "estado": "A"},
                                 {"$set": {"estado": "C"}})


def test_inventario_message_with_a_booking_records_the_reservation_by_its_id():
    msg = {"_id": "E1", "nombre": "Opera Boheme", "capacidad": 20, "estado": "A",
           "idres": "R1", "email": "p@d.com", "canres": 3}
    (write,) = d.on_inventario(msg, at="T1").writes
    assert write == d.InsertOne("reservas", {"_id": "R1", "evento": "Opera Boheme",
                                             "estado": "A", "email": "p@d.com", "cantidad": 3,
                                             "registrada": "T1"})


def test_echoes_are_ignored_without_loops():
    sink_copy = {"_id": "E1", "nombre": "Opera", "capacidad": 20, "estado": "A"}
    refund_echo = {**sink_copy, "idres": "R1", "email": "p@d.com", "canres": -1}
    assert d.on_inventario(sink_copy).ignore is not None
    assert d.on_inventario(refund_echo).ignore is not None
    # the echo of the consumer's own insert into reservas (state A) refunds nothing
    assert designs.get("fixed").on_reservas({"_id": "R1", "evento": "Opera", "estado": "A",
                                             "email": "p@d.com", "cantidad": 3}).ignore is not None


def test_cancelled_event_cancels_its_active_reservations():
    (write,) = d.on_inventario({"_id": "E1", "nombre": "Opera", "estado": "C"}).writes
    assert write == d.UpdateMany("reservas", {"evento": "Opera", "estado": "A"},
                                 {"$set": {"estado": "C"}})


def test_refund_seed_is_a_plain_inc_and_fixed_is_one_refund_document_in_a_transaction():
    cancel = {"_id": "R1", "evento": "Opera", "estado": "X", "email": "p@d.com", "cantidad": 3}
    (seed,) = designs.get("seed").on_reservas(cancel).writes
    assert seed.update["$inc"] == {"capacidad": 3}
    (fixed,) = designs.get("fixed").on_reservas(cancel).writes
    assert isinstance(fixed, d.Transaction)
    record, inventory = fixed.writes
    # the refund's _id is the reservation's: a redelivered X collides and the whole
    # transaction, $inc included, is not made
    assert record == d.InsertOne("reembolsos", {"_id": "R1", "evento": "Opera", "cantidad": 3})
    assert inventory.filter == {"nombre": "Opera", "estado": "A"}
    assert inventory.update == {"$inc": {"vendidos": -3}}  # nothing grows with the refunds
    assert "reserva" not in inventory.update.get("$set", {})  # its own echo will be ignored


def test_one_email_per_state_in_spanish():
    base = {"_id": "R1", "evento": "Opera Boheme", "email": "p@d.com", "cantidad": 3}
    subjects = {s: d.notification({**base, "estado": s}).subject for s in "AXC"}
    assert "confirmada" in subjects["A"]
    assert "cancelada" in subjects["X"]
    assert "suspendido" in subjects["C"]
    assert isinstance(d.notification({**base, "estado": "?"}), d.Ignore)


def test_txn_books_and_records_the_reservation_in_one_transaction():
    req = model.NewBooking(evento="Opera", cantidad=2, email="a@x.com")
    txn = designs.get("txn").book(req, "R1", at="T1")
    assert isinstance(txn, d.Transaction)
    tickets, reservation = txn.writes
    assert tickets.update == {"$inc": {"vendidos": 2}} and "reserva" not in tickets.update.get("$set", {})
    assert reservation == d.InsertOne("reservas", {"_id": "R1", "evento": "Opera", "estado": "A",
                                                   "email": "a@x.com", "cantidad": 2, "registrada": "T1"})
    # its change event carries no booking, so the consumer writes no second reservation
    assert d.on_inventario_change(_change({"vendidos": 2})).ignore


def test_a_ledger_update_without_its_identity_gets_it_on_insert():
    # a student's first ledger leaves out reserva/estado: the unique (reserva, estado) index would
    # then hold one null pair and refuse every later email as a duplicate
    filt, update = {"_id": "r1:A"}, {"$inc": {"intentos": 1}}
    assert d.ledger_identity(filt, update, "r1", "A") == {
        "$inc": {"intentos": 1}, "$setOnInsert": {"reserva": "r1", "estado": "A"}}
    # the fixed claim already names them: unchanged
    filt, update = d.ledger_claim("r1", "A", "a@b.co")
    assert d.ledger_identity(filt, update, "r1", "A") == update
    # named by the filter (an upsert copies equality fields) or by an operator: not added twice
    assert d.ledger_identity({"_id": "r1:A", "reserva": "r1"}, {"$set": {"estado": "A"}},
                                     "r1", "A") == {"$set": {"estado": "A"}}
