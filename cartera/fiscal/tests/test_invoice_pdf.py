"""The printed invoice: the fields the SAT asks of a CFDI's printed representation, from
the stamped XML, and the amount in Spanish words."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from cartera.fiscal.drafts import save_draft
from cartera.fiscal.invoice_pdf import amount_in_words, invoice_context
from cartera.fiscal.invoicing import stamp_cfdi

from .test_invoicing import HEADER, LINE

NOW = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("amount", "currency", "words"),
    [
        ("1", "MXN", "UN PESO 00/100 M.N."),
        ("21.05", "MXN", "VEINTIÚN PESOS 05/100 M.N."),
        ("101", "MXN", "CIENTO UN PESOS 00/100 M.N."),
        ("1000", "MXN", "MIL PESOS 00/100 M.N."),
        ("11600.00", "MXN", "ONCE MIL SEISCIENTOS PESOS 00/100 M.N."),
        ("21345.67", "MXN", "VEINTIÚN MIL TRESCIENTOS CUARENTA Y CINCO PESOS 67/100 M.N."),
        ("1000000", "MXN", "UN MILLÓN DE PESOS 00/100 M.N."),
        ("1000100", "MXN", "UN MILLÓN CIEN PESOS 00/100 M.N."),
        ("1.005", "USD", "UN DÓLAR 01/100 USD"),
        ("2500000.50", "USD", "DOS MILLONES QUINIENTOS MIL DÓLARES 50/100 USD"),
    ],
)
def test_amount_in_words(amount, currency, words):
    assert amount_in_words(Decimal(amount), currency) == words


def test_the_printed_invoice_carries_the_required_fields(customer, pac_running):
    cfdi = stamp_cfdi(
        cfdi=save_draft(customer=customer, actor=None, lines=[LINE], **HEADER), actor=None, now=NOW
    )
    context = invoice_context(cfdi)
    html = render_to_string("fiscal/invoice_pdf.html", context)
    for text in (
        "Factura F1",
        cfdi.fiscal_uuid,
        "RFC DNO990101AB1",
        "RFC FTU010203AB4",
        "601 General de Ley Personas Morales",
        "G03 Gastos en general",
        "PPD Pago en parcialidades o diferido",
        "99 Por definir",
        "72101500",
        "Mantenimiento mensual",
        "11600.00",
        "ONCE MIL SEISCIENTOS PESOS 00/100 M.N.",
        context["cadena_tfd"],
        "data:image/png;base64,",
        "https://verificacfdi.facturaelectronica.sat.gob.mx/",
    ):
        assert text in html, text
    assert context["cadena_tfd"].startswith(f"||1.1|{cfdi.fiscal_uuid}|")
