import datetime as dt
from decimal import Decimal

import pytest

from cartera.customers.models import Customer
from cartera.customers.services import create_customer
from cartera.reports.forecast import explain, forecast
from cartera.reports.models import ForecastWeek
from cartera.reports.services import store_forecast

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


def test_late_probabilities_are_stored_per_customer(org_a, habits):
    # open on 2026-01-20 and not yet due: X-1 (moroso) and X-2 (puntual); tarde has
    # tarde-10 open but overdue (late already: it is the days-overdue factor's)
    invoice(habits["moroso"], "X-1", dt.date(2026, 1, 5), dt.date(2026, 2, 4), "500.00")
    invoice(habits["puntual"], "X-2", dt.date(2026, 1, 10), dt.date(2026, 2, 9), "250.00")
    assert store_forecast(organization=org_a, as_of=dt.date(2026, 1, 20)) == {
        "customers": 2,
        "weeks": 13,
    }
    stored = {
        c.external_id: (c.late_probability, c.late_probability_on)
        for c in Customer.objects.filter(organization=org_a)
    }
    day = dt.date(2026, 1, 20)
    assert stored == {
        "moroso": (D("0.996"), day),
        "puntual": (D("0.007"), day),
        "tarde": (None, day),
    }


def test_dashboard_shows_the_stored_expected_weeks(org_a, habits, login, owner_a, agent_a):
    invoice(habits["moroso"], "X-1", dt.date(2026, 1, 5), dt.date(2026, 2, 4), "500.00")
    store_forecast(organization=org_a, as_of=dt.date(2026, 1, 20))
    weeks = list(ForecastWeek.objects.filter(organization=org_a, currency="MXN"))
    assert len(weeks) == 13 and weeks[0].week_start == dt.date(2026, 1, 20)
    # the 13 weeks hold the open MXN total but what is expected later
    # (X-1 500.00, moroso-12 and tarde-10 1,000.00 each)
    assert sum(w.expected for w in weeks) <= D("2500.00")
    html = login(owner_a).get("/?date=2026-01-20&currency=MXN").content.decode()
    assert 'id="expected"' in html
    assert html.count('data-week="') == 4  # the next four weeks
    assert 'data-week="2026-01-20"' in html and "Pronóstico calculado el 20/01/2026." in html
    # an agent restricted to assigned customers does not see the organisation's figure
    org_a.agents_see_only_assigned = True
    org_a.save(update_fields=["agents_see_only_assigned"])
    agent_html = login(agent_a).get("/?date=2026-01-20&currency=MXN").content.decode()
    assert 'id="expected"' not in agent_html
