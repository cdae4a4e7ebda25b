"""The dashboard's receivable totals split into principal, interest and fees (the total
itself is unchanged: every open row, whatever it is)."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from cartera.agreements.charges import accrue_interest, charge_collection_fee
from cartera.agreements.models import AgreementSettings
from cartera.reports.selectors import receivables_by_currency

DAY_10 = dt.date(2026, 10, 11)
AS_OF = dt.date(2026, 10, 20)


def charged(invoice):
    """invoice_a (11,600.00 due 2026-10-01) with 10 days of legal interest
    (11,600.00 × 0.06 × 10 / 365 = 19.068… → 19.07) and a 250.00 collection fee."""
    AgreementSettings.objects.create(organization=invoice.organization, accrue_late_interest=True)
    accrue_interest(organization=invoice.organization, day=DAY_10)
    charge_collection_fee(invoice=invoice, stage="soft", amount=Decimal("250.00"), today=DAY_10)
    return invoice


def test_the_totals_split_principal_interest_and_fees(invoice_a, owner_a):
    charged(invoice_a)
    [row] = receivables_by_currency(owner_a.memberships.get(), as_of=AS_OF)
    assert (row["total"], row["count"], row["overdue"]) == (
        Decimal("11869.07"),
        3,
        Decimal("11869.07"),
    )
    assert (row["principal"], row["interest"], row["fee"]) == (
        Decimal("11600.00"),
        Decimal("19.07"),
        Decimal("250.00"),
    )


def test_the_dashboard_shows_the_split_only_when_there_are_charges(
    client, login, invoice_a, owner_a, settings
):
    page = login(owner_a).get(
        reverse("reports:home"), {"dashboard": "1", "date": AS_OF.isoformat()}
    )
    assert 'data-kpi="parts-MXN"' not in page.content.decode()
    charged(invoice_a)
    html = client.get(
        reverse("reports:home"), {"dashboard": "1", "date": AS_OF.isoformat()}
    ).content
    assert (
        'data-kpi="parts-MXN">Capital 11,600.00\xa0MXN · intereses 19.07\xa0MXN · '
        "gastos 250.00\xa0MXN<"
    ) in html.decode()
