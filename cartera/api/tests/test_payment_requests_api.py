"""Payment requests ("cobros") through the API: the portal's service, its checks and its
link; lists filtered and paginated; another organisation's request is not found."""

import json

import pytest

from cartera.payments.models import PaymentRequest
from cartera.payments.payment_requests import create_request
from cartera.portal.models import PortalSettings
from cartera.timeline.models import Activity

from .conftest import bearer


@pytest.fixture
def rails(org_a):
    PortalSettings.objects.create(
        organization=org_a,
        card_provider="stripe",
        cash_provider="stripe",
        stripe_secret_key="sk_test_123",
        stripe_webhook_secret="whsec_test",
    )
    return org_a


def _post(client, body, secret):
    return client.post(
        "/api/v1/payment-requests",
        json.dumps(body),
        content_type="application/json",
        **bearer(secret),
    )


def test_create_then_read_a_payment_request(
    client, rails, owner_a, write_token_a, read_token_a, debtor_a, invoice_a, second_invoice_a
):
    answer = _post(
        client,
        {
            "customer_id": debtor_a.pk,
            "invoice_ids": [invoice_a.pk, second_invoice_a.pk],
            "amount": "10000.00",
            "methods": ["card"],
            "expires_on": "2099-01-01",
        },
        write_token_a,
    )
    assert answer.status_code == 422  # more than 90 days ahead
    assert answer.json()["errors"][0]["field"] == "expires_on"
    assert not PaymentRequest.objects.exists()

    answer = _post(
        client,
        {
            "customer_id": debtor_a.pk,
            "invoice_ids": [invoice_a.pk, second_invoice_a.pk],
            "amount": "10000.00",
            "methods": ["card"],
        },
        write_token_a,
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    created = PaymentRequest.objects.get()
    assert body["id"] == created.pk and created.created_by == owner_a
    assert (body["amount"], body["remaining"], body["currency"]) == ("10000.00", "10000.00", "MXN")
    assert body["invoice_ids"] == [invoice_a.pk, second_invoice_a.pk]
    assert body["methods"] == ["card"] and body["status"] == "open"
    assert body["url"].endswith("/") and body["hint"] in body["url"]
    assert Activity.objects.filter(data__payment_request_id=created.pk).count() == 1

    read = client.get(f"/api/v1/payment-requests/{created.pk}", **bearer(read_token_a))
    assert read.status_code == 200
    assert "url" not in read.json() and read.json()["invoice_ids"] == body["invoice_ids"]
    listed = client.get(
        f"/api/v1/payment-requests?status=open&customer_id={debtor_a.pk}&limit=1",
        **bearer(read_token_a),
    ).json()
    assert [row["id"] for row in listed["items"]] == [created.pk]
    assert listed["next_cursor"] is None
    paid = client.get("/api/v1/payment-requests?status=paid", **bearer(read_token_a)).json()
    assert paid["items"] == []


def test_refusals_change_nothing(
    client, rails, write_token_a, read_token_a, debtor_a, invoice_a, invoice_b
):
    cases = [
        ({"invoice_ids": [invoice_a.pk], "methods": ["spei"]}, "methods"),  # not turned on
        ({"invoice_ids": [invoice_b.pk], "methods": ["card"]}, "invoice_ids"),  # org B's
        ({"invoice_ids": [invoice_a.pk], "methods": ["card"], "amount": "99999.00"}, "amount"),
    ]
    for body, field in cases:
        answer = _post(client, {"customer_id": debtor_a.pk, **body}, write_token_a)
        assert answer.status_code == 422, body
        assert answer.json()["errors"][0]["field"] == field
    read_only = _post(
        client,
        {"customer_id": debtor_a.pk, "invoice_ids": [invoice_a.pk], "methods": ["card"]},
        read_token_a,
    )
    assert read_only.status_code == 403
    assert not PaymentRequest.objects.exists()


def test_another_organisations_request_is_not_found(
    client, rails, owner_a, write_token_b, debtor_a, invoice_a
):
    created, _raw = create_request(
        user=owner_a,
        customer=debtor_a,
        invoices=[invoice_a],
        methods=["card"],
        enabled_methods=["card"],
        today=invoice_a.issue_date,
    )
    answer = client.get(f"/api/v1/payment-requests/{created.pk}", **bearer(write_token_b))
    assert answer.status_code == 404
    listed = client.get("/api/v1/payment-requests", **bearer(write_token_b)).json()
    assert listed["items"] == []


def test_cancel_an_open_request_once(
    client, rails, owner_a, write_token_a, read_token_a, write_token_b, debtor_a, invoice_a
):
    created, _raw = create_request(
        user=owner_a,
        customer=debtor_a,
        invoices=[invoice_a],
        methods=["card"],
        enabled_methods=["card"],
        today=invoice_a.issue_date,
    )
    path = f"/api/v1/payment-requests/{created.pk}/cancel"
    assert client.post(path, **bearer(read_token_a)).status_code == 403
    assert client.post(path, **bearer(write_token_b)).status_code == 404
    created.refresh_from_db()
    assert created.status == "open"

    answer = client.post(path, **bearer(write_token_a))
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "cancelled"
    created.refresh_from_db()
    assert created.status == "cancelled" and created.cancelled_at is not None
    entries = Activity.objects.filter(data__payment_request_id=created.pk).order_by("pk")
    assert [entry.summary for entry in entries][1:] == [
        "Solicitud de pago por 11,600.00 MXN cancelada"
    ]

    again = client.post(path, **bearer(write_token_a))
    assert again.status_code == 422
    assert again.json()["errors"] == [
        {"field": "", "message": "Solo se puede cancelar una solicitud abierta."}
    ]
    assert Activity.objects.filter(data__payment_request_id=created.pk).count() == 2
