"""A file a debtor sends on WhatsApp as the proof of a payment, against the local fake
Cloud API (media endpoints) and the local fake Banxico CEP portal: it is attached to the
payment the debtor just reported; else a CEP (XML or PDF) reports one itself and is
checked with Banxico, and any other file is kept for the agent's task, reporting nothing;
a message delivered twice is handled once."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cartera.followup import reviews
from cartera.followup.models import Task
from cartera.outreach.models import InboundMessage
from cartera.payments.models import Payment, PaymentProof
from cartera.portal.models import PortalSettings
from cartera.testing import fake_whatsapp as fw
from cartera.testing.fake_banxico_cep import cep_pdf, cep_xml, running_fake_banxico_cep
from cartera.testing.fixtures import PDF_BYTES
from cartera.timeline.choices import ActorKind
from cartera.timeline.models import Activity

from .test_whatsapp import TS, WA_ID, _deliver, configured, fake  # noqa: F401 (fixtures)

KEY = "MBAN01002610040000123456"
CEP = cep_xml(tracking_key=KEY, date="2026-10-04", amount="11600.00")


@pytest.fixture
def banxico(settings, org_a):
    PortalSettings.objects.create(organization=org_a, bank_accounts="BBVA 012180001234567899")
    with running_fake_banxico_cep() as (url, state):
        settings.CARTERA_BANXICO_CEP_URL = url
        yield state


def register(state):
    state.register(
        tracking_key=KEY,
        date="04-10-2026",
        sender_bank="40072",
        receiver_bank="40012",
        account="012180001234567899",
        amount="11600.00",
        xml=CEP,
    )


def _file(wamid, media_id, *, mime, caption="", timestamp=TS):
    return fw.media_message(
        wamid=wamid,
        sender=WA_ID,
        media_id=media_id,
        mime=mime,
        timestamp=timestamp,
        caption=caption,
    )


def _send(client, org, capture, *messages):
    _deliver(client, org, fw.webhook_body(messages=list(messages)), capture)


def test_a_cep_alone_reports_its_payment_and_banxico_confirms_it(
    client,
    configured,  # noqa: F811
    fake,  # noqa: F811
    banxico,
    org_a,
    invoice_a,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    register(banxico)
    fake.media["CEP1"] = (CEP, "text/xml")
    _send(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        _file("wamid.C1", "CEP1", mime="text/xml"),
    )
    payment = Payment.objects.get()
    assert (payment.status, payment.source, payment.amount, payment.date, payment.reference) == (
        "confirmed",
        "whatsapp",
        Decimal("11600.00"),
        dt.date(2026, 10, 4),
        KEY,
    )
    assert payment.external_id == f"cep:{KEY}"
    proof = payment.proofs.get()
    assert proof.content_type == "application/xml"
    with proof.file.open("rb") as handle:
        assert handle.read() == CEP
    assert InboundMessage.objects.get().outcome == f"payment:{payment.pk}"
    assert Task.objects.get(key=f"reported-payment:{payment.pk}").status == "done"
    assert (len(banxico.searches), banxico.downloads) == (1, 1)
    invoice_a.refresh_from_db()
    assert (invoice_a.balance, invoice_a.status) == (Decimal("0.00"), "paid")


def test_a_cep_that_follows_a_portal_report_is_attached_and_a_not_found_is_flagged(
    client,
    configured,  # noqa: F811
    fake,  # noqa: F811
    banxico,
    org_a,
    invoice_a,
    agent_a,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    reported = reviews.report_payment(
        customer=invoice_a.customer,
        invoices=[invoice_a],
        date=dt.date(2026, 10, 4),
        method="transfer",
        reference="",
        actor=ActorKind.DEBTOR,
        source="portal",
        today=dt.date(2026, 10, 7),
    )
    Payment.objects.filter(pk=reported.pk).update(
        created_at=dt.datetime.fromtimestamp(TS - 3600, tz=dt.UTC)
    )
    fake.media["CEP1"] = (CEP, "application/xml")  # Banxico has no such transfer
    _send(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        _file("wamid.C2", "CEP1", mime="application/xml"),
    )
    payment = Payment.objects.get()
    assert payment.pk == reported.pk and payment.status == "reported"
    assert payment.proofs.get().content_type == "application/xml"
    assert InboundMessage.objects.get().outcome == f"proof:{payment.pk}"
    assert Task.objects.get(key=f"reported-payment:{payment.pk}").status == "open"
    [flag] = Activity.objects.filter(data__payment_id=payment.pk, data__cep_status__isnull=False)
    assert flag.data["cep_status"] == "not_found"
    assert len(banxico.searches) == 1 and banxico.downloads == 0


def test_an_image_alone_is_kept_for_the_agent_and_reports_nothing(
    client,
    configured,  # noqa: F811
    fake,  # noqa: F811
    banxico,
    org_a,
    invoice_a,
    agent_a,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    fake.media["IMG1"] = (png, "image/png")
    _send(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        _file("wamid.I1", "IMG1", mime="image/png"),
    )
    # a photo (a defect, an ID) is no payment: nothing reported, the reminders go on
    assert not Payment.objects.exists() and not PaymentProof.objects.exists()
    task = Task.objects.get(subject="whatsapp")
    assert task.title == f"Responder a {invoice_a.customer.name} por WhatsApp"
    assert task.notes.startswith(
        "El cliente envió un archivo (está en la conversación de WhatsApp)."
    )
    inbound = InboundMessage.objects.get()
    assert (inbound.intent, inbound.outcome) == ("other", f"task:{task.pk}")
    assert inbound.media_content_type == "image/png"
    with inbound.media_file.open("rb") as handle:
        assert handle.read() == png
    assert banxico.searches == []
    # the agent downloads it from the conversation page
    client.force_login(agent_a)
    page = client.get(reverse("outreach:whatsapp_conversation", args=[invoice_a.customer.pk]))
    url = reverse("outreach:whatsapp_media", args=[inbound.pk])
    assert url in page.content.decode()
    download = client.get(url)
    assert (download.status_code, download["Content-Type"]) == (200, "image/png")
    assert b"".join(download.streaming_content) == png
    assert download["Content-Disposition"].startswith("attachment")


def test_only_who_sees_the_customer_downloads_a_kept_file(
    client, org_a, invoice_a, agent_a, agent2_a, owner_b
):
    inbound = InboundMessage(
        organization=org_a,
        channel="whatsapp",
        provider_id="wamid.K1",
        from_address=WA_ID,
        customer=invoice_a.customer,
        kind="image",
        media_id="K1",
        media_content_type="image/png",
        received_at=dt.datetime.fromtimestamp(TS, tz=dt.UTC),
    )
    inbound.media_file.save("k.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
    org_a.agents_see_only_assigned = True
    org_a.save(update_fields=["agents_see_only_assigned"])
    url = reverse("outreach:whatsapp_media", args=[inbound.pk])
    assert invoice_a.customer.assigned_agent_id == agent_a.pk
    codes = []
    for user in (agent_a, agent2_a, owner_b):
        client.force_login(user)
        codes.append(client.get(url).status_code)
    assert codes == [200, 404, 404]
    InboundMessage.objects.filter(pk=inbound.pk).update(media_file="")  # nothing kept
    client.force_login(agent_a)
    assert client.get(url).status_code == 404


def test_a_pdf_alone_that_is_an_incomplete_cep_goes_to_the_agent_with_the_reason(
    client,
    configured,  # noqa: F811
    fake,  # noqa: F811
    banxico,
    org_a,
    invoice_a,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    fake.media["PDF2"] = (cep_pdf({"Monto": None}), "application/pdf")
    _send(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        _file("wamid.P2", "PDF2", mime="application/pdf"),
    )
    assert not Payment.objects.exists()
    task = Task.objects.get(subject="whatsapp")
    assert task.notes.startswith(
        "El cliente envió un archivo (está en la conversación de WhatsApp). "
        "CEP en PDF incompleto: no se encontró monto"
    )
    assert InboundMessage.objects.get().media_content_type == "application/pdf"
    assert banxico.searches == []


def test_a_cep_pdf_alone_reports_its_payment_and_banxico_confirms_it(
    client,
    configured,  # noqa: F811
    fake,  # noqa: F811
    banxico,
    org_a,
    invoice_a,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    register(banxico)
    fake.media["PDF3"] = (cep_pdf(), "application/pdf")
    _send(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        _file("wamid.P3", "PDF3", mime="application/pdf"),
    )
    payment = Payment.objects.get()
    assert (payment.status, payment.amount, payment.date, payment.reference) == (
        "confirmed",
        Decimal("11600.00"),
        dt.date(2026, 10, 4),
        KEY,
    )
    assert payment.proofs.get().content_type == "application/pdf"
    assert InboundMessage.objects.get().outcome == f"payment:{payment.pk}"
    assert not InboundMessage.objects.get().media_file  # the proof is the payment's
    assert (len(banxico.searches), banxico.downloads) == (1, 1)


def test_the_same_file_delivered_twice_is_downloaded_and_attached_once(
    client,
    configured,  # noqa: F811
    fake,  # noqa: F811
    banxico,
    org_a,
    invoice_a,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    fake.media["CEP1"] = (CEP, "application/xml")
    first = fw.webhook_body(messages=[_file("wamid.D1", "CEP1", mime="application/xml")])
    again = json.loads(first)
    again["entry"][0]["id"] = "redelivery"  # another body carrying the same message
    for body in (first, first, json.dumps(again).encode()):
        _deliver(client, org_a, body, django_capture_on_commit_callbacks)
    assert InboundMessage.objects.count() == 1
    assert (Payment.objects.count(), PaymentProof.objects.count()) == (1, 1)
    assert fake.media_downloads == ["CEP1"]


def test_a_file_the_provider_does_not_have_changes_nothing_but_a_task(
    client,
    configured,  # noqa: F811
    fake,  # noqa: F811
    org_a,
    invoice_a,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    _send(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        _file("wamid.G1", "GONE", mime="application/pdf"),
    )
    assert not Payment.objects.exists() and not PaymentProof.objects.exists()
    task = Task.objects.get(subject="whatsapp")
    assert "No se pudo descargar el archivo" in task.notes and "#100" in task.notes
    assert fake.media_downloads == []


def test_a_file_from_a_customer_with_nothing_open_goes_to_the_agent(
    client,
    configured,  # noqa: F811
    fake,  # noqa: F811
    org_a,
    invoice_a,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    invoice_a.status = "paid"
    invoice_a.save(update_fields=["status"])
    fake.media["PDF1"] = (PDF_BYTES, "application/pdf")
    _send(
        client,
        org_a,
        django_capture_on_commit_callbacks,
        _file("wamid.N1", "PDF1", mime="application/pdf"),
    )
    assert not Payment.objects.exists()
    inbound = InboundMessage.objects.get()
    assert inbound.outcome == f"task:{Task.objects.get(subject='whatsapp').pk}"
    assert fake.media_downloads == []


def test_a_decided_report_takes_no_proof(invoice_a, manager_a):
    payment = reviews.report_payment(
        customer=invoice_a.customer,
        invoices=[invoice_a],
        date=dt.date(2026, 10, 4),
        method="transfer",
        reference="",
        actor=ActorKind.DEBTOR,
        source="portal",
        today=dt.date(2026, 10, 7),
    )
    reviews.reject_reported_payment(payment=payment, actor=manager_a, reason="no llegó")
    with pytest.raises(ValidationError):
        reviews.attach_proof(
            payment=payment, proof=SimpleUploadedFile("c.pdf", PDF_BYTES, "application/pdf")
        )
    assert not PaymentProof.objects.exists()
