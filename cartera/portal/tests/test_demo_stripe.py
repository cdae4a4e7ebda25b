"""The demo's local fake Stripe (``cartera/testing/fake_stripe.py``): a portal card payment
goes through it and its signed webhook reconciles the invoice, offline."""

from decimal import Decimal

import pytest
import stripe
from django.test import Client

from cartera.invoices.models import Invoice
from cartera.payments.models import Payment, ProviderEvent
from cartera.portal.models import PortalSettings
from cartera.testing.fake_stripe import FakeStripeServer, sign
from cartera.testing.tasks import post_provider_webhook

SECRET = "whsec_demo_test"


def test_signature_passes_the_official_sdk_check_and_fails_when_tampered():
    payload = b'{"id": "evt_1"}'
    header = sign(payload, SECRET)
    assert stripe.WebhookSignature.verify_header(payload.decode(), header, SECRET, 300)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header('{"id": "evt_2"}', header, SECRET, 300)


def test_pay_in_the_fake_reconciles_the_invoice(settings, org_a, invoice_a, portal_client):
    webhook = Client()

    def deliver(payload, headers):
        response = post_provider_webhook(
            webhook,
            f"/p/webhooks/stripe/{org_a.slug}/",
            payload,
            HTTP_STRIPE_SIGNATURE=headers["Stripe-Signature"],
        )
        return response.status_code

    fake = FakeStripeServer(
        webhook_url="http://unused.invalid/", webhook_secret=SECRET, deliver=deliver
    ).start()
    try:
        settings.STRIPE_API_BASE = fake.base_url
        PortalSettings.objects.create(
            organization=org_a, stripe_secret_key="sk_test_demo", stripe_webhook_secret=SECRET
        )
        response = portal_client(invoice_a.customer).post("/p/pagar/", {"invoices": [invoice_a.pk]})
        assert response["Location"].startswith(f"{fake.base_url}/pay/cs_test_demo_")
        session_id = response["Location"].rsplit("/", 1)[-1]
        assert fake.sessions[session_id]["amount_total"] == 1160000
        fake.pay(session_id)
        fake.pay(session_id)  # a second click never pays twice
        assert fake.delivered == [{"event": fake.delivered[0]["event"], "status": 200}]
        payment = Payment.objects.get()
        assert (payment.status, payment.amount, payment.method) == (
            "confirmed",
            Decimal("11600.00"),
            "card",
        )
        invoice = Invoice.objects.get(pk=invoice_a.pk)
        assert (invoice.status, invoice.balance) == ("paid", Decimal("0.00"))
        assert ProviderEvent.objects.count() == 1
    finally:
        fake.stop()
