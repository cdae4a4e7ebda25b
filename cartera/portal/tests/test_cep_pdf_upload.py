"""The portal's "report a payment" with a CEP PDF as the proof: checked with the local
fake Banxico portal as the XML is (valid confirms); a non-PDF named .pdf is refused on
the form and reports nothing."""

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from cartera.payments.models import Payment, PaymentProof
from cartera.payments.tests.test_cep import KEY, banxico, register  # noqa: F401 (fixture)
from cartera.testing.fake_banxico_cep import cep_pdf


def _post(client, invoice, proof, capture):
    with capture(execute=True):
        return client.post(
            "/p/pago/",
            {
                "invoices": [invoice.pk],
                "date": "2026-10-04",
                "method": "transfer",
                "reference": KEY,
                "proof": proof,
            },
        )


def test_a_valid_cep_pdf_from_the_portal_confirms_the_report(
    portal_client,
    banxico,  # noqa: F811
    invoice_a,
    django_capture_on_commit_callbacks,
):
    register(banxico)
    client = portal_client(invoice_a.customer)
    proof = SimpleUploadedFile("comprobante.pdf", cep_pdf(), "application/pdf")
    response = _post(client, invoice_a, proof, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.status, payment.external_id, payment.amount) == (
        "confirmed",
        f"cep:{KEY}",
        Decimal("11600.00"),
    )
    assert payment.proofs.get().content_type == "application/pdf"
    assert len(banxico.searches) == 1


def test_a_non_pdf_named_pdf_is_refused_on_the_form(
    portal_client,
    banxico,  # noqa: F811
    invoice_a,
    django_capture_on_commit_callbacks,
):
    client = portal_client(invoice_a.customer)
    proof = SimpleUploadedFile("cep.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    response = _post(client, invoice_a, proof, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "Solo se aceptan comprobantes en PDF, JPG o PNG, o el XML del CEP." in (
        response.content.decode()
    )
    assert not Payment.objects.exists() and not PaymentProof.objects.exists()
    assert banxico.searches == []
