"""The bulk writers (``cartera.invoices.bulk``, used by the importers) and the single-row
services agree: same inputs, same stored invoice; same changes, same balance and status,
same refusals."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from cartera.invoices.bulk import create_invoices, insert_invoices, update_invoices
from cartera.invoices.models import Invoice
from cartera.invoices.services import create_invoice, due_after_terms, update_invoice, void_invoice
from cartera.lib.bulk import roomy_page_cache
from cartera.payments.services import allocate_payment, record_payment

D = Decimal
STORED = ("total", "balance", "status", "due_date", "currency", "external_id", "fiscal_uuid")
UUID = "6d7434a6-e3f2-47ad-9e4c-08849946afa0"


def _stored(invoice: Invoice) -> tuple:
    invoice.refresh_from_db()
    return tuple(getattr(invoice, name) for name in STORED)


def _as_stored(invoice: Invoice) -> tuple:
    """What must agree, with the keys reduced to "defaulted/normalised as expected"."""
    values = _stored(invoice)
    return (*values[:5], invoice.external_id == invoice.number, invoice.fiscal_uuid)


@pytest.mark.parametrize(
    ("total", "currency", "uuid_tail"),
    [("116.005", "MXN", "a0"), ("0", "MXN", ""), ("1500.4", "CLP", "")],
)
def test_single_row_and_both_bulk_paths_store_the_same_invoice(
    debtor_a, org_a, total, currency, uuid_tail
):
    issue = dt.date(2026, 1, 10)
    due = due_after_terms(issue, debtor_a.payment_terms_days, org_a.default_payment_terms_days)

    def uuid(n):  # lower case in, upper case stored; one per path (they must be unique)
        return f"{UUID[:-3]}{n}{uuid_tail}"[-36:] if uuid_tail else ""

    single = create_invoice(
        customer=debtor_a,
        actor=None,
        number="S-1",
        fiscal_uuid=uuid(1),
        issue_date=issue,
        currency=currency,
        total=D(total),
    )

    def row(n):
        return {
            "customer_id": debtor_a.pk,
            "number": f"S-{n}",
            "fiscal_uuid": uuid(n),
            "issue_date": issue,
            "due_date": due,
            "currency": currency,
            "total": D(total),
        }

    insert_invoices(organization=org_a, rows=[row(2)])
    inserted = Invoice.objects.get(external_id="S-2")
    (created,) = create_invoices(organization=org_a, rows=[row(3)])
    expected = {
        "116.005": (D("116.01"), D("116.01"), "open"),
        "0": (D("0.00"), D("0.00"), "paid"),
        "1500.4": (D("1500"), D("1500"), "open"),
    }[total]
    assert _as_stored(single)[:3] == expected
    for n, invoice in ((2, inserted), (3, created)):
        assert _as_stored(invoice)[:-1] == _as_stored(single)[:-1]
        assert invoice.fiscal_uuid == uuid(n).upper()
    assert single.fiscal_uuid == uuid(1).upper()


def _with_applied(invoice, amount):
    payment = record_payment(
        customer=invoice.customer,
        actor=None,
        date=dt.date(2026, 9, 5),
        amount=D(amount),
        currency=invoice.currency,
    )
    allocate_payment(payment=payment, invoice=invoice, amount=D(amount), actor=None)
    invoice.refresh_from_db()
    return invoice


def _bulk_change(invoice, **values):
    change = {
        "customer_id": invoice.customer_id,
        "number": invoice.number,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "currency": invoice.currency,
        "total": invoice.total,
        "fiscal_uuid": invoice.fiscal_uuid,
        "payment_method": invoice.payment_method,
    } | values
    applied = invoice.total - invoice.balance
    update_invoices(
        organization=invoice.organization,
        changes=[
            {
                "pk": invoice.pk,
                "status": invoice.status,
                "currency": invoice.currency,
                "values": change,
                "applied": applied,
            }
        ],
        fields=list(change),
    )


@pytest.mark.parametrize(
    ("new_total", "balance", "status"),
    [("12000.004", D("11400.00"), "open"), ("600", D("0.00"), "paid")],
)
def test_a_new_total_gives_the_same_balance_and_status_both_ways(
    invoice_a, new_total, balance, status
):
    _with_applied(invoice_a, "600.00")
    before = _stored(invoice_a)
    update_invoice(invoice=invoice_a, actor=None, total=D(new_total))
    single = _stored(invoice_a)
    assert single[1:3] == (balance, status)
    Invoice.objects.filter(pk=invoice_a.pk).update(
        total=before[0], balance=before[1], status=before[2]
    )
    invoice_a.refresh_from_db()
    _bulk_change(invoice_a, total=D(new_total))
    assert _stored(invoice_a) == single


def test_both_ways_refuse_a_total_below_what_is_applied(invoice_a):
    _with_applied(invoice_a, "600.00")
    before = _stored(invoice_a)
    with pytest.raises(ValidationError):
        update_invoice(invoice=invoice_a, actor=None, total=D("599.99"))
    with pytest.raises(ValidationError):
        _bulk_change(invoice_a, total=D("599.99"))
    assert _stored(invoice_a) == before


def test_both_ways_refuse_a_new_currency_once_money_is_applied(invoice_a):
    _with_applied(invoice_a, "600.00")
    before = _stored(invoice_a)
    with pytest.raises(ValidationError):
        update_invoice(invoice=invoice_a, actor=None, currency="USD")
    with pytest.raises(ValidationError):
        _bulk_change(invoice_a, currency="USD")
    assert _stored(invoice_a) == before


def test_both_ways_refuse_to_change_a_void_invoice(invoice_a):
    void_invoice(invoice=invoice_a, actor=None, reason="Error de captura")
    before = _stored(invoice_a)
    with pytest.raises(ValidationError):
        update_invoice(invoice=invoice_a, actor=None, total=D("100"))
    with pytest.raises(ValidationError):
        _bulk_change(invoice_a, total=D("100"))
    assert _stored(invoice_a) == before


def _stored_row(invoice: Invoice) -> dict:
    skip = {"id", "external_id", "number", "created_at", "updated_at"}
    return {
        field.attname: getattr(invoice, field.attname)
        for field in Invoice._meta.concrete_fields
        if field.attname not in skip
    }


def test_rows_with_the_same_keys_and_with_different_keys_store_the_same(debtor_a, org_a):
    """``lib.bulk.insert_dicts`` reads a chunk whose rows share their keys column by column
    (and reorders the columns); a mixed chunk goes row by row. Both store the same."""

    def row(n, **extra):
        return {
            "customer_id": debtor_a.pk,
            "external_id": f"K-{n}",
            "number": f"K-{n}",
            "issue_date": dt.date(2026, 1, 10),
            "due_date": dt.date(2026, 2, 9),
            "currency": "MXN",
            "total": D("116.01"),
            **extra,
        }

    insert_invoices(organization=org_a, rows=[row(1), row(2)])  # same keys
    insert_invoices(organization=org_a, rows=[row(3), row(4, payment_method="PUE")])  # mixed
    insert_invoices(organization=org_a, rows=[row(5, payment_method="PUE")])
    stored = {
        i.external_id: _stored_row(i) for i in Invoice.objects.filter(number__startswith="K-")
    }
    assert stored["K-1"] == stored["K-2"] == stored["K-3"]
    assert stored["K-4"] == stored["K-5"]
    assert stored["K-4"]["payment_method"] == "PUE"
    assert stored["K-1"] == {**stored["K-4"], "payment_method": stored["K-1"]["payment_method"]}


def _page_cache() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a SQLite setting")
@pytest.mark.django_db
def test_a_bulk_run_has_a_roomy_page_cache_and_gives_it_back():
    before = _page_cache()
    with roomy_page_cache(mib=8):
        assert _page_cache() == -8 * 1024
    assert _page_cache() == before
