"""Factored (ceded) invoices in the portal: owed to the factor, never payable here; shown
as payable to the factor or hidden, per the organisation's setting (invoices.factoring)."""

import datetime as dt
from decimal import Decimal

import pytest

from cartera.invoices import factoring
from cartera.invoices.choices import FactoredDisplay
from cartera.invoices.models import Invoice
from cartera.invoices.services import create_invoice
from cartera.payments.models import Payment
from cartera.portal.selectors import statement
from cartera.timeline.models import Activity

TODAY = dt.date(2026, 10, 20)


@pytest.fixture
def factored_a(debtor_a):
    return create_invoice(
        customer=debtor_a,
        actor=None,
        external_id="F-200",
        number="A-200",
        issue_date=dt.date(2026, 9, 5),
        due_date=dt.date(2026, 10, 5),
        currency="MXN",
        total=Decimal("7000.00"),
        is_factored=True,
        factor_name="Factoraje Norte SA",
    )


def test_statement_lists_factored_invoices_apart_and_outside_the_totals(
    debtor_a, invoice_a, factored_a
):
    data = statement(debtor_a, today=TODAY)
    assert [r["invoice"].number for r in data["rows"]] == ["A-100"]
    assert [t["total"] for t in data["totals"]] == [Decimal("11600.00")]
    assert [(r["invoice"].number, r["factor"]) for r in data["factored"]] == [
        ("A-200", "Factoraje Norte SA")
    ]


def test_hidden_factored_invoices_are_not_shown_at_all(debtor_a, invoice_a, factored_a, org_a):
    factoring.set_factored_display(organization=org_a, display=FactoredDisplay.HIDDEN)
    data = statement(debtor_a, today=TODAY)
    assert [r["invoice"].number for r in data["rows"]] == ["A-100"]
    assert data["factored"] == []


def test_portal_page_shows_the_factor_and_offers_no_payment(
    portal_client, debtor_a, invoice_a, factored_a
):
    client = portal_client(debtor_a)
    body = client.get("/p/").content.decode()
    assert "Pagadera a Factoraje Norte SA" in body
    assert f'value="{factored_a.pk}"' not in body  # no checkbox to pay, report or promise
    assert "11,600.00" in body


def test_a_factored_invoice_cannot_be_reported_as_paid(
    portal_client, debtor_a, invoice_a, factored_a
):
    client = portal_client(debtor_a)
    response = client.post(
        "/p/pago/",
        {"invoices": [factored_a.pk], "date": "2026-10-19", "method": "transfer", "amount": "7000"},
    )
    assert response.status_code == 200  # the form again: no invoice it may pay was chosen
    assert not Payment.objects.exists()
    page = client.get(f"/p/pago/?invoice={factored_a.pk}").content.decode()
    assert f'value="{factored_a.pk}"' not in page


def test_hidden_factored_invoices_cannot_be_disputed(portal_client, debtor_a, factored_a, org_a):
    client = portal_client(debtor_a)
    assert client.get(f"/p/facturas/{factored_a.pk}/aclaracion/").status_code == 200
    factoring.set_factored_display(organization=org_a, display=FactoredDisplay.HIDDEN)
    assert client.get(f"/p/facturas/{factored_a.pk}/aclaracion/").status_code == 404
    assert "A-200" not in client.get("/p/").content.decode()


def test_owner_chooses_the_rule_on_the_portal_settings_page(login, owner_a, org_a):
    client = login(owner_a)
    page = client.get("/review/settings/").content.decode()
    assert 'name="factored_invoices"' in page
    response = client.post(
        "/review/settings/",
        {"max_promise_days": "30", "factored_invoices": FactoredDisplay.HIDDEN},
    )
    assert response.status_code == 302
    assert factoring.factored_display(org_a) == FactoredDisplay.HIDDEN
    assert Activity.objects.get(kind="config_changed").data["changed"] == ["factored_invoices"]


def test_the_rule_defaults_to_payable_to_the_factor(org_a):
    assert factoring.factored_display(org_a) == FactoredDisplay.PAYABLE_TO_FACTOR
    assert not Invoice.objects.exists()
