"""Amounts on the report pages are formatted like money everywhere else, and counts
agree with their nouns (ngettext)."""

import datetime as dt
from decimal import Decimal

from django.template import Context, Template

from cartera.invoices.services import create_invoice
from cartera.payments.services import allocate_oldest_first, record_payment


def test_behaviour_page_formats_overdue_amounts(login, owner_a, debtor_a):
    create_invoice(
        customer=debtor_a,
        actor=None,
        external_id="B-1",
        number="B-1",
        issue_date=dt.date(2026, 1, 1),
        due_date=dt.date(2026, 1, 31),
        currency="MXN",
        total=Decimal("6540.32"),
    )
    html = login(owner_a).get("/reports/customers/?as_of=2026-03-31").content.decode()
    assert "6,540.32\xa0MXN" in html
    assert "6540.32 MXN" not in html


def test_amounts_filter_formats_each_currency():
    template = Template("{% load cartera_tags %}{{ value|amounts }}")
    value = {"USD": Decimal("50"), "MXN": Decimal("1200.5")}
    assert template.render(Context({"value": value})) == "1,200.50\xa0MXN · 50.00\xa0USD"
    assert template.render(Context({"value": {}})) == "—"


def test_invoice_story_says_one_day_late(login, owner_a, debtor_a):
    invoice = create_invoice(
        customer=debtor_a,
        actor=None,
        external_id="L-1",
        number="L-1",
        issue_date=dt.date(2026, 1, 1),
        due_date=dt.date(2026, 1, 31),
        currency="MXN",
        total=Decimal("100.00"),
    )
    payment = record_payment(
        customer=debtor_a,
        actor=None,
        date=dt.date(2026, 2, 1),
        amount=Decimal("100.00"),
        currency="MXN",
    )
    allocate_oldest_first(payment=payment, actor=None)
    html = login(owner_a).get(f"/reports/invoices/{invoice.pk}/").content.decode()
    assert "1 día de atraso" in html and "1 días" not in html
