"""Mercado Pago: Checkout Pro preference (card) and OXXO cash payments against a local
fake API; signed webhooks read back with GET /v1/payments/{id}."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from cartera.invoices.models import Invoice
from cartera.payments.inbox import process_notification, retry_queued
from cartera.payments.models import Allocation, CheckoutSession, Payment, ProviderEvent
from cartera.payments.providers.mercadopago import sign
from cartera.payments.providers.registry import provider_for
from cartera.portal.access import settings_for
from cartera.portal.models import PortalSettings
from cartera.portal.tasks import process_provider_event
from cartera.testing.fake_mercadopago import FakeMercadoPago
from cartera.testing.tasks import (
    PROCESS_PROVIDER_EVENT,
    answer,
    committing,
    post_provider_webhook,
    queued_jobs,
    run_queued_jobs,
)

TOKEN = "APP_USR-test-token"
SECRET = "mp-webhook-secret"


@pytest.fixture
def fake_mp(settings):
    with FakeMercadoPago(access_token=TOKEN) as server:
        settings.CARTERA_MERCADOPAGO_API_URL = server.url
        yield server


@pytest.fixture
def mp_org(org_a):
    PortalSettings.objects.create(
        organization=org_a,
        card_provider="mercadopago",
        cash_provider="mercadopago",
        mercadopago_access_token=TOKEN,
        mercadopago_webhook_secret=SECRET,
    )
    return org_a


def post_notification(client, body, query, headers, slug="norte"):
    return post_provider_webhook(
        client,
        f"/p/webhooks/mercadopago/{slug}/?data.id={query['data.id']}&type={query['type']}",
        body,
        HTTP_X_SIGNATURE=headers.get("x-signature", ""),
        HTTP_X_REQUEST_ID=headers.get("x-request-id", ""),
    )


def counts():
    return (Payment.objects.count(), Allocation.objects.count(), ProviderEvent.objects.count())


def open_voucher(portal_client, customer, invoices):
    client = portal_client(customer)
    response = client.post("/p/pagar/", {"invoices": [i.pk for i in invoices], "method": "cash"})
    return client, response


def voucher_payment_id(fake_mp):
    (payment_id,) = fake_mp.payments
    return payment_id


def test_card_opens_a_preference_for_our_amount(fake_mp, mp_org, invoice_a, portal_client):
    client = portal_client(invoice_a.customer)
    response = client.post("/p/pagar/", {"invoices": [invoice_a.pk], "method": "card"})
    session = CheckoutSession.objects.get()
    request = fake_mp.requests[0]
    assert (request["method"], request["path"]) == ("POST", "/checkout/preferences")
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["X-Idempotency-Key"] == session.session_id
    item = request["body"]["items"][0]
    assert (item["unit_price"], item["currency_id"], item["quantity"]) == (
        Decimal("11600.00"),
        "MXN",
        1,
    )
    assert request["body"]["external_reference"] == session.session_id
    assert request["body"]["payment_methods"]["excluded_payment_types"] == [
        {"id": "ticket"},
        {"id": "atm"},
    ]
    assert response.status_code == 302
    assert response["Location"].startswith("https://www.mercadopago.com.mx/checkout/v1/redirect")
    assert (session.provider, session.method, session.amount) == (
        "mercadopago",
        "card",
        Decimal("11600.00"),
    )


def test_oxxo_payment_is_created_with_an_idempotency_key_and_shown(
    fake_mp, mp_org, invoice_a, portal_client
):
    client, response = open_voucher(portal_client, invoice_a.customer, [invoice_a])
    session = CheckoutSession.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/p/cobros/{session.pk}/")
    request = fake_mp.requests[0]
    assert (request["method"], request["path"]) == ("POST", "/v1/payments")
    assert request["headers"]["X-Idempotency-Key"] == session.session_id
    body = request["body"]
    assert (body["payment_method_id"], body["transaction_amount"], body["payer"]) == (
        "oxxo",
        Decimal("11600.00"),
        {"email": "lucia@latuerca.mx"},
    )
    assert body["external_reference"] == session.session_id
    payment = fake_mp.payments[voucher_payment_id(fake_mp)]
    reference = payment["transaction_details"]["payment_method_reference_id"]
    assert (session.method, session.voucher_reference, session.status) == (
        "cash",
        reference,
        "open",
    )
    assert session.expires_at is not None
    page = client.get(response["Location"]).content.decode()
    assert reference in page
    assert "11,600.00\xa0MXN" in page
    assert payment["transaction_details"]["external_resource_url"] in page


def test_approved_payment_notified_three_times_is_recorded_once(
    fake_mp, mp_org, invoice_a, portal_client, client
):
    open_voucher(portal_client, invoice_a.customer, [invoice_a])
    payment_id = voucher_payment_id(fake_mp)
    created = post_notification(
        client, *fake_mp.notification(payment_id, SECRET, action="payment.created")
    )
    assert (created.status_code, answer(created)) == (200, ("queued", "ignored"))  # pending
    assert Payment.objects.count() == 0
    fake_mp.set_status(payment_id, "approved")
    notification = fake_mp.notification(payment_id, SECRET)
    answers = [answer(post_notification(client, *notification)) for _ in range(3)]
    assert answers == [("queued", "recorded"), ("duplicate", None), ("duplicate", None)]
    # another notification of the same approved payment: read back, the checkout is paid
    again = post_notification(client, *fake_mp.notification(payment_id, SECRET))
    assert answer(again) == ("queued", "ignored")
    payment = Payment.objects.get()
    assert (
        payment.amount,
        payment.method,
        payment.source,
        payment.external_id,
        payment.unallocated,
    ) == (Decimal("11600.00"), "cash", "provider", f"mercadopago:{payment_id}", Decimal("0.00"))
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("0.00")
    assert CheckoutSession.objects.get().status == "completed"
    reads = [r for r in fake_mp.requests if r["method"] == "GET"]
    # read back once per distinct notification: a duplicate delivery is answered from the inbox
    assert [r["path"] for r in reads] == [f"/v1/payments/{payment_id}"] * 3


@pytest.mark.parametrize("how", ["wrong_secret", "other_data_id", "no_signature", "no_request_id"])
def test_bad_signature_is_rejected_and_nothing_changes(
    fake_mp, mp_org, invoice_a, portal_client, client, how
):
    open_voucher(portal_client, invoice_a.customer, [invoice_a])
    payment_id = voucher_payment_id(fake_mp)
    fake_mp.set_status(payment_id, "approved")
    body, query, headers = fake_mp.notification(
        payment_id, "other-secret" if how == "wrong_secret" else SECRET
    )
    if how == "other_data_id":
        other = fake_mp.add_payment(external_reference="x", amount=Decimal("1.00"))
        query = {**query, "data.id": other}
    if how == "no_signature":
        headers = {**headers, "x-signature": ""}
    if how == "no_request_id":
        headers = {**headers, "x-request-id": ""}
    response = post_notification(client, body, query, headers)
    assert (response.status_code, response.content) == (400, b"bad signature")
    assert counts() == (0, 0, 0)
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("11600.00")
    assert CheckoutSession.objects.get().status == "open"
    assert [r for r in fake_mp.requests if r["method"] == "GET"] == []  # nothing read back


def test_rejected_payment_expires_the_checkout_and_pays_nothing(
    fake_mp, mp_org, invoice_a, portal_client, client
):
    open_voucher(portal_client, invoice_a.customer, [invoice_a])
    payment_id = voucher_payment_id(fake_mp)
    fake_mp.set_status(payment_id, "expired")
    body, query, headers = fake_mp.notification(payment_id, SECRET)
    response = post_notification(client, body, query, headers)
    assert (response.status_code, answer(response)) == (200, ("queued", "expired"))
    assert CheckoutSession.objects.get().status == "expired"
    assert (Payment.objects.count(), Allocation.objects.count()) == (0, 0)
    stored = ProviderEvent.objects.get()
    assert stored.event_id == f"payment:{payment_id}:{json.loads(body)['id']}"
    assert (stored.kind, stored.payload["payment"]["status"]) == ("checkout.expired", "expired")
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("11600.00")


@pytest.mark.parametrize(
    ("paid", "balances", "credit"),
    [
        (Decimal("6000.00"), (Decimal("5600.00"), Decimal("5000.00")), Decimal("0.00")),
        (Decimal("20000.00"), (Decimal("0.00"), Decimal("0.00")), Decimal("3400.00")),
    ],
)
def test_cash_records_what_arrived_partial_or_more(
    fake_mp, mp_org, invoice_a, second_invoice_a, portal_client, client, paid, balances, credit
):
    open_voucher(portal_client, invoice_a.customer, [invoice_a, second_invoice_a])
    assert CheckoutSession.objects.get().amount == Decimal("16600.00")
    payment_id = voucher_payment_id(fake_mp)
    fake_mp.set_status(payment_id, "approved", amount=paid)
    response = post_notification(client, *fake_mp.notification(payment_id, SECRET))
    assert answer(response) == ("queued", "recorded")
    payment = Payment.objects.get()
    assert (payment.amount, payment.unallocated) == (paid, credit)
    assert (
        Invoice.objects.get(pk=invoice_a.pk).balance,
        Invoice.objects.get(pk=second_invoice_a.pk).balance,
    ) == balances


def test_card_payment_of_another_amount_is_kept_for_review(
    fake_mp, mp_org, invoice_a, portal_client, client
):
    portal_client(invoice_a.customer).post(
        "/p/pagar/", {"invoices": [invoice_a.pk], "method": "card"}
    )
    session = CheckoutSession.objects.get()
    payment_id = fake_mp.add_payment(
        external_reference=session.session_id, amount=Decimal("100.00")
    )
    response = post_notification(client, *fake_mp.notification(payment_id, SECRET))
    assert answer(response) == ("queued", "rejected")
    assert Payment.objects.count() == 0
    assert ProviderEvent.objects.get().problem == (
        "El proveedor informó 100.00 MXN; el cobro era por 11600.00 MXN."
    )


def test_org_b_webhook_cannot_touch_org_a(fake_mp, mp_org, org_b, invoice_a, portal_client, client):
    PortalSettings.objects.create(
        organization=org_b,
        card_provider="mercadopago",
        mercadopago_access_token=TOKEN,
        mercadopago_webhook_secret="secret-of-b",
    )
    open_voucher(portal_client, invoice_a.customer, [invoice_a])
    payment_id = voucher_payment_id(fake_mp)
    fake_mp.set_status(payment_id, "approved")
    signed_by_a = fake_mp.notification(payment_id, SECRET)
    assert post_notification(client, *signed_by_a, slug="sur").status_code == 400
    # Signed with B's own secret, the payment still belongs to no checkout of B.
    response = post_notification(
        client, *fake_mp.notification(payment_id, "secret-of-b"), slug="sur"
    )
    assert answer(response) == ("queued", "ignored")
    assert Payment.objects.count() == 0
    assert CheckoutSession.objects.get().status == "open"
    assert ProviderEvent.objects.get().organization_id == org_b.pk


def test_malformed_body_with_a_good_signature_is_refused(fake_mp, mp_org, client):
    body, query, headers = fake_mp.notification("123", SECRET)
    response = post_notification(client, "not json", query, headers)
    assert response.status_code == 400
    assert counts() == (0, 0, 0)
    json.loads(body)  # the fake's own body is JSON


def _approved_and_delivered(fake_mp, invoice_a, portal_client, client):
    """An approved voucher payment whose notification was answered, its job not yet run."""
    open_voucher(portal_client, invoice_a.customer, [invoice_a])
    payment_id = voucher_payment_id(fake_mp)
    fake_mp.set_status(payment_id, "approved")
    body, query, headers = fake_mp.notification(payment_id, SECRET)
    with committing():
        response = client.post(
            f"/p/webhooks/mercadopago/norte/?data.id={payment_id}&type=payment",
            body,
            content_type="application/json",
            HTTP_X_SIGNATURE=headers["x-signature"],
            HTTP_X_REQUEST_ID=headers["x-request-id"],
        )
    assert (response.status_code, response.content) == (200, b"queued")
    stored = ProviderEvent.objects.get()
    assert (stored.outcome, stored.kind, stored.payload["data_id"]) == (
        "queued",
        "payment",
        payment_id,
    )
    assert queued_jobs(PROCESS_PROVIDER_EVENT) == [{"event_id": stored.pk}]
    assert Payment.objects.count() == 0  # nothing read back or recorded yet
    assert [r for r in fake_mp.requests if r["method"] == "GET"] == []
    return stored


def test_the_job_run_twice_or_by_two_workers_records_one_payment(
    fake_mp, mp_org, invoice_a, portal_client, client
):
    stored = _approved_and_delivered(fake_mp, invoice_a, portal_client, client)
    provider = provider_for("mercadopago", settings_for(mp_org))

    class OtherWorkerFinishesDuringTheReadBack:
        name = provider.name

        def resolve(self, notification):
            assert process_provider_event.call(event_id=stored.pk) == {"outcome": "recorded"}
            return provider.resolve(notification)

    racing = OtherWorkerFinishesDuringTheReadBack()
    assert process_notification(event_pk=stored.pk, provider=racing) == "recorded"
    assert run_queued_jobs(PROCESS_PROVIDER_EVENT) == [{"outcome": "recorded"}]
    payment = Payment.objects.get()
    assert (payment.amount, Allocation.objects.count()) == (Decimal("11600.00"), 1)
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("0.00")
    stored.refresh_from_db()
    assert (stored.outcome, stored.kind) == ("recorded", "checkout.completed")
    # two read-backs (both workers); the queued job found the event done and read nothing
    assert len([r for r in fake_mp.requests if r["method"] == "GET"]) == 2


def test_an_unreachable_provider_leaves_the_notification_queued_until_a_retry(
    settings, fake_mp, mp_org, invoice_a, portal_client, client
):
    stored = _approved_and_delivered(fake_mp, invoice_a, portal_client, client)
    settings.CARTERA_MERCADOPAGO_API_URL = "http://127.0.0.1:9"  # nothing listens there
    assert run_queued_jobs(PROCESS_PROVIDER_EVENT) == [{"outcome": "queued"}]
    stored.refresh_from_db()
    assert stored.outcome == "queued"
    assert stored.problem.startswith("read-back failed: Mercado Pago unreachable")
    assert Payment.objects.count() == 0
    # the provider's own retry is a duplicate: acknowledged, nothing new queued
    body, query, headers = fake_mp.notification(stored.payload["data_id"], SECRET)
    headers["x-request-id"] = "other-delivery"
    body = json.dumps({**json.loads(body), "id": stored.payload["body"]["id"]})
    headers["x-signature"] = "ts=1742505638683,v1=" + sign(
        SECRET, data_id=stored.payload["data_id"], request_id="other-delivery", ts="1742505638683"
    )
    assert answer(post_notification(client, body, query, headers)) == ("duplicate", None)
    # the scheduler's retry picks it up once it has waited five minutes
    assert retry_queued(now=stored.received_at + dt.timedelta(minutes=4)) == 0
    assert queued_jobs(PROCESS_PROVIDER_EVENT) == []
    assert retry_queued(now=stored.received_at + dt.timedelta(minutes=5)) == 1
    assert queued_jobs(PROCESS_PROVIDER_EVENT) == [{"event_id": stored.pk}]
    settings.CARTERA_MERCADOPAGO_API_URL = fake_mp.url
    assert run_queued_jobs(PROCESS_PROVIDER_EVENT) == [{"outcome": "recorded"}]
    stored.refresh_from_db()
    assert (stored.outcome, stored.problem) == ("recorded", "")
    assert Payment.objects.get().amount == Decimal("11600.00")
    assert retry_queued(now=stored.received_at + dt.timedelta(minutes=10)) == 0
