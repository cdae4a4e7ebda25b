"""Reminders name each invoice's purchase order (the buyer's accounts-payable team looks
invoices up by it)."""

import datetime as dt
from decimal import Decimal

from cartera.invoices.models import Invoice
from cartera.outreach.defaults import default_template
from cartera.outreach.rendering import build_context, invoice_rows, render


def _render(rows, language):
    template = default_template("aviso-vencido", language)
    context = build_context(
        organization={"name": "Norte"},
        customer={"name": "La Tuerca"},
        contact={"name": "Lucía"},
        invoices=rows,
        statement=rows,
        agent=None,
        as_of=dt.date(2026, 10, 11),
        language=language,
    )
    return render(
        subject=template["subject"],
        body_text=template["body_text"],
        body_html=template["body_html"],
        context=context,
    )


def test_invoice_rows_carry_the_purchase_order(invoice_a):
    Invoice.objects.filter(pk=invoice_a.pk).update(purchase_order="OC-4500")
    rows = invoice_rows(Invoice.objects.filter(pk=invoice_a.pk))
    assert rows[0]["purchase_order"] == "OC-4500"
    _subject, text, html = _render(rows, "es-mx")
    assert "- Factura A-100 (orden de compra OC-4500) · vence 01/10/2026" in text
    assert "<small>OC OC-4500</small>" in html
    _subject, text, html = _render(rows, "en")
    assert "- Invoice A-100 (purchase order OC-4500) · due 10/01/2026" in text
    assert "<small>PO OC-4500</small>" in html


def test_no_purchase_order_no_mention(invoice_a):
    rows = invoice_rows(Invoice.objects.filter(pk=invoice_a.pk))
    _subject, text, html = _render(rows, "es-mx")
    assert "- Factura A-100 · vence 01/10/2026" in text
    assert "orden de compra" not in text and "<small>OC" not in html
    assert rows[0]["balance"] == Decimal("11600.00")
