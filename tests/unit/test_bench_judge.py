"""How the benchmark judges one rate from its bookings (no lab: plain data)."""

from boletia.lab.experiments.bench import Booking, judge


def bookings(rate: float, seconds: float, late: float, lost: set[int] = frozenset(),
             slow: dict[int, float] | None = None) -> list[Booking]:
    """One booking each 1/rate s, answered at once, recorded `late` s after its slot."""
    out = []
    for i in range(int(rate * seconds)):
        planned = 1000.0 + i / rate
        delay = (slow or {}).get(i, late)
        out.append(Booking(planned=planned, answered=planned + 0.01, status=200, id=str(i),
                           recorded=None if i in lost else planned + delay))
    return out


def test_the_lead_in_is_kept_out_of_the_latencies():
    # the first 2 s (20 bookings at 10/s) take 2 s each, the measured 5 s take 50 ms
    made = bookings(10, 7, 0.05, slow={i: 2.0 for i in range(20)})
    step, measured = judge("fixed", 10, 5, made, lead_in=2, drained=True)
    assert len(measured) == step.sent == step.accepted == step.recorded == 50
    assert step.to_reservation_ms["p99"] == 50.0
    assert step.lead_in["sent"] == 20 and step.lead_in["to_reservation_ms"]["p50"] == 2000.0
    assert step.sustained


def test_without_a_lead_in_every_booking_is_measured():
    made = bookings(10, 7, 0.05, slow={i: 2.0 for i in range(20)})
    step, measured = judge("fixed", 10, 7, made, lead_in=0, drained=True)
    assert len(measured) == 70 and step.lead_in["sent"] == 0
    assert step.to_reservation_ms["p99"] == 2000.0 and not step.sustained


def test_a_booking_lost_in_the_lead_in_fails_the_rate():
    step, _ = judge("fixed", 10, 5, bookings(10, 7, 0.05, lost={3}), lead_in=2, drained=True)
    assert step.recorded == step.accepted == 50 and step.lead_in["recorded"] == 19
    assert not step.sustained


def test_a_pipeline_that_did_not_drain_fails_the_rate():
    step, _ = judge("fixed", 10, 5, bookings(10, 7, 0.05), lead_in=2, drained=False)
    assert not step.sustained
