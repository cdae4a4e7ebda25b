"""Reports show principal, interest and collection fees apart (issue #17)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from cartera.agreements.charges import accrue_interest, charge_collection_fee
from cartera.agreements.models import AgreementSettings
from cartera.portal.selectors import statement
from cartera.reports.aging import aging
from cartera.reports.tables import customer_statement_table, statement_split

DAY = dt.date(2026, 10, 11)  # day 10 of invoice_a (11,600.00 MXN due 2026-10-01)


@pytest.fixture
def charged(org_a, invoice_a):
    """invoice_a with a 250.00 fee (stage soft, 2026-10-07) and 10 days of legal interest:
    11,600.00 × 0.06 × 10 / 365 = 19.068… → 19.07."""
    AgreementSettings.objects.create(organization=org_a, accrue_late_interest=True)
    charge_collection_fee(
        invoice=invoice_a, stage="soft", amount=Decimal("250"), today=dt.date(2026, 10, 7)
    )
    accrue_interest(organization=org_a, day=DAY)
    return invoice_a


def test_aging_splits_principal_interest_and_fees(org_a, charged):
    report = aging(organization=org_a, as_of=DAY)
    assert report.part_totals() == {
        "MXN": {
            "principal": Decimal("11600.00"),
            "interest": Decimal("19.07"),
            "fee": Decimal("250.00"),
        }
    }
    assert report.totals()["MXN"]["total"] == Decimal("11869.07")
    by_customer = aging(organization=org_a, as_of=DAY, group="customer")
    assert by_customer.rows[0].parts == {
        "principal": Decimal("11600.00"),
        "interest": Decimal("19.07"),
        "fee": Decimal("250.00"),
    }


def test_aging_page_shows_the_split(login, owner_a, charged):
    html = login(owner_a).get(reverse("report_pages:aging") + "?as_of=2026-10-11").content
    html = html.decode()
    assert 'data-principal="MXN">11,600.00\xa0MXN<' in html
    assert 'data-interest="MXN">19.07\xa0MXN<' in html
    assert 'data-fee="MXN">250.00\xa0MXN<' in html


def test_customer_statement_names_each_part(owner_a, login, debtor_a, charged):
    table = customer_statement_table(debtor_a, as_of=DAY)
    assert [(r["number"], r["part"], r["open"]) for r in table.rows] == [
        ("A-100", "principal", Decimal("11600.00")),
        ("A-100-GC-soft", "fee", Decimal("250.00")),
        ("A-100-INT", "interest", Decimal("19.07")),
    ]
    assert statement_split(table.rows) == {
        "MXN": {
            "principal": Decimal("11600.00"),
            "interest": Decimal("19.07"),
            "fee": Decimal("250.00"),
        }
    }
    url = reverse("report_pages:customer", args=[debtor_a.pk]) + "?as_of=2026-10-11"
    html = login(owner_a).get(url).content.decode()
    assert 'data-part="fee">Gastos de cobranza<' in html
    assert "<span data-interest>19.07\xa0MXN</span>" in html


def test_portal_statement_totals_apart(debtor_a, charged):
    data = statement(debtor_a, today=DAY)
    (total,) = data["totals"]
    assert (total["total"], total["principal"], total["interest"], total["fee"]) == (
        Decimal("11869.07"),
        Decimal("11600.00"),
        Decimal("19.07"),
        Decimal("250.00"),
    )
    assert [str(r["part"]) for r in data["rows"]] == ["principal", "fee", "interest"]
