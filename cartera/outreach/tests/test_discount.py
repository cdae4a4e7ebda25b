"""The prompt-payment discount on offer appears in reminder e-mails (``discount``)."""

import datetime as dt
from decimal import Decimal

from cartera.agreements.negotiation import make_offer
from cartera.invoices.models import Invoice
from cartera.outreach.rendering import MessageRenderer, invoice_rows, sample_context
from cartera.outreach.variables import VARIABLE_GROUPS

TODAY = dt.date(2026, 10, 7)


def _render(org, invoice, *, as_of, language=""):
    rows = invoice_rows(Invoice.objects.filter(pk=invoice.pk))
    return MessageRenderer(organization=org).render(
        template_key="aviso-vencido",
        stage="soft",
        channel="email",
        customer={"id": invoice.customer_id, "name": "Ferretería", "language": language},
        contact_email="lucia@latuerca.mx",
        invoices=rows,
        statement=rows,
        agent=None,
        as_of=as_of,
    )


def test_an_offered_discount_is_in_the_reminder(org_a, owner_a, invoice_a):
    make_offer(
        invoice=invoice_a,
        kind="prompt",
        actor=owner_a,
        today=TODAY,
        percent=Decimal("5"),
        expires_on=dt.date(2026, 10, 20),
    )
    text = _render(org_a, invoice_a, as_of=TODAY)["body_text"]
    # 5 % of 11,600.00 = 580.00 saved; 11,020.00 to pay.
    assert (
        "Pague 11,020.00\xa0MXN de la factura A-100 a más tardar el 20 de octubre de 2026 y ahorre 580.00\xa0MXN."
        in text
    )
    english = _render(org_a, invoice_a, as_of=TODAY, language="en")["body_text"]
    assert (
        "Pay 11,020.00\xa0MXN for invoice A-100 by October 20, 2026 and save 580.00\xa0MXN."
        in english
    )


def test_no_offer_or_an_expired_one_says_nothing(org_a, owner_a, invoice_a):
    assert "ahorre" not in _render(org_a, invoice_a, as_of=TODAY)["body_text"]
    make_offer(
        invoice=invoice_a,
        kind="prompt",
        actor=owner_a,
        today=TODAY,
        percent=Decimal("5"),
        expires_on=dt.date(2026, 10, 20),
    )
    assert "ahorre" not in _render(org_a, invoice_a, as_of=dt.date(2026, 10, 21))["body_text"]


def test_an_offer_awaiting_approval_is_not_shown(org_a, agent_a, invoice_a):
    offer = make_offer(
        invoice=invoice_a,
        kind="prompt",
        actor=agent_a,
        today=TODAY,
        percent=Decimal("15"),  # above the agent's 5 %
        expires_on=dt.date(2026, 10, 20),
    )
    assert offer.status == "awaiting"
    assert "ahorre" not in _render(org_a, invoice_a, as_of=TODAY)["body_text"]


def test_the_variable_is_documented_and_in_the_sample():
    listed = [snippet for _group, items in VARIABLE_GROUPS for snippet, _doc in items]
    assert [s for s in listed if "discount." in s] == [
        "{{ discount.amount }}",
        "{{ discount.pay_amount }}",
        "{{ discount.percent }}",
        "{{ discount.expires_on }}",
        "{{ discount.invoice }}",
    ]
    assert sample_context()["discount"] == {
        "invoice": "A-100",
        "amount": "580.00\xa0MXN",
        "pay_amount": "11,020.00\xa0MXN",
        "percent": "5",
        "expires_on": "10/02/2026",
    }
