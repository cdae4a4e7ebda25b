"""Every collection message and statement says how to pay: the customer's 12-digit
reference, the virtual CLABE and the organisation's bank accounts (the same values the
portal shows)."""

import datetime as dt

import pytest
from django.test import Client

from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.outreach.defaults import all_defaults
from cartera.outreach.models import Message
from cartera.outreach.rendering import MessageRenderer, invoice_rows
from cartera.payments.instructions import payment_instructions, payment_reference
from cartera.portal.access import issue_token
from cartera.portal.models import PortalSettings

ACCOUNT = "BBVA · Distribuidora Norte · CLABE 012180001234567895"


@pytest.fixture
def bank_settings(org_a):
    return PortalSettings.objects.create(
        organization=org_a, bank_accounts=ACCOUNT, clabe_prefix="646180"
    )


def _expected(debtor, language="es-mx"):
    reference = payment_reference(organization_id=debtor.organization_id, customer_id=debtor.pk)
    clabe = payment_instructions(
        organization_id=debtor.organization_id,
        customer_id=debtor.pk,
        bank_accounts=ACCOUNT,
        clabe_prefix="646180",
    ).clabe
    if language == "en":
        return [
            "How to pay:",
            f"Your payment reference: {reference}",
            f"Your CLABE for transfers: {clabe}",
            ACCOUNT,
        ]
    return [
        "Cómo pagar:",
        f"Su referencia de pago: {reference}",
        f"Su CLABE para transferencias: {clabe}",
        ACCOUNT,
    ]


def _block(text, first):
    lines = text.splitlines()
    start = lines.index(first)
    return lines[start : start + 4]


def test_planned_message_says_how_to_pay(bank_settings, invoice_a):
    load_builtin_strategies(organization=invoice_a.organization)
    run_planner(organization=invoice_a.organization, as_of=dt.date(2026, 10, 7), dry_run=False)
    message = Message.objects.get()
    expected = _expected(invoice_a.customer)
    assert _block(message.body_text, "Cómo pagar:") == expected
    for line in expected[1:]:
        assert line in message.body_html


def test_english_message_says_how_to_pay(bank_settings, invoice_a):
    customer = invoice_a.customer
    customer.language = "en"
    customer.save()
    load_builtin_strategies(organization=invoice_a.organization)
    run_planner(organization=invoice_a.organization, as_of=dt.date(2026, 10, 7), dry_run=False)
    message = Message.objects.get()
    assert _block(message.body_text, "How to pay:") == _expected(customer, "en")


@pytest.mark.parametrize(
    "template", list(all_defaults()), ids=lambda t: f"{t['key']}-{t['language']}"
)
def test_every_default_template_says_how_to_pay(bank_settings, invoice_a, template):
    customer = invoice_a.customer
    rows = invoice_rows(customer.invoices.all())
    language = template["language"]
    content = MessageRenderer(organization=customer.organization).render(
        template_key=template["key"],
        stage="",
        channel="email",
        customer={"id": customer.pk, "name": customer.name, "language": language},
        contact_email="lucia@latuerca.mx",
        invoices=rows,
        statement=rows,
        agent=None,
        as_of=dt.date(2026, 10, 7),
    )
    expected = _expected(customer, language)
    assert _block(content["body_text"], expected[0]) == expected
    block = f"<strong>{expected[0]}</strong><br>" + "<br>".join(expected[1:]) + "</p>"
    assert content["body_html"].count(block) == 1
    assert content["body_html"].count(expected[1]) == 1


def test_without_bank_settings_the_reference_is_still_given(invoice_a):
    customer = invoice_a.customer
    rows = invoice_rows(customer.invoices.all())
    content = MessageRenderer(organization=customer.organization).render(
        template_key="aviso-vencido",
        stage="",
        channel="email",
        customer={"id": customer.pk, "name": customer.name},
        contact_email="",
        invoices=rows,
        statement=rows,
        agent=None,
        as_of=dt.date(2026, 10, 7),
    )
    reference = payment_reference(organization_id=customer.organization_id, customer_id=customer.pk)
    lines = content["body_text"].splitlines()
    start = lines.index("Cómo pagar:")
    assert lines[start : start + 3] == ["Cómo pagar:", f"Su referencia de pago: {reference}", ""]


def test_portal_shows_the_same_instructions(bank_settings, debtor_a):
    raw = issue_token(customer=debtor_a, actor=None)
    client = Client()
    client.get(f"/p/{raw}/")
    page = client.get("/p/").content.decode()
    expected = _expected(debtor_a)
    assert expected[1].split(": ")[1] in page and expected[2].split(": ")[1] in page
    assert ACCOUNT in page
