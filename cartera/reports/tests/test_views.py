import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from cartera.followup.calls import log_call
from cartera.invoices.services import create_invoice
from cartera.payments.services import allocate_payment, record_payment
from cartera.reports.selectors import receivables_by_currency, top_debtors

AS_OF = dt.date(2026, 11, 15)


def _invoice(customer, number, due, total, currency="MXN"):
    return create_invoice(
        customer=customer,
        actor=None,
        number=number,
        issue_date=due - dt.timedelta(days=30),
        due_date=due,
        currency=currency,
        total=Decimal(total),
    )


@pytest.fixture
def aged(debtor_a):
    _invoice(debtor_a, "C-1", AS_OF, "100.00")  # due today: current
    _invoice(debtor_a, "C-2", AS_OF - dt.timedelta(days=1), "200.00")  # 1 day
    _invoice(debtor_a, "C-3", AS_OF - dt.timedelta(days=30), "300.00")  # 30 days
    _invoice(debtor_a, "C-4", AS_OF - dt.timedelta(days=31), "400.00")  # 31
    _invoice(debtor_a, "C-5", AS_OF - dt.timedelta(days=90), "500.00")  # 90
    _invoice(debtor_a, "C-6", AS_OF - dt.timedelta(days=91), "600.00")  # 91
    _invoice(debtor_a, "U-1", AS_OF + dt.timedelta(days=5), "50.00", "USD")
    return debtor_a


def test_aging_buckets_per_currency(aged, owner_a):
    membership = owner_a.memberships.get()
    rows = receivables_by_currency(membership, as_of=AS_OF)
    assert rows == [
        {
            "currency": "MXN",
            "total": Decimal("2100.00"),
            "overdue": Decimal("2000.00"),
            "count": 6,
            "current": Decimal("100.00"),
            "d1_30": Decimal("500.00"),
            "d31_60": Decimal("400.00"),
            "d61_90": Decimal("500.00"),
            "d90_plus": Decimal("600.00"),
            "principal": Decimal("2100.00"),
            "interest": Decimal("0"),
            "fee": Decimal("0"),
        },
        {
            "currency": "USD",
            "total": Decimal("50.00"),
            "overdue": Decimal("0"),
            "count": 1,
            "current": Decimal("50.00"),
            "d1_30": Decimal("0"),
            "d31_60": Decimal("0"),
            "d61_90": Decimal("0"),
            "d90_plus": Decimal("0"),
            "principal": Decimal("50.00"),
            "interest": Decimal("0"),
            "fee": Decimal("0"),
        },
    ]


def test_top_debtors_respects_agent_restriction(aged, org_a, agent2_a):
    org_a.agents_see_only_assigned = True
    org_a.save()
    membership = agent2_a.memberships.get()
    assert top_debtors(membership, as_of=AS_OF) == []
    assert receivables_by_currency(membership, as_of=AS_OF) == []


def test_home_shows_totals(aged, login, owner_a, django_assert_num_queries):
    client = login(owner_a)
    # Exactly 18: session, user, membership (3); one query per figure: receivables by
    # currency, my open tasks, collected, the monthly target, top debtors and their names,
    # promises, the stored forecast weeks, agents today, task alerts, pending payment
    # complements (11); the
    # organisation switcher's memberships (1); the first request after login stores the
    # current organisation in the session: savepoint, update, release (3).
    with django_assert_num_queries(19):  # + the onboarding check (a new org lands there)
        response = client.get(reverse("reports:home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-kpi="total-USD">50.00\xa0USD<' in body
    assert "Ferretería La Tuerca" in body


def test_home_empty_state(login, owner_a):
    response = login(owner_a).get(reverse("reports:home"))
    assert response.status_code == 200
    assert "Aún no hay facturas." in response.content.decode()


def test_home_requires_login(client, org_a):
    response = client.get(reverse("reports:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_dashboard_figures_and_htmx_partial(aged, login, owner_a, agent_a, org_a):
    invoice = aged.invoices.get(number="C-2")
    payment = record_payment(
        customer=aged, actor=None, date=AS_OF, amount=Decimal("150.00"), currency="MXN"
    )
    allocate_payment(payment=payment, invoice=invoice, amount=Decimal("150.00"), actor=None)
    log_call(customer=aged, actor=agent_a, outcome="no_answer", today=AS_OF)
    client = login(owner_a)
    url = reverse("reports:home") + f"?currency=MXN&date={AS_OF.isoformat()}"
    body = client.get(url).content.decode()
    assert 'data-kpi="collected-today">150.00\xa0MXN<' in body
    assert 'data-kpi="collected-month">150.00\xa0MXN<' in body
    assert 'id="aging-chart"' in body and "<script>" not in body
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'data-kpi="collected-week">150.00\xa0MXN<' in partial
