"""The invoice import links invoices to purchase orders by number (the invoices app's
rule), and refuses an order in another currency on its row."""

import datetime as dt
from decimal import Decimal

import pytest

from cartera.imports.services import import_file
from cartera.invoices.models import Invoice
from cartera.invoices.purchase_orders import create_purchase_order, order_balance
from cartera.lib.money import Money

HEAD = "customer,number,issue_date,due_date,currency,total,orden de compra\r\n"


@pytest.fixture
def order(debtor_a, owner_a):
    return create_purchase_order(
        customer=debtor_a,
        actor=owner_a,
        number="OC-5",
        amount=Decimal("1000.00"),
        currency="MXN",
        issue_date=dt.date(2026, 9, 1),
    )


def _run(org, text, **kw):
    return import_file(
        organization=org,
        actor=None,
        kind="invoices",
        file_name="facturas.csv",
        data=text.encode(),
        **kw,
    )


def _errors(batch):
    return [(e["row"], e["column"], e["value"], e["message"]) for e in batch.as_json()["errors"]]


def test_import_fills_the_text_and_links_the_order(order, debtor_a):
    batch = _run(
        debtor_a.organization,
        HEAD
        + "CLI-001,A-1,2026-09-01,2026-10-01,MXN,600.00,oc-5\r\n"
        + "CLI-001,A-2,2026-09-01,2026-10-01,MXN,700.00,OC-5\r\n"
        + "CLI-001,A-3,2026-09-01,2026-10-01,MXN,10.00,OC-NONE\r\n",
    )
    assert _errors(batch) == []
    rows = dict(Invoice.objects.values_list("number", "purchase_order"))
    assert rows == {"A-1": "oc-5", "A-2": "OC-5", "A-3": "OC-NONE"}
    matched = dict(Invoice.objects.values_list("number", "matched_po_id"))
    assert matched == {"A-1": order.pk, "A-2": order.pk, "A-3": None}
    assert order_balance(order) == Money(Decimal("-300.00"), "MXN")


def test_reimport_with_the_column_links_existing_invoices(order, debtor_a):
    org = debtor_a.organization
    _run(
        org,
        "customer,number,issue_date,due_date,currency,total\r\n"
        "CLI-001,A-1,2026-09-01,2026-10-01,MXN,600.00\r\n",
    )
    assert Invoice.objects.get().matched_po_id is None
    batch = _run(org, HEAD + "CLI-001,A-1,2026-09-01,2026-10-01,MXN,600.00,OC-5\r\n")
    assert _errors(batch) == []
    invoice = Invoice.objects.get()
    assert (invoice.purchase_order, invoice.matched_po_id) == ("OC-5", order.pk)
    # A file without the column keeps the invoice's order.
    _run(
        org,
        "customer,number,issue_date,due_date,currency,total\r\n"
        "CLI-001,A-1,2026-09-01,2026-10-01,MXN,650.00\r\n",
    )
    invoice.refresh_from_db()
    assert (invoice.total, invoice.purchase_order, invoice.matched_po_id) == (
        Decimal("650.00"),
        "OC-5",
        order.pk,
    )


def test_currency_mismatch_is_a_row_error_and_nothing_is_written(order, debtor_a):
    batch = _run(
        debtor_a.organization,
        HEAD
        + "CLI-001,A-1,2026-09-01,2026-10-01,MXN,600.00,OC-5\r\n"
        + "CLI-001,U-1,2026-09-01,2026-10-01,USD,50.00,OC-5\r\n",
    )
    assert _errors(batch) == [
        (
            3,
            "orden de compra",
            "OC-5",
            "La orden de compra OC-5 es en MXN y la factura en USD; no se pueden vincular.",
        )
    ]
    assert not Invoice.objects.exists()
