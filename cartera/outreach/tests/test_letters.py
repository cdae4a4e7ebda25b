"""Printed letters: a ``letter`` step goes to the postal address (the contact's, else the
customer's) and lands in the day's print batch; the batch gives one PDF and a CSV for the
mailing house; marking it posted makes its letters ``sent``; a customer without a postal
address is not a letter contact and falls back to the step's next channel."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from cartera.customers.models import Contact, Customer
from cartera.customers.services import save_contact, update_customer
from cartera.dunning.models import Decision, Step
from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.outreach.choices import EventKind
from cartera.outreach.letters import post_letter_batch
from cartera.outreach.models import Letter, LetterBatch, Message, MessageEvent
from cartera.outreach.sending import send_due_messages
from cartera.timeline.models import Activity

UTC = dt.UTC
PLAN_NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
SEND_NOW = dt.datetime(2026, 10, 7, 16, 0, tzinfo=UTC)
DAY = dt.date(2026, 10, 7)
ADDRESS = {
    "address_street": "Av. Constitución",
    "address_exterior": "1200",
    "address_interior": "3",
    "address_colonia": "Centro",
    "address_city": "Monterrey",
    "address_state": "Nuevo León",
    "address_postal_code": "64000",
    "address_country": "MX",
}
LINES = ["Av. Constitución 1200 int. 3", "Col. Centro", "C.P. 64000 Monterrey, Nuevo León", "MX"]


@pytest.fixture
def letter_step(org_a, debtor_a, invoice_a):
    load_builtin_strategies(organization=org_a)
    Step.objects.filter(key="aviso-1").update(channel="letter", channels=["email"])


def _with_address(customer):
    return update_customer(customer=customer, actor=None, **ADDRESS)


def _printed(org):
    run_planner(organization=org, as_of=DAY, dry_run=False, now=PLAN_NOW)
    return send_due_messages(now=SEND_NOW)


def test_a_letter_goes_to_the_customers_address_in_the_days_batch(letter_step, org_a, debtor_a):
    _with_address(debtor_a)
    assert _printed(org_a) == {"printed": 1}
    message = Message.objects.get()
    letter = Letter.objects.get()
    assert (message.channel, message.status, message.sent_at, message.transport) == (
        "letter",
        "printed",
        None,
        "letter-print",
    )
    assert message.provider_id == letter.reference == f"C-{letter.pk:06d}"
    assert (letter.batch.day, letter.batch.posted_on, letter.batch.organization) == (
        DAY,
        None,
        org_a,
    )
    assert (letter.recipient, letter.attention, letter.address_lines, letter.postal_code) == (
        "Ferretería La Tuerca S.A. de C.V.",
        "Lucía Pagos",
        LINES,
        "64000",
    )
    assert "A-100" in message.body_text  # the step's template rendered for channel letter


def test_the_contacts_own_address_wins(letter_step, org_a, debtor_a):
    _with_address(debtor_a)
    contact = debtor_a.contacts.get()
    save_contact(
        customer=debtor_a,
        actor=None,
        contact=contact,
        name=contact.name,
        role=contact.role,
        email=contact.email,
        mobile_phone=contact.mobile_phone,
        address_street="Calle 5 de Mayo",
        address_exterior="7",
        address_city="Saltillo",
        address_state="Coahuila",
        address_postal_code="25000",
    )
    _printed(org_a)
    letter = Letter.objects.get()
    assert (letter.address_lines, letter.postal_code) == (
        ["Calle 5 de Mayo 7", "C.P. 25000 Saltillo, Coahuila"],
        "25000",
    )


def test_without_a_postal_address_the_step_falls_back_to_email(letter_step, org_a):
    run_planner(organization=org_a, as_of=DAY, dry_run=False, now=PLAN_NOW)
    decision = Decision.objects.get(action="send")
    assert (decision.channel, decision.why) == (
        "email",
        "letter → email: sin contacto utilizable",
    )
    assert list(Message.objects.values_list("channel", flat=True)) == ["email"]
    assert not Letter.objects.exists()


def test_an_address_removed_after_planning_fails_the_letter_and_falls_back(
    letter_step, org_a, debtor_a, immediate_tasks, django_capture_on_commit_callbacks
):
    _with_address(debtor_a)
    run_planner(organization=org_a, as_of=DAY, dry_run=False, now=PLAN_NOW)
    Customer.objects.update(address_street="")
    with django_capture_on_commit_callbacks(execute=True):
        send_due_messages(now=SEND_NOW)
    letter = Message.objects.get(channel="letter")
    assert (letter.status, letter.last_error) == ("failed", "no postal address")
    assert Message.objects.get(channel="email").fallback_channels == []
    assert not Letter.objects.exists()


def test_posting_the_batch_sends_its_letters_and_they_count_as_contacts(
    letter_step, org_a, debtor_a, manager_a, login
):
    _with_address(debtor_a)
    _printed(org_a)
    batch = LetterBatch.objects.get()
    client = login(manager_a)
    url = reverse("portal_admin:letter_batch_post", kwargs={"pk": batch.pk})
    response = client.post(url, {"posted_on": "2026-10-08"})
    assert response.status_code == 302
    batch.refresh_from_db()
    message = Message.objects.get()
    assert batch.posted_on == dt.date(2026, 10, 8)
    # noon in Monterrey (UTC-6)
    assert (message.status, message.sent_at) == ("sent", dt.datetime(2026, 10, 8, 18, tzinfo=UTC))
    assert list(MessageEvent.objects.filter(message=message).values_list("kind", flat=True)) == [
        EventKind.QUEUED,
        EventKind.SENT,
    ]
    assert Activity.objects.filter(
        customer=debtor_a, summary__startswith="Carta enviada por correo postal"
    ).exists()
    # posting twice changes nothing
    client.post(url, {"posted_on": "2026-10-09"})
    batch.refresh_from_db()
    assert batch.posted_on == dt.date(2026, 10, 8)
    # the next day's plan sees the letter as already sent (the policy's contact history)
    run_planner(organization=org_a, as_of=DAY, dry_run=False, now=PLAN_NOW)
    assert Message.objects.count() == 1


def test_a_posting_date_before_the_batch_day_is_refused(letter_step, org_a, debtor_a, manager_a):
    _with_address(debtor_a)
    _printed(org_a)
    batch = LetterBatch.objects.get()
    with pytest.raises(Exception) as error:
        post_letter_batch(batch=batch, posted_on=dt.date(2026, 10, 6), actor=manager_a)
    assert "anterior" in str(error.value)
    batch.refresh_from_db()
    assert (batch.posted_on, Message.objects.get().status) == (None, "printed")


def test_agents_may_not_post_a_batch_nor_see_the_letters(
    letter_step, org_a, debtor_a, agent_a, login
):
    _with_address(debtor_a)
    _printed(org_a)
    batch = LetterBatch.objects.get()
    client = login(agent_a)
    post = client.post(
        reverse("portal_admin:letter_batch_post", kwargs={"pk": batch.pk}),
        {"posted_on": "2026-10-08"},
    )
    page = client.get(reverse("portal_admin:letters"))
    assert (post.status_code, page.status_code) == (403, 403)
    batch.refresh_from_db()
    assert (batch.posted_on, Message.objects.get().status) == (None, "printed")


def test_the_tracking_number_is_saved_per_letter(letter_step, org_a, debtor_a, manager_a, login):
    _with_address(debtor_a)
    _printed(org_a)
    letter = Letter.objects.get()
    client = login(manager_a)
    client.post(
        reverse("portal_admin:letter_tracking", kwargs={"pk": letter.pk}),
        {"tracking_number": " MX123456789 "},
    )
    letter.refresh_from_db()
    assert letter.tracking_number == "MX123456789"
    page = client.get(reverse("portal_admin:letter_batch", kwargs={"pk": letter.batch_id}))
    assert "MX123456789" in page.content.decode()


def test_the_csv_for_the_mailing_house_and_the_batch_pdf(
    letter_step, org_a, debtor_a, manager_a, login
):
    _with_address(debtor_a)
    _printed(org_a)
    batch = LetterBatch.objects.get()
    letter = Letter.objects.get()
    client = login(manager_a)
    response = client.get(reverse("portal_admin:letter_batch_csv", kwargs={"pk": batch.pk}))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[-2:] == [
        [
            "Referencia",
            "Nombre",
            "Atención",
            "Dirección 1",
            "Dirección 2",
            "Dirección 3",
            "Dirección 4",
            "Código postal",
        ],
        [letter.reference, "Ferretería La Tuerca S.A. de C.V.", "Lucía Pagos", *LINES, "64000"],
    ]
    pdf = client.get(reverse("portal_admin:letter_batch_pdf", kwargs={"pk": batch.pk}))
    assert (pdf.status_code, pdf["Content-Type"], pdf.content[:5]) == (
        200,
        "application/pdf",
        b"%PDF-",
    )


def test_the_customer_form_edits_the_postal_address(owner_a, debtor_a, login):
    client = login(owner_a)
    url = reverse("customers:edit", kwargs={"pk": debtor_a.pk})
    page = client.get(url)
    assert 'name="address_colonia"' in page.content.decode()
    data = {
        "name": debtor_a.name,
        "legal_name": debtor_a.legal_name,
        "tax_id": debtor_a.tax_id,
        "external_id": debtor_a.external_id,
        "country": "MX",
        "language": debtor_a.language,
        "payment_terms_days": 30,
        **ADDRESS,
    }
    assert client.post(url, data).status_code == 302
    debtor_a.refresh_from_db()
    assert debtor_a.address_lines() == LINES
    assert Contact.objects.get().has_postal_address is False
