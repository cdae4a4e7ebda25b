"""Stripe Checkout against a local fake Stripe API, and signed webhooks."""

import hashlib
import hmac
import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from cartera.invoices.models import Invoice
from cartera.payments.models import CheckoutSession, Payment, ProviderEvent
from cartera.portal.models import PortalSettings
from cartera.testing.tasks import answer, post_provider_webhook
from cartera.timeline.models import Activity, Notification

SECRET = "whsec_test_secret"


class FakeStripe(BaseHTTPRequestHandler):
    requests: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        form = parse_qs(body)
        FakeStripe.requests.append((self.path, form, dict(self.headers)))
        if self.path != "/v1/checkout/sessions":
            self.send_response(404)
            self.end_headers()
            return
        session = {
            "id": "cs_test_123",
            "object": "checkout.session",
            "mode": "payment",
            "url": "https://checkout.stripe.com/c/pay/cs_test_123",
            "amount_total": int(form["line_items[0][price_data][unit_amount]"][0]),
            "currency": form["line_items[0][price_data][currency]"][0],
            "client_reference_id": form["client_reference_id"][0],
            "payment_status": "unpaid",
        }
        payload = json.dumps(session).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_stripe(settings):
    FakeStripe.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeStripe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_port}"
    yield FakeStripe
    server.shutdown()
    server.server_close()


@pytest.fixture
def stripe_org(org_a):
    PortalSettings.objects.create(
        organization=org_a, stripe_secret_key="sk_test_123", stripe_webhook_secret=SECRET
    )
    return org_a


def signed(payload: dict, secret=SECRET, at=None):
    body = json.dumps(payload)
    ts = int(at or time.time())
    signature = hmac.new(secret.encode(), f"{ts}.{body}".encode(), hashlib.sha256).hexdigest()
    return body, f"t={ts},v1={signature}"


def completed_event(event_id="evt_1", amount=1160000):
    return {
        "id": event_id,
        "object": "event",
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": "cs_test_123",
                "object": "checkout.session",
                "amount_total": amount,
                "currency": "mxn",
                "payment_status": "paid",
                "payment_intent": "pi_42",
            }
        },
    }


def post_webhook(client, body, signature):
    return post_provider_webhook(
        client, "/p/webhooks/stripe/norte/", body, HTTP_STRIPE_SIGNATURE=signature
    )


def test_checkout_amount_comes_from_our_balances(fake_stripe, stripe_org, invoice_a, portal_client):
    client = portal_client(invoice_a.customer)
    # A forged amount in the form is ignored: only invoice ids are read.
    response = client.post("/p/pagar/", {"invoices": [invoice_a.pk], "amount": "1.00"})
    assert response.status_code == 302
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_test_123"
    path, form, headers = fake_stripe.requests[0]
    assert path == "/v1/checkout/sessions"
    assert form["line_items[0][price_data][unit_amount]"] == ["1160000"]
    assert form["line_items[0][price_data][currency]"] == ["mxn"]
    assert headers["Authorization"] == "Bearer sk_test_123"
    session = CheckoutSession.objects.get()
    assert (session.amount, session.currency, session.status) == (
        Decimal("11600.00"),
        "MXN",
        "open",
    )


def test_signed_webhook_records_one_confirmed_payment_idempotently(
    fake_stripe, stripe_org, invoice_a, portal_client, client
):
    portal_client(invoice_a.customer).post("/p/pagar/", {"invoices": [invoice_a.pk]})
    client.logout()
    body, signature = signed(completed_event())
    first = post_webhook(client, body, signature)
    second = post_webhook(client, body, signature)
    assert (first.status_code, answer(first), second.status_code, answer(second)) == (
        200,
        ("queued", "recorded"),
        200,
        ("duplicate", None),
    )
    payment = Payment.objects.get()
    assert (
        payment.status,
        payment.source,
        payment.method,
        payment.amount,
        payment.external_id,
    ) == ("confirmed", "provider", "card", Decimal("11600.00"), "stripe:pi_42")
    invoice = Invoice.objects.get(pk=invoice_a.pk)
    assert (invoice.status, invoice.balance) == ("paid", Decimal("0.00"))
    assert CheckoutSession.objects.get().status == "completed"
    assert ProviderEvent.objects.count() == 1
    assert payment.complement.lines.count() == 1  # PPD invoice: a REP is owed


@pytest.mark.parametrize("how", ["wrong_secret", "tampered", "missing", "stale"])
def test_bad_signature_changes_nothing(
    fake_stripe, stripe_org, invoice_a, portal_client, client, how
):
    portal_client(invoice_a.customer).post("/p/pagar/", {"invoices": [invoice_a.pk]})
    body, signature = signed(
        completed_event(),
        secret="whsec_other" if how == "wrong_secret" else SECRET,
        at=time.time() - 3600 if how == "stale" else None,
    )
    if how == "tampered":
        body = body.replace("1160000", "1160001")
    if how == "missing":
        signature = ""
    response = post_webhook(client, body, signature)
    assert response.status_code == 400
    assert (Payment.objects.count(), ProviderEvent.objects.count()) == (0, 0)
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("11600.00")


@pytest.mark.parametrize(
    ("amount", "currency", "problem"),
    [
        (100, "mxn", "El proveedor informó 1 MXN; el cobro era por 11600.00 MXN."),
        (1160000, "usd", "El proveedor informó 11600 USD; el cobro era por 11600.00 MXN."),
    ],
)
def test_webhook_that_disagrees_with_our_checkout_is_kept_for_review_not_paid(
    fake_stripe, stripe_org, invoice_a, portal_client, client, amount, currency, problem
):
    portal_client(invoice_a.customer).post("/p/pagar/", {"invoices": [invoice_a.pk]})
    event = completed_event(amount=amount)
    event["data"]["object"]["currency"] = currency
    alerts_before = Activity.objects.filter(summary__contains="no aplicado").count()
    response = post_webhook(client, *signed(event))
    assert (response.status_code, answer(response)) == (200, ("queued", "rejected"))
    stored = ProviderEvent.objects.get()
    assert (stored.outcome, stored.problem) == ("rejected", problem)
    assert Payment.objects.count() == 0
    assert CheckoutSession.objects.get().status == "open"
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("11600.00")
    alert = Activity.objects.filter(summary__contains="no aplicado").get()
    assert alerts_before == 0 and alert.customer_id == invoice_a.customer_id
    assert Notification.objects.filter(text__contains="no aplicado").count() == 1
    again = post_webhook(client, *signed(event))
    assert (again.status_code, answer(again)) == (200, ("duplicate", None))
    assert Activity.objects.filter(summary__contains="no aplicado").count() == 1


@pytest.mark.parametrize(
    "broken",
    [
        {"amount_total": None},
        {"amount_total": "1160000"},
        {"currency": None},
        {"id": None, "drop": "id"},
    ],
)
def test_signed_but_malformed_event_answers_400_and_stores_nothing(
    fake_stripe, stripe_org, invoice_a, portal_client, client, broken
):
    portal_client(invoice_a.customer).post("/p/pagar/", {"invoices": [invoice_a.pk]})
    event = completed_event()
    data = event["data"]["object"]
    if broken.pop("drop", None):
        del data["id"]
    else:
        data.update(broken)
    response = post_webhook(client, *signed(event))
    assert response.status_code == 400
    assert response.content.startswith(b"malformed event")
    assert (Payment.objects.count(), ProviderEvent.objects.count()) == (0, 0)


def test_signature_from_the_future_is_refused(fake_stripe, stripe_org, invoice_a, client):
    response = post_webhook(client, *signed(completed_event(), at=time.time() + 3600))
    assert response.status_code == 400
    assert ProviderEvent.objects.count() == 0


def test_no_stripe_account_no_online_payment(org_a, invoice_a, portal_client, client):
    client = portal_client(invoice_a.customer)
    assert client.post("/p/pagar/", {"invoices": [invoice_a.pk]}).status_code == 404
    assert "Pagar con tarjeta" not in client.get("/p/").content.decode()
    assert post_webhook(client, *signed(completed_event())).status_code == 404
