"""Debtor actions and code e-mails are capped per customer; revoking a customer's access
closes per-message links and open sessions; lock-outs key on the real client address."""

import datetime as dt

import pytest
from django.test import RequestFactory

from cartera.lib.clients import client_ip
from cartera.outreach.models import Message
from cartera.payments.models import Payment
from cartera.portal import access
from cartera.portal.models import PortalCode, PortalSettings


def _message(customer, key="dun-20261005-email-1"):
    return Message.objects.create(
        organization=customer.organization,
        key=key,
        customer=customer,
        channel="email",
        as_of=dt.date(2026, 10, 5),
        scheduled_for=dt.datetime.now(dt.UTC),
        status="sent",
    )


def _message_path(customer, message) -> str:
    link = access.message_link(organization_id=customer.organization_id, message_key=message.key)
    return "/p/m/" + link.split("/p/m/")[1]


def test_code_emails_stop_at_the_hourly_cap(client, debtor_a, invoice_a):
    PortalSettings.objects.create(organization=debtor_a.organization, require_code=True)
    client.get(f"/p/{access.issue_token(customer=debtor_a, actor=None)}/")
    limit = access.DEBTOR_ACTION_LIMITS["code"]
    answers = [client.post("/p/codigo/", {"action": "send"}).status_code for _ in range(limit)]
    assert answers == [302] * limit
    refused = client.post("/p/codigo/", {"action": "send"})
    assert (refused.status_code, refused["Retry-After"]) == (429, "3600")
    assert "Demasiadas solicitudes" in refused.content.decode()
    assert Message.objects.filter(purpose="access_code").count() == limit
    assert PortalCode.objects.count() == limit


def test_reported_payments_stop_at_the_hourly_cap(portal_client, invoice_a):
    client = portal_client(invoice_a.customer)
    form = {"invoices": [invoice_a.pk], "date": "2026-10-04", "method": "transfer"}
    limit = access.DEBTOR_ACTION_LIMITS["report"]
    for n in range(limit):
        assert client.post("/p/pago/", {**form, "reference": f"R{n}"}).status_code == 302
    assert client.post("/p/pago/", {**form, "reference": "extra"}).status_code == 429
    assert Payment.objects.count() == limit
    assert client.get("/p/pago/").status_code == 200  # reading is never limited


def test_limits_are_per_customer(portal_client, invoice_a, debtor_b, client):
    for _ in range(access.DEBTOR_ACTION_LIMITS["report"]):
        access.allow_debtor_action(invoice_a.customer_id, "report")
    assert not access.allow_debtor_action(invoice_a.customer_id, "report")
    assert access.allow_debtor_action(debtor_b.pk, "report")


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_closing_access_ends_message_links_and_their_sessions(client, debtor_a, invoice_a, how):
    message = _message(debtor_a)
    path = _message_path(debtor_a, message)
    assert client.get(path).status_code == 302
    assert client.get("/p/").status_code == 200
    if how == "revoked":
        access.issue_token(customer=debtor_a, actor=None)
        access.revoke_tokens(customer=debtor_a, actor=None)
    else:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        access.issue_token(customer=debtor_a, actor=None, expires_at=past)
    assert client.get("/p/").status_code == 404  # the open session ends
    assert client.get(path).status_code == 404  # and the link no longer opens


def test_rotating_the_link_keeps_message_links_working(client, debtor_a, invoice_a):
    access.issue_token(customer=debtor_a, actor=None)
    access.issue_token(customer=debtor_a, actor=None)  # revokes the first, issues a new one
    assert client.get(_message_path(debtor_a, _message(debtor_a))).status_code == 302


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.9", "", "203.0.113.9"),
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),  # untrusted peer: header ignored
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),
        ("10.0.0.2", "1.2.3.4, 198.51.100.7", "198.51.100.7"),  # left part is the client's
        ("10.0.0.2", "198.51.100.7, 10.0.0.5", "198.51.100.7"),  # two proxies
        ("10.0.0.2", "not-an-ip", "10.0.0.2"),
        ("10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_client_address_behind_a_trusted_proxy(settings, peer, forwarded, expected):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_bad_links_behind_the_proxy_lock_out_only_their_sender(settings, client, debtor_a):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    raw = access.issue_token(customer=debtor_a, actor=None)
    attacker = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    for n in range(access.BAD_TOKEN_LIMIT):
        client.get(f"/p/guess-{n}/", **attacker)
    assert client.get(f"/p/{raw}/", **attacker).status_code == 404
    debtor = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.10"}
    assert client.get(f"/p/{raw}/", **debtor).status_code == 302
