"""Conekta: OXXO cash and SPEI orders against a local fake API; webhooks signed with
the fake's RSA key (DIGEST) and read back with GET /orders/{id}."""

import datetime as dt
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from cartera.invoices.models import Invoice
from cartera.payments.models import Allocation, CheckoutSession, Payment, ProviderEvent
from cartera.payments.online import start_checkout
from cartera.payments.providers.registry import provider_for_method
from cartera.portal.models import PortalSettings
from cartera.testing.fake_conekta import ACCEPT, FakeConekta
from cartera.testing.tasks import answer, post_provider_webhook

KEY = "key_test_conekta"


@pytest.fixture
def fake_conekta(settings):
    with FakeConekta(private_key=KEY) as server:
        settings.CARTERA_CONEKTA_API_URL = server.url
        yield server


@pytest.fixture
def conekta_org(org_a, fake_conekta):
    PortalSettings.objects.create(
        organization=org_a,
        card_provider="",
        cash_provider="conekta",
        spei_provider="conekta",
        conekta_private_key=KEY,
        conekta_webhook_public_key=fake_conekta.public_key_pem,
    )
    return org_a


def post_event(client, body, digest, slug="norte"):
    return post_provider_webhook(client, f"/p/webhooks/conekta/{slug}/", body, HTTP_DIGEST=digest)


def counts():
    return (Payment.objects.count(), Allocation.objects.count(), ProviderEvent.objects.count())


def open_order(portal_client, customer, invoices, method="cash"):
    client = portal_client(customer)
    response = client.post("/p/pagar/", {"invoices": [i.pk for i in invoices], "method": method})
    return client, response, CheckoutSession.objects.get()


def test_oxxo_order_shape_and_voucher(fake_conekta, conekta_org, invoice_a, portal_client):
    client, response, session = open_order(portal_client, invoice_a.customer, [invoice_a])
    request = fake_conekta.requests[0]
    assert (request["method"], request["path"]) == ("POST", "/orders")
    assert request["headers"]["Accept"] == ACCEPT
    assert request["headers"]["Authorization"] == f"Bearer {KEY}"
    body = request["body"]
    assert body["line_items"] == [{"name": "Facturas A-100", "unit_price": 1160000, "quantity": 1}]
    assert body["currency"] == "MXN"
    charge = body["charges"][0]["payment_method"]
    assert charge["type"] == "cash"
    assert charge["expires_at"] == int(session.expires_at.timestamp())
    order = fake_conekta.orders[session.session_id]
    method = order["charges"]["data"][0]["payment_method"]
    assert (session.method, session.voucher_reference, session.barcode_url) == (
        "cash",
        method["reference"],
        method["barcode_url"],
    )
    assert response["Location"] == f"/p/cobros/{session.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert method["reference"] in page and method["barcode_url"] in page
    assert "11,600.00\xa0MXN" in page


def test_spei_order_shows_the_clabe(fake_conekta, conekta_org, invoice_a, portal_client):
    client, response, session = open_order(
        portal_client, invoice_a.customer, [invoice_a], method="spei"
    )
    assert fake_conekta.requests[0]["body"]["charges"][0]["payment_method"]["type"] == "spei"
    assert (session.method, session.clabe) == ("spei", "646180111812345678")
    assert "646180111812345678" in client.get(response["Location"]).content.decode()


def test_paid_order_delivered_three_times_records_one_payment(
    fake_conekta, conekta_org, invoice_a, portal_client, client
):
    _c, _r, session = open_order(portal_client, invoice_a.customer, [invoice_a])
    fake_conekta.pay(session.session_id)
    body, digest = fake_conekta.event(session.session_id, "order.paid")
    answers = [answer(post_event(client, body, digest)) for _ in range(3)]
    assert answers == [("queued", "recorded"), ("duplicate", None), ("duplicate", None)]
    # charge.paid for the same order: the checkout is already paid.
    charge_body, charge_digest = fake_conekta.event(session.session_id, "charge.paid")
    assert answer(post_event(client, charge_body, charge_digest)) == ("queued", "ignored")
    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.external_id) == (
        Decimal("11600.00"),
        "cash",
        f"conekta:{session.session_id}",
    )
    assert Invoice.objects.get(pk=invoice_a.pk).status == "paid"
    # read back once per distinct event: a duplicate delivery is answered from the inbox
    reads = [r["path"] for r in fake_conekta.requests if r["method"] == "GET"]
    assert reads == [f"/orders/{session.session_id}"] * 2


@pytest.mark.parametrize("how", ["other_key", "tampered", "missing", "not_base64"])
def test_bad_digest_is_rejected_and_nothing_changes(
    fake_conekta, conekta_org, invoice_a, portal_client, client, how
):
    _c, _r, session = open_order(portal_client, invoice_a.customer, [invoice_a])
    fake_conekta.pay(session.session_id)
    body, digest = fake_conekta.event(session.session_id, "order.paid")
    if how == "other_key":
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        digest = fake_conekta.sign(body, key=other)
    if how == "tampered":
        body = body.replace(b"1160000", b"1160001")
    if how == "missing":
        digest = ""
    if how == "not_base64":
        digest = "***"
    response = post_event(client, body, digest)
    assert (response.status_code, response.content) == (400, b"bad signature")
    assert counts() == (0, 0, 0)
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("11600.00")
    assert [r for r in fake_conekta.requests if r["method"] == "GET"] == []


def test_a_signed_paid_event_for_an_unpaid_order_pays_nothing(
    fake_conekta, conekta_org, invoice_a, portal_client, client
):
    _c, _r, session = open_order(portal_client, invoice_a.customer, [invoice_a])
    body, digest = fake_conekta.event(session.session_id, "order.paid")  # not paid at Conekta
    assert answer(post_event(client, body, digest)) == ("queued", "ignored")
    assert Payment.objects.count() == 0
    assert CheckoutSession.objects.get().status == "open"


def test_expired_voucher_expires_the_checkout(
    fake_conekta, conekta_org, invoice_a, portal_client, client
):
    _c, _r, session = open_order(portal_client, invoice_a.customer, [invoice_a])
    fake_conekta.expire(session.session_id)
    response = post_event(client, *fake_conekta.event(session.session_id, "order.expired"))
    assert answer(response) == ("queued", "expired")
    assert CheckoutSession.objects.get().status == "expired"
    assert (Payment.objects.count(), Allocation.objects.count()) == (0, 0)
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("11600.00")


@pytest.mark.parametrize(
    ("cents", "balance", "credit"),
    [(500000, Decimal("6600.00"), Decimal("0.00")), (1200000, Decimal("0.00"), Decimal("400.00"))],
)
def test_spei_records_what_arrived(
    fake_conekta, conekta_org, invoice_a, portal_client, client, cents, balance, credit
):
    _c, _r, session = open_order(portal_client, invoice_a.customer, [invoice_a], method="spei")
    fake_conekta.pay(session.session_id, amount=cents)
    assert answer(post_event(client, *fake_conekta.event(session.session_id))) == (
        "queued",
        "recorded",
    )
    payment = Payment.objects.get()
    assert (payment.method, payment.amount, payment.unallocated) == (
        "transfer",
        Decimal(cents) / 100,
        credit,
    )
    assert Invoice.objects.get(pk=invoice_a.pk).balance == balance


def test_org_b_cannot_pay_org_a_order(
    fake_conekta, conekta_org, org_b, invoice_a, portal_client, client
):
    PortalSettings.objects.create(
        organization=org_b,
        cash_provider="conekta",
        conekta_private_key=KEY,
        conekta_webhook_public_key=fake_conekta.public_key_pem,
    )
    _c, _r, session = open_order(portal_client, invoice_a.customer, [invoice_a])
    fake_conekta.pay(session.session_id)
    response = post_event(client, *fake_conekta.event(session.session_id), slug="sur")
    assert answer(response) == ("queued", "ignored")
    assert Payment.objects.count() == 0
    assert CheckoutSession.objects.get().status == "open"


def test_expiry_sent_to_conekta_is_three_days_after_now(fake_conekta, conekta_org, invoice_a):
    now = dt.datetime(2026, 12, 3, 18, 0, tzinfo=dt.UTC)
    provider = provider_for_method("cash", conekta_org.portal_settings)
    session = start_checkout(
        provider=provider,
        customer=invoice_a.customer,
        invoices=[invoice_a],
        success_url="https://x/",
        cancel_url="https://x/",
        method="cash",
        now=now,
    )
    sent = fake_conekta.requests[0]["body"]["charges"][0]["payment_method"]["expires_at"]
    assert sent == int(dt.datetime(2026, 12, 6, 18, 0, tzinfo=dt.UTC).timestamp())
    assert session.expires_at == dt.datetime(2026, 12, 6, 18, 0, tzinfo=dt.UTC)


def test_a_voucher_is_shown_only_to_its_customer(
    fake_conekta, conekta_org, invoice_a, debtor_b, portal_client
):
    _c, response, session = open_order(portal_client, invoice_a.customer, [invoice_a])
    other = portal_client(debtor_b)  # the same browser, now as org B's debtor
    page = other.get(f"/p/cobros/{session.pk}/")
    assert page.status_code == 404
    assert session.voucher_reference not in page.content.decode()
