"""How a message reads and looks (issue 12): template variables in the house styles of the
message's language, the built-in e-mail's parts (amount and due date, one portal button,
how to pay, the signature once, a clean text part), the organisation's logo carried inline
and shown by the mail viewer, and unedited built-in copies refreshed."""

import datetime as dt
import email
import email.policy
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cartera.outreach.branding import LOGO_SRC
from cartera.outreach.channels.email.files import EmlFileBackend
from cartera.outreach.channels.email.transport import EmailTransport
from cartera.outreach.defaults import all_defaults, default_template, other_defaults
from cartera.outreach.mailbox import parse_eml
from cartera.outreach.models import Message, MessageTemplate
from cartera.outreach.rendering import (
    MessageRenderer,
    build_context,
    check_template,
    invoice_rows,
    render,
    sample_context,
)
from cartera.portal.models import PortalSettings

NBSP = "\xa0"
AS_OF = dt.date(2026, 12, 10)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
ACCOUNT = "BBVA · Distribuidora Norte · CLABE 012180001234567895"


def _row(number, due, balance, currency="MXN"):
    return {
        "id": 0,
        "external_id": number,
        "number": number,
        "issue_date": dt.date(2026, 11, 3),
        "due_date": due,
        "total": Decimal(balance),
        "balance": Decimal(balance),
        "currency": currency,
    }


def _context(language, rows=None):
    rows = rows or [_row("A-1", dt.date(2026, 12, 3), "1234.5")]
    return build_context(
        organization={"name": "Norte"},
        customer={"name": "La Tuerca"},
        contact=None,
        invoices=rows,
        statement=rows,
        agent=None,
        as_of=AS_OF,
        language=language,
        discount={
            "invoice": "A-1",
            "currency": "MXN",
            "amount": Decimal("61.73"),
            "pay_amount": Decimal("1172.77"),
            "percent": Decimal("5"),
            "expires_on": dt.date(2026, 12, 3),
        },
    )


def _text(source, language, rows=None):
    return render(subject="", body_text=source, body_html="", context=_context(language, rows))[1]


SOURCE = (
    "{% for i in invoices %}{{ i.due_date }} | {{ i.due_date.long }} | {{ i.due_date.iso }}"
    " | {{ i.issue_date }} | {{ i.balance }} | {{ i.total }}{% endfor %}"
    " | {{ today }} | {{ today.long }}"
    " | {% for t in totals %}{{ t.amount }}{% endfor %}"
    " | {{ discount.expires_on }} | {{ discount.expires_on.long }} | {{ discount.pay_amount }}"
)


@pytest.mark.parametrize(
    "language, expected",
    [
        (
            "es-mx",
            f"03/12/2026 | 3 de diciembre de 2026 | 2026-12-03 | 03/11/2026 | 1,234.50{NBSP}MXN"
            f" | 1,234.50{NBSP}MXN | 10/12/2026 | 10 de diciembre de 2026 | 1,234.50{NBSP}MXN"
            f" | 03/12/2026 | 3 de diciembre de 2026 | 1,172.77{NBSP}MXN",
        ),
        (
            "en",
            f"12/03/2026 | December 3, 2026 | 2026-12-03 | 11/03/2026 | 1,234.50{NBSP}MXN"
            f" | 1,234.50{NBSP}MXN | 12/10/2026 | December 10, 2026 | 1,234.50{NBSP}MXN"
            f" | 12/03/2026 | December 3, 2026 | 1,172.77{NBSP}MXN",
        ),
    ],
)
def test_variables_render_dates_and_money_in_the_message_language(language, expected):
    assert _text(SOURCE, language) == expected


def test_money_is_the_house_style_for_every_currency():
    rows = [_row("C-1", dt.date(2026, 12, 3), "250000.4", "CLP")]
    assert _text("{% for i in invoices %}{{ i.balance }}{% endfor %}", "es-mx", rows) == (
        f"250,000{NBSP}CLP"
    )


def test_dates_still_compare_and_sort_as_dates_and_take_string_filters():
    rows = [
        _row("A-2", dt.date(2026, 2, 1), "1"),  # "01/02/2026" sorts before "31/01/2026" as text
        _row("A-1", dt.date(2026, 1, 31), "1"),
    ]
    source = (
        "{% for i in invoices|sort(attribute='due_date') %}{{ i.number }} {% endfor %}"
        "{% for i in invoices %}{{ i.due_date < today }} {% endfor %}"
        "{{ invoices[0].due_date|default('-') }} {{ today|length }} {{ today.long|upper }}"
    )
    assert _text(source, "es-mx", rows) == (
        "A-1 A-2 True True 01/02/2026 10 10 DE DICIEMBRE DE 2026"
    )


def test_the_editor_accepts_the_date_forms_and_the_logo_and_its_sample_shows_them():
    check_template(
        subject="{{ today.long }}",
        body_text="{% for i in invoices %}{{ i.due_date.iso }} {{ i.due_date.long }}{% endfor %}",
        body_html='<img src="{{ organization.logo }}" alt="">',
    )
    sample = sample_context("es-mx")
    assert (sample["today"], sample["today"].long) == ("31/01/2026", "31 de enero de 2026")
    assert sample["invoices"][0]["balance"] == f"11,600.00{NBSP}MXN"
    assert sample["organization"]["logo"] == ""
    assert sample_context("en")["today"].long == "January 31, 2026"


def test_the_editor_lists_the_new_date_and_logo_variables(login, manager_a, org_a):
    template = MessageTemplate.objects.create(
        organization=org_a,
        key="mia",
        name="Mía",
        kind="soft",
        channel="email",
        language="es-mx",
        subject="S",
        body_text="T",
    )
    body = login(manager_a).get(reverse("outreach:template_edit", args=[template.pk]))
    html = body.content.decode()
    assert "{{ today.long }}" in html and "fecha del envío (dd/mm/aaaa)" in html
    assert "{{ organization.logo }}" in html and "AAAA-MM-DD" not in html


# --- the built-in e-mail ---------------------------------------------------------------
@pytest.fixture
def bank_settings(org_a):
    return PortalSettings.objects.create(
        organization=org_a, bank_accounts=ACCOUNT, clabe_prefix="646180"
    )


def _rendered(invoice, *, agent=None, language="es-mx", key="aviso-vencido"):
    customer = invoice.customer
    rows = invoice_rows(customer.invoices.all())
    return MessageRenderer(organization=customer.organization).render(
        template_key=key,
        stage="",
        channel="email",
        customer={"id": customer.pk, "name": customer.name, "language": language},
        contact_email="lucia@latuerca.mx",
        invoices=rows,
        statement=rows,
        agent=agent,
        as_of=dt.date(2026, 10, 11),
    )


PORTAL = settings.BASE_URL + "/p/"


@pytest.mark.parametrize(
    "language, button, amount, due, signoff",
    [
        (
            "es-mx",
            "Pagar / Ver estado de cuenta",
            "11,600.00",
            "1 de octubre de 2026",
            "Atentamente,",
        ),
        ("en", "Pay / View statement", "11,600.00", "October 1, 2026", "Kind regards,"),
    ],
)
def test_the_html_part_has_amount_due_date_one_button_how_to_pay_and_one_signature(
    bank_settings, invoice_a, language, button, amount, due, signoff
):
    html = _rendered(invoice_a, language=language)["body_html"]
    assert html.count(f'href="{PORTAL}"') == 1
    assert html.count(f">{button}</a>") == 1
    assert f'<strong style="font-size:22px">{amount}{NBSP}MXN</strong>' in html
    assert f'<strong style="font-size:18px">{due}</strong>' in html
    assert html.count("012180001234567895") == 1 and html.count("646180") == 1
    # no agent: the organisation signs once (the footer carries its legal name)
    assert f"<p>{signoff}<br>Distribuidora Norte S.A. de C.V.</p>" in html
    assert html.count("Distribuidora Norte S.A. de C.V.") == 3  # header, signature, footer
    assert "<img" not in html  # no logo uploaded: the name is the header
    assert '<strong style="font-size:20px;color:#0b5cad">Distribuidora Norte' in html


def test_the_text_part_is_clean_and_signed_once(bank_settings, invoice_a, agent_a):
    without = _rendered(invoice_a)["body_text"]
    lines = without.splitlines()
    assert lines[lines.index("Atentamente,") + 1 :] == ["Distribuidora Norte S.A. de C.V."]
    assert without.count(f"Pagar / Ver estado de cuenta: {PORTAL}") == 1
    assert without.count("012180001234567895") == 1
    assert "<" not in without and ">" not in without and "&" not in without
    agent_a.email = "ana@norte.mx"
    signed = _rendered(invoice_a, agent=agent_a)["body_text"].splitlines()
    assert signed[signed.index("Atentamente,") + 1 :] == [
        "Ana",
        "Distribuidora Norte S.A. de C.V. · ana@norte.mx",
    ]


def test_every_built_in_signs_once_without_an_agent():
    context = _context("es-mx")
    for template in [*all_defaults(), *other_defaults()]:
        _subject, text, html = render(
            subject=template["subject"],
            body_text=template["body_text"],
            body_html=template["body_html"],
            context=context,
        )
        assert text.count("Norte") == 1, template["key"]
        assert html.count("<br>Norte</p>") == 1, template["key"]


# --- the logo ----------------------------------------------------------------------------
@pytest.fixture
def logo_settings(org_a):
    row = PortalSettings.objects.create(organization=org_a)
    row.logo.save("logo.png", SimpleUploadedFile("logo.png", PNG, "image/png"))
    return row


def _message(invoice, content):
    return Message.objects.create(
        organization=invoice.organization,
        key="look-1",
        customer=invoice.customer,
        channel="email",
        as_of=dt.date(2026, 10, 11),
        scheduled_for=dt.datetime(2026, 10, 11, 16, tzinfo=dt.UTC),
        subject=content["subject"],
        body_text=content["body_text"],
        body_html=content["body_html"],
        to=["lucia@latuerca.mx"],
    )


def test_the_logo_goes_inline_and_the_viewer_shows_it_in_place(logo_settings, invoice_a, tmp_path):
    content = _rendered(invoice_a)
    assert f'<img src="{LOGO_SRC}" alt="Distribuidora Norte S.A. de C.V."' in content["body_html"]
    message = _message(invoice_a, content)
    built = EmailTransport().build(message, attachments=[], headers={"Message-ID": "<look@x>"})
    EmlFileBackend(file_path=tmp_path).send_messages([built])
    [path] = tmp_path.glob("*.eml")
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    images = [part for part in parsed.walk() if part.get_content_type() == "image/png"]
    assert [(part["Content-ID"], part.get_payload(decode=True)) for part in images] == [
        ("<logo>", PNG)
    ]
    shown = parse_eml(path.read_bytes())
    assert shown.attachments == []
    assert LOGO_SRC not in shown.html and 'src="data:image/png;base64,iVBORw0KGgo' in shown.html
    assert "<" not in shown.text


def test_without_a_logo_nothing_is_attached(invoice_a, tmp_path):
    message = _message(invoice_a, _rendered(invoice_a))
    built = EmailTransport().build(message, attachments=[], headers={"Message-ID": "<look@x>"})
    assert built.attachments == [] and LOGO_SRC not in message.body_html


def test_the_message_page_shows_the_logo_from_the_row(login, manager_a, logo_settings, invoice_a):
    message = _message(invoice_a, _rendered(invoice_a))
    response = login(manager_a).get(reverse("outreach:message_html", args=[message.pk]))
    body = response.content.decode()
    assert LOGO_SRC not in body and 'src="data:image/png;base64,iVBORw0KGgo' in body


# --- unedited copies ---------------------------------------------------------------------
def test_unedited_copies_of_the_built_ins_get_the_new_bodies(org_a):
    migration = importlib.import_module(
        "cartera.outreach.migrations.0010_refresh_builtin_template_copies"
    )
    templates = [*all_defaults(), *other_defaults()]
    for template in templates:
        old_text, old_html = migration.old_bodies(template["key"], template["language"])
        assert (old_text, old_html) != (template["body_text"], template["body_html"])
        MessageTemplate.objects.create(
            organization=org_a,
            key=template["key"],
            name=template["name"],
            kind=template["kind"],
            channel="email",
            language=template["language"],
            subject=template["subject"],
            body_text=old_text,
            body_html=old_html,
        )
    edited = MessageTemplate.objects.get(key="aviso-final", language="en")
    edited.body_html = "<p>Mine</p>"
    edited.save()
    migration.refresh_unedited_copies(apps, None)
    for row in MessageTemplate.objects.all():
        new = default_template(row.key, row.language)
        assert row.body_text == new["body_text"]
        assert row.body_html == ("<p>Mine</p>" if row.pk == edited.pk else new["body_html"])
    assert len(templates) == MessageTemplate.objects.count() == 20
