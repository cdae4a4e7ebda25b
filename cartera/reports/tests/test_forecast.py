import datetime as dt
from decimal import Decimal

import pytest

from cartera.customers.services import create_customer
from cartera.reports.forecast import explain, forecast

from .ledger_story import invoice, pay

D = Decimal


@pytest.fixture
def habits(org_a):
    """Three customers with steady habits: 'puntual' pays 2 days early, 'tarde' 20 days
    late but once 120 days (an outlier), 'moroso' 45 days late. Monthly invoices of
    1,000.00 from 2025-01 to 2025-12, due 30 days after issue."""
    people = {}
    for key, lateness in (
        ("puntual", [-2]),
        ("tarde", [20, 20, 20, 120, 20, 20]),
        ("moroso", [45]),
    ):
        customer = create_customer(organization=org_a, actor=None, external_id=key, name=key)
        people[key] = customer
        for month in range(1, 13):
            issue = dt.date(2025, month, 1)
            due = issue + dt.timedelta(days=30)
            inv = invoice(customer, f"{key}-{month}", issue, due, "1000.00")
            late = lateness[(month - 1) % len(lateness)]
            pay(customer, inv, "1000.00", due + dt.timedelta(days=late))
    return people


def test_forecast_weeks_account_for_every_open_amount(org_a, habits):
    moroso = habits["moroso"]
    invoice(moroso, "X-1", dt.date(2026, 1, 5), dt.date(2026, 2, 4), "500.00")
    invoice(habits["puntual"], "X-2", dt.date(2026, 1, 10), dt.date(2026, 2, 9), "250.00", "USD")
    data = forecast(organization=org_a, as_of=dt.date(2026, 1, 20))
    by_number = {p.number: p for p in data["predictions"]}
    explain(data, list(by_number.values()))
    # open on 2026-01-20 besides: moroso-12 and tarde-10 (paid later, in February)
    assert sorted(by_number) == ["X-1", "X-2", "moroso-12", "tarde-10"]
    # moroso pays 45 days late, puntual 2 days early (the trees correct the customer's
    # mean, here by little: 36 invoices)
    assert by_number["X-1"].date == dt.date(2026, 3, 21)
    assert by_number["X-2"].date == dt.date(2026, 2, 7)
    assert by_number["X-1"].reasons[0] == (
        "Historial del cliente: atraso medio 45.0 días en 11 facturas"
    )
    assert (round(by_number["X-1"].p_late, 2), round(by_number["X-2"].p_late, 2)) == (1.0, 0.01)
    for currency, total in (("MXN", D("2500.00")), ("USD", D("250.00"))):
        weeks = data["weeks"][currency]
        assert len(weeks) == 13
        assert sum(w.expected for w in weeks) + data["later"].get(currency, 0) == total
        assert all(w.p10 <= w.expected <= w.p90 for w in weeks)
    usd_week = next(w for w in data["weeks"]["USD"] if w.invoices)
    assert usd_week.start == dt.date(2026, 2, 3)  # 2026-02-07 is in the third week


def test_overdue_invoice_is_never_predicted_in_the_past(org_a, habits):
    inv = invoice(habits["puntual"], "Y-1", dt.date(2026, 1, 1), dt.date(2026, 1, 31), "100.00")
    data = forecast(organization=org_a, as_of=dt.date(2026, 3, 1))
    prediction = next(p for p in data["predictions"] if p.invoice_id == inv.pk)
    explain(data, [prediction])
    assert prediction.date > dt.date(2026, 3, 1)
    assert prediction.p_late == 1.0  # open after its due date: late for certain
    assert prediction.reasons[1] == "Ya lleva 29 días vencida: se espera el pago después"
