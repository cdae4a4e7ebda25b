"""Recurring invoices: issued once on their day (a second run issues nothing), the next
date moves by months (clamped to short months), a refusal is kept and nothing else moves."""

import datetime as dt
from decimal import Decimal

import pytest

from cartera.fiscal.drafts import save_draft
from cartera.fiscal.invoicing import stamp_cfdi
from cartera.fiscal.models import CfdiStatus, IssuedCfdi, RecurringInvoice
from cartera.fiscal.recurring import issue_due_recurring, make_recurring, months_later
from cartera.invoices.models import Invoice

from .test_invoicing import HEADER, LINE

NOW = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("day", "months", "dom", "expected"),
    [
        (dt.date(2026, 1, 31), 1, 31, dt.date(2026, 2, 28)),
        (dt.date(2026, 2, 28), 1, 31, dt.date(2026, 3, 31)),
        (dt.date(2026, 11, 15), 2, 15, dt.date(2027, 1, 15)),
        (dt.date(2028, 1, 30), 1, 30, dt.date(2028, 2, 29)),
    ],
)
def test_months_later(day, months, dom, expected):
    assert months_later(day, months, dom) == expected


@pytest.fixture
def recurrence(customer, pac_running):
    first = stamp_cfdi(
        cfdi=save_draft(customer=customer, actor=None, lines=[LINE], **HEADER), actor=None, now=NOW
    )
    return make_recurring(cfdi=first, actor=None, start=dt.date(2026, 12, 31), due_days=15)


def test_a_recurring_invoice_is_issued_once_on_its_day(recurrence, customer):
    assert recurrence.template.status == CfdiStatus.TEMPLATE
    org = customer.organization
    early = issue_due_recurring(organization=org, today=dt.date(2026, 12, 30), now=NOW)
    assert (early, Invoice.objects.count()) == ({"issued": 0, "failed": 0}, 1)
    day = dt.date(2026, 12, 31)
    assert issue_due_recurring(organization=org, today=day, now=NOW) == {"issued": 1, "failed": 0}
    assert issue_due_recurring(organization=org, today=day, now=NOW) == {"issued": 0, "failed": 0}
    recurrence.refresh_from_db()
    newest = Invoice.objects.order_by("-id").first()
    assert (Invoice.objects.count(), newest.total, newest.due_date) == (
        2,
        Decimal("11600.00"),
        dt.date(2027, 1, 15),
    )
    assert (recurrence.next_date, recurrence.last_issued.invoice_id) == (
        dt.date(2027, 1, 31),
        newest.pk,
    )


def test_a_refused_stamp_is_kept_on_the_recurrence(recurrence, customer):
    customer.tax_regime = ""
    customer.save()
    result = issue_due_recurring(
        organization=customer.organization, today=dt.date(2026, 12, 31), now=NOW
    )
    recurrence.refresh_from_db()
    assert result == {"issued": 0, "failed": 1}
    assert recurrence.last_error.startswith("Al cliente Ferretería La Tuerca le falta")
    assert (recurrence.next_date, Invoice.objects.count()) == (dt.date(2027, 1, 31), 1)
    assert IssuedCfdi.objects.filter(status=CfdiStatus.DRAFT).count() == 1
    assert RecurringInvoice.objects.count() == 1
