"""The bulletin's legal notice by printed letter (docs/credit-bulletins.md): a customer with
a postal address and no usable e-mail gets a letter (or every customer does, by the
organisation's choice on the notice form); its wait runs from the day the print batch is
marked posted, exactly as an e-mail's runs from the day it was sent."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from freezegun import freeze_time

import cartera.urls  # noqa: F401  (loaded before freeze_time: the API's schemas need real dates)
from cartera.bulletins.models import BulletinEntry
from cartera.bulletins.selectors import rows_in_state
from cartera.bulletins.services import exportable_entries, select_invoices, send_legal_notices
from cartera.customers.services import create_customer, update_customer
from cartera.invoices.services import create_invoice
from cartera.orgs.models import Membership
from cartera.outreach.letters import post_letter_batch
from cartera.outreach.models import Letter, LetterBatch, Message
from cartera.outreach.sending import send_due_messages
from cartera.timeline.models import Activity

D = dt.date
SELECT_DAY = D(2026, 10, 20)
# 12:00 in Monterrey on the 20th: the notice is queued and printed that day.
NOON = "2026-10-20 18:00:00"
ADDRESS = {
    "address_street": "Av. Constitución",
    "address_exterior": "1200",
    "address_colonia": "Centro",
    "address_city": "Monterrey",
    "address_state": "Nuevo León",
    "address_postal_code": "64000",
    "address_country": "MX",
}


def _postal_only(org, *, name="Solo Correo Postal"):
    """A customer with a postal address and no contact (so no e-mail), owing 900.00 MXN."""
    customer = create_customer(
        organization=org, actor=None, external_id=f"CLI-{name}", name=name, **ADDRESS
    )
    return create_invoice(
        customer=customer,
        actor=None,
        number=f"P-{customer.pk}",
        issue_date=D(2026, 9, 1),
        due_date=D(2026, 10, 1),
        currency="MXN",
        total=Decimal("900.00"),
    )


def _select(org, invoices, actor):
    selected = select_invoices(organization=org, invoices=invoices, actor=actor, today=SELECT_DAY)
    return list(BulletinEntry.objects.filter(pk__in=[e.pk for e in selected]))


@freeze_time(NOON)
def test_without_email_but_with_an_address_the_notice_is_a_letter(org_a, invoice_a, manager_a):
    postal = _postal_only(org_a)
    entries = _select(org_a, [invoice_a, postal], manager_a)
    result = send_legal_notices(
        organization=org_a, entries=entries, actor=manager_a, today=SELECT_DAY
    )
    assert (result.noticed, result.letters, result.without_contact) == (2, 1, [])
    email, letter = Message.objects.order_by("customer_id")
    assert (email.channel, email.to, email.fallback_channels) == (
        "email",
        ["lucia@latuerca.mx"],
        [],
    )
    assert (letter.channel, letter.status, letter.to, letter.fallback_channels) == (
        "letter",
        "queued",
        [],
        [],
    )
    assert letter.customer_id == postal.customer_id
    assert letter.subject == "Aviso previo a su registro en el boletín de crédito"
    assert f"- Factura {postal.number}, vencida el 01/10/2026, saldo 900.00 MXN" in (
        letter.body_text
    )
    assert "comuníquese con nosotros" in letter.body_text
    assert list(letter.invoices.all()) == [postal]
    assert dict(BulletinEntry.objects.values_list("invoice_id", "notice_id")) == {
        invoice_a.pk: email.pk,
        postal.pk: letter.pk,
    }
    entry = Activity.objects.get(customer_id=postal.customer_id, data__bulletin="notice")
    assert (entry.data["channel"], entry.data["message_id"]) == ("letter", letter.pk)


def test_the_wait_runs_from_the_day_the_letters_batch_is_posted(org_a, manager_a):
    postal = _postal_only(org_a)
    with freeze_time(NOON):
        send_legal_notices(
            organization=org_a,
            entries=_select(org_a, [postal], manager_a),
            actor=manager_a,
            today=SELECT_DAY,
        )
        assert send_due_messages(now=dt.datetime(2026, 10, 20, 18, 5, tzinfo=dt.UTC)) == {
            "printed": 1
        }
    letter = Letter.objects.get()
    assert letter.batch.day == SELECT_DAY
    assert letter.address_lines == [
        "Av. Constitución 1200",
        "Col. Centro",
        "C.P. 64000 Monterrey, Nuevo León",
        "MX",
    ]
    assert letter.recipient == "Solo Correo Postal"
    assert Message.objects.get().status == "printed"
    # Printed but not yet handed to the post office: no wait has started.
    membership = Membership.objects.get(user=manager_a)
    (waiting,) = rows_in_state(membership, "noticed", today=D(2026, 12, 1))
    assert waiting.exportable_from is None
    assert exportable_entries(org_a, today=D(2027, 1, 1)) == []
    post_letter_batch(batch=LetterBatch.objects.get(), posted_on=D(2026, 10, 22), actor=manager_a)
    assert Message.objects.get().status == "sent"
    # 10 days (the default wait) from the 22nd, the day the batch was posted.
    assert exportable_entries(org_a, today=D(2026, 10, 31)) == []
    assert [e.invoice for e in exportable_entries(org_a, today=D(2026, 11, 1))] == [postal]


@freeze_time(NOON)
def test_the_organisation_chooses_letters_or_email_only(org_a, invoice_a, manager_a):
    update_customer(customer=invoice_a.customer, actor=None, **ADDRESS)
    postal = _postal_only(org_a)
    entries = _select(org_a, [invoice_a, postal], manager_a)
    only_email = send_legal_notices(
        organization=org_a,
        entries=[e for e in entries if e.invoice_id == postal.pk],
        actor=manager_a,
        today=SELECT_DAY,
        channel="email",
    )
    assert (only_email.noticed, only_email.without_contact) == (0, ["Solo Correo Postal"])
    assert Message.objects.count() == 0
    letters = send_legal_notices(
        organization=org_a,
        entries=list(BulletinEntry.objects.filter(notice__isnull=True)),
        actor=manager_a,
        today=SELECT_DAY,
        channel="letter",
    )
    assert (letters.noticed, letters.letters, letters.without_contact) == (2, 2, [])
    # The customer with an e-mail gets a letter too: the organisation chose letters.
    assert sorted(Message.objects.values_list("customer__name", "channel")) == [
        ("Ferretería La Tuerca", "letter"),
        ("Solo Correo Postal", "letter"),
    ]


@freeze_time(NOON)
def test_with_an_email_and_an_address_the_default_is_email(org_a, invoice_a, manager_a):
    update_customer(customer=invoice_a.customer, actor=None, **ADDRESS)
    result = send_legal_notices(
        organization=org_a,
        entries=_select(org_a, [invoice_a], manager_a),
        actor=manager_a,
        today=SELECT_DAY,
    )
    assert (result.noticed, result.letters) == (1, 0)
    assert Message.objects.get().channel == "email"


@freeze_time(NOON)
def test_the_notice_form_sends_letters_and_says_when_the_wait_starts(
    org_a, invoice_a, manager_a, login
):
    postal = _postal_only(org_a)
    client = login(manager_a)
    page = client.get(reverse("bulletins:list") + "?state=selected")
    assert "Enviar el aviso por" not in page.content.decode()  # nothing selected yet
    _select(org_a, [postal], manager_a)
    page = client.get(reverse("bulletins:list") + "?state=selected").content.decode()
    assert '<select name="channel"' in page and "Carta impresa" in page
    entry = BulletinEntry.objects.get()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("cartera.bulletins.views._today", lambda request: SELECT_DAY)
        response = client.post(
            reverse("bulletins:notice"), {"entry": [entry.pk], "channel": "letter"}, follow=True
        )
    text = response.content.decode()
    assert "1 avisos en la bandeja de salida." in text
    assert (
        "1 por carta impresa: van al lote de cartas del día y el plazo de espera corre desde "
        "el día en que el lote se marca como enviado."
    ) in text
    assert (
        f'<tr data-entry="{entry.pk}"><td>{postal.number}</td><td>Solo Correo Postal</td><td>Carta: En cola</td>'
        in text
    )
    assert Message.objects.get().channel == "letter"


@freeze_time(NOON)
def test_an_unknown_channel_or_no_way_to_reach_changes_nothing(org_a, manager_a, login):
    postal = _postal_only(org_a)
    client = login(manager_a)
    _select(org_a, [postal], manager_a)
    entry = BulletinEntry.objects.get()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("cartera.bulletins.views._today", lambda request: SELECT_DAY)
        bad = client.post(
            reverse("bulletins:notice"), {"entry": [entry.pk], "channel": "fax"}, follow=True
        )
        email_only = client.post(
            reverse("bulletins:notice"), {"entry": [entry.pk], "channel": "email"}, follow=True
        )
    assert "Seleccione una opción válida. fax no es una de las opciones disponibles." in (
        bad.content.decode()
    )
    assert (
        "Sin aviso, por no tener un correo al que se pueda escribir: Solo Correo Postal."
        in email_only.content.decode()
    )
    assert Message.objects.count() == Letter.objects.count() == 0
    assert BulletinEntry.objects.get().notice_id is None
