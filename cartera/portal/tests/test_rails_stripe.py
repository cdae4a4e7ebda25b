"""Stripe OXXO vouchers and Mexican bank transfers through Checkout, and the asynchronous
checkout events, against a local fake Stripe API."""

import itertools
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from cartera.invoices.models import Invoice
from cartera.payments.models import Allocation, CheckoutSession, Payment, ProviderEvent
from cartera.portal.models import PortalSettings
from cartera.portal.tests.test_online import SECRET, post_webhook, signed
from cartera.testing.tasks import answer


class FakeStripe(BaseHTTPRequestHandler):
    requests: list = []
    ids = itertools.count(1)

    def do_POST(self):  # noqa: N802
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        FakeStripe.requests.append((self.path, form))
        n = next(FakeStripe.ids)
        if self.path == "/v1/customers":
            answer = {"id": f"cus_test_{n}", "object": "customer"}
        elif self.path == "/v1/checkout/sessions":
            answer = {
                "id": f"cs_test_{n}",
                "object": "checkout.session",
                "url": f"https://checkout.stripe.com/c/pay/cs_test_{n}",
                "payment_status": "unpaid",
            }
        else:
            self.send_response(404)
            self.end_headers()
            return
        payload = json.dumps(answer).encode()
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
    FakeStripe.ids = itertools.count(1)
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeStripe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_port}"
    yield FakeStripe
    server.shutdown()
    server.server_close()


@pytest.fixture
def stripe_rails(org_a):
    PortalSettings.objects.create(
        organization=org_a,
        cash_provider="stripe",
        spei_provider="stripe",
        stripe_secret_key="sk_test_123",
        stripe_webhook_secret=SECRET,
    )
    return org_a


def session_event(kind, session_id, *, event_id, payment_status="paid", amount=1160000):
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "data": {
            "object": {
                "id": session_id,
                "object": "checkout.session",
                "amount_total": amount,
                "currency": "mxn",
                "payment_status": payment_status,
                "payment_intent": f"pi_{event_id}",
            }
        },
    }


def pay(portal_client, customer, invoices, method):
    client = portal_client(customer)
    return client.post("/p/pagar/", {"invoices": [i.pk for i in invoices], "method": method})


def test_oxxo_checkout_shape(fake_stripe, stripe_rails, invoice_a, portal_client):
    response = pay(portal_client, invoice_a.customer, [invoice_a], "cash")
    (path, form), *_ = fake_stripe.requests
    assert path == "/v1/checkout/sessions"
    assert form["payment_method_types[0]"] == ["oxxo"]
    assert form["line_items[0][price_data][unit_amount]"] == ["1160000"]
    assert form["customer_email"] == ["lucia@latuerca.mx"]
    session = CheckoutSession.objects.get()
    assert response["Location"] == session.url  # Stripe's page shows the voucher
    assert (session.method, session.provider) == ("cash", "stripe")


def test_mx_bank_transfer_needs_a_customer_created_once(
    fake_stripe, stripe_rails, invoice_a, portal_client
):
    pay(portal_client, invoice_a.customer, [invoice_a], "spei")
    (customer_path, customer_form), (path, form) = fake_stripe.requests
    assert customer_path == "/v1/customers"
    assert (customer_form["email"], customer_form["name"]) == (
        ["lucia@latuerca.mx"],
        ["Ferretería La Tuerca"],
    )
    assert path == "/v1/checkout/sessions"
    assert form["customer"] == ["cus_test_1"]
    assert form["payment_method_types[0]"] == ["customer_balance"]
    assert form["payment_method_options[customer_balance][funding_type]"] == ["bank_transfer"]
    assert form["payment_method_options[customer_balance][bank_transfer][type]"] == [
        "mx_bank_transfer"
    ]
    assert "customer_email" not in form
    pay(portal_client, invoice_a.customer, [invoice_a], "spei")
    assert [p for p, _f in fake_stripe.requests] == [
        "/v1/customers",
        "/v1/checkout/sessions",
        "/v1/checkout/sessions",  # the Stripe Customer (and its CLABE) is reused
    ]
    assert fake_stripe.requests[2][1]["customer"] == ["cus_test_1"]


def test_issued_voucher_pays_nothing_until_async_success_once(
    fake_stripe, stripe_rails, invoice_a, portal_client, client
):
    pay(portal_client, invoice_a.customer, [invoice_a], "cash")
    session = CheckoutSession.objects.get()
    issued = session_event(
        "checkout.session.completed", session.session_id, event_id="evt_a", payment_status="unpaid"
    )
    assert answer(post_webhook(client, *signed(issued))) == ("queued", "ignored")
    assert (Payment.objects.count(), CheckoutSession.objects.get().status) == (0, "open")
    succeeded = session_event(
        "checkout.session.async_payment_succeeded", session.session_id, event_id="evt_b"
    )
    answers = [answer(post_webhook(client, *signed(succeeded))) for _ in range(3)]
    assert answers == [("queued", "recorded"), ("duplicate", None), ("duplicate", None)]
    payment = Payment.objects.get()
    assert (payment.method, payment.amount, payment.external_id) == (
        "cash",
        Decimal("11600.00"),
        "stripe:pi_evt_b",
    )
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("0.00")
    assert ProviderEvent.objects.count() == 2


@pytest.mark.parametrize(
    "kind", ["checkout.session.async_payment_failed", "checkout.session.expired"]
)
def test_expired_or_failed_voucher_expires_the_checkout(
    fake_stripe, stripe_rails, invoice_a, portal_client, client, kind
):
    pay(portal_client, invoice_a.customer, [invoice_a], "cash")
    session = CheckoutSession.objects.get()
    event = session_event(kind, session.session_id, event_id="evt_x", payment_status="unpaid")
    assert answer(post_webhook(client, *signed(event))) == ("queued", "expired")
    assert CheckoutSession.objects.get().status == "expired"
    assert (Payment.objects.count(), Allocation.objects.count()) == (0, 0)
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("11600.00")
    assert answer(post_webhook(client, *signed(event))) == ("duplicate", None)


def test_bank_transfer_success_is_a_transfer_payment(
    fake_stripe, stripe_rails, invoice_a, portal_client, client
):
    pay(portal_client, invoice_a.customer, [invoice_a], "spei")
    session = CheckoutSession.objects.get()
    event = session_event(
        "checkout.session.async_payment_succeeded", session.session_id, event_id="evt_t"
    )
    assert answer(post_webhook(client, *signed(event))) == ("queued", "recorded")
    assert Payment.objects.get().method == "transfer"


def test_statement_offers_each_enabled_method(fake_stripe, stripe_rails, invoice_a, portal_client):
    page = portal_client(invoice_a.customer).get("/p/").content.decode()
    assert "Pagar con tarjeta" in page  # card_provider defaults to Stripe
    assert "Pagar en OXXO" in page and "Transferencia SPEI" in page
    PortalSettings.objects.filter(organization=stripe_rails).update(
        card_provider="", spei_provider=""
    )
    page = portal_client(invoice_a.customer).get("/p/").content.decode()
    assert "Pagar en OXXO" in page
    assert "Pagar con tarjeta" not in page and "Transferencia SPEI" not in page


def test_method_not_offered_is_404(fake_stripe, stripe_rails, invoice_a, portal_client):
    PortalSettings.objects.filter(organization=stripe_rails).update(cash_provider="")
    assert pay(portal_client, invoice_a.customer, [invoice_a], "cash").status_code == 404
    assert CheckoutSession.objects.count() == 0 and fake_stripe.requests == []
