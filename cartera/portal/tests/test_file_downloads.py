"""The debtor's downloads of an invoice's XML or PDF are logged on the timeline: they are
part of the proof that the CFDI was delivered (the case dossier lists them)."""

from django.core.files.base import ContentFile
from django.urls import reverse

from cartera.invoices.models import InvoiceAttachment
from cartera.timeline.models import Activity


def _attach(invoice, kind):
    attachment = InvoiceAttachment(
        organization=invoice.organization,
        invoice=invoice,
        kind=kind,
        original_name=f"{invoice.number}.{kind}",
        sha256="x",
    )
    attachment.file.save(f"{invoice.number}.{kind}", ContentFile(b"<cfdi/>"), save=True)
    return attachment


def test_a_portal_download_is_logged(portal_client, debtor_a, invoice_a, invoice_b):
    xml = _attach(invoice_a, "xml")
    other = _attach(invoice_b, "xml")
    client = portal_client(debtor_a)
    answer = client.get(reverse("portal:invoice_file", args=[xml.pk]))
    assert answer.status_code == 200 and b"".join(answer.streaming_content) == b"<cfdi/>"
    entry = Activity.objects.get(data__file_event="downloaded")
    assert (entry.invoice_id, entry.customer_id, entry.actor_kind) == (
        invoice_a.pk,
        debtor_a.pk,
        "debtor",
    )
    assert entry.data == {
        "attachment_id": xml.pk,
        "kind": "xml",
        "file_event": "downloaded",
        "via": "portal",
        "_sentence": entry.data["_sentence"],
    }
    assert entry.summary == "El cliente descargó A-100.xml de la factura A-100"
    # another organisation's file: not found, and nothing logged
    assert client.get(reverse("portal:invoice_file", args=[other.pk])).status_code == 404
    assert Activity.objects.filter(data__file_event="downloaded").count() == 1
