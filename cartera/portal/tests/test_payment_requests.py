# ruff: noqa: F811  (the fake_stripe fixture is imported and used as a parameter)
"""Payment requests ("cobros"): creation rules, roles, sending through the outbox, the
debtor's public page, paying through the Stripe fake, the expiry job, tenant isolation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cartera.dunning.request_messages import local_expiry
from cartera.invoices.models import Invoice
from cartera.outreach.models import Message
from cartera.payments import payment_requests as service
from cartera.payments.models import CheckoutSession, Payment, PaymentRequest
from cartera.payments.tasks import expire_payment_requests
from cartera.portal.models import PortalSettings
from cartera.portal.tests.test_online import SECRET, post_webhook, signed
from cartera.portal.tests.test_rails_stripe import fake_stripe, session_event  # noqa: F401
from cartera.testing.tasks import answer
from cartera.timeline.models import Activity

TODAY = dt.date(2026, 10, 20)
NOW = dt.datetime(2026, 10, 20, 18, 0, tzinfo=dt.UTC)


@pytest.fixture
def rails(org_a):
    PortalSettings.objects.create(
        organization=org_a,
        cash_provider="stripe",
        spei_provider="stripe",
        stripe_secret_key="sk_test_123",
        stripe_webhook_secret=SECRET,
    )
    return org_a


def make(user, customer, invoices, **kwargs):
    kwargs.setdefault("methods", ["card", "cash"])
    kwargs.setdefault("enabled_methods", ["card", "cash", "spei"])
    return service.create_request(
        user=user, customer=customer, invoices=invoices, today=TODAY, **kwargs
    )


FAR = dt.datetime(2099, 1, 1, 5, 59, 59, tzinfo=dt.UTC)
PAST = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def make_open(user, customer, invoices, **kwargs):
    """A request whose expiry is far away, so that the real clock never reaches it."""
    request, raw = make(user, customer, invoices, **kwargs)
    PaymentRequest.objects.filter(pk=request.pk).update(expires_at=FAR)
    request.refresh_from_db()
    return request, raw


def request_activities():
    return Activity.objects.filter(data__has_key="payment_request_id").count()


# --- creation --------------------------------------------------------------------------
def test_defaults_are_the_open_balance_and_seven_days_local(agent_a, invoice_a, second_invoice_a):
    request, raw = make(agent_a, invoice_a.customer, [invoice_a, second_invoice_a])
    assert (request.amount, request.currency, request.status) == (
        Decimal("16600.00"),
        "MXN",
        "open",
    )
    # 2026-10-27 23:59:59 in Monterrey (UTC-6) is 2026-10-28 05:59:59 UTC.
    assert request.expires_at == dt.datetime(2026, 10, 28, 5, 59, 59, tzinfo=dt.UTC)
    assert set(request.invoices.all()) == {invoice_a, second_invoice_a}
    assert request.methods == ["card", "cash"]
    assert request.created_by == agent_a
    assert len(raw) == 43 and request.token_hash == service.hash_token(raw)
    assert raw not in request.token_hash and request.hint == raw[:6]
    assert service.find_by_token(raw) == request
    assert request_activities() == 1


def test_partial_amount_is_allowed(agent_a, invoice_a):
    request, _raw = make(agent_a, invoice_a.customer, [invoice_a], amount=Decimal("5000.00"))
    assert request.amount == Decimal("5000.00")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": Decimal("11600.01")}, "amount"),
        ({"amount": Decimal("0")}, "amount"),
        ({"methods": ["spei"], "enabled_methods": ["card"]}, "methods"),
        ({"methods": []}, "methods"),
        ({"expires_on": TODAY - dt.timedelta(days=1)}, "expires_on"),
        ({"expires_on": TODAY + dt.timedelta(days=91)}, "expires_on"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(agent_a, invoice_a, kwargs, field):
    with pytest.raises(ValidationError) as error:
        make(agent_a, invoice_a.customer, [invoice_a], **kwargs)
    assert field in error.value.message_dict
    assert (PaymentRequest.objects.count(), request_activities()) == (0, 0)


def test_amount_above_balance_says_the_balance(agent_a, invoice_a):
    with pytest.raises(ValidationError) as error:
        make(agent_a, invoice_a.customer, [invoice_a], amount=Decimal("20000"))
    assert error.value.message_dict["amount"] == [
        "El importe no puede ser mayor al saldo pendiente (11600.00 MXN)."
    ]


def test_other_tenant_invoices_are_refused(owner_a, invoice_a, invoice_b):
    with pytest.raises(ValidationError) as error:
        make(owner_a, invoice_a.customer, [invoice_a, invoice_b])
    assert error.value.message_dict["invoices"] == ["Las facturas deben ser de este cliente."]
    assert PaymentRequest.objects.count() == 0


def test_paid_invoice_is_refused(agent_a, invoice_a):
    Invoice.objects.filter(pk=invoice_a.pk).update(balance=0)
    invoice_a.refresh_from_db()
    with pytest.raises(ValidationError):
        make(agent_a, invoice_a.customer, [invoice_a])
    assert PaymentRequest.objects.count() == 0


def test_viewer_and_foreign_owner_are_refused(viewer_a, owner_b, invoice_a):
    for user in (viewer_a, owner_b):
        with pytest.raises(PermissionDenied):
            make(user, invoice_a.customer, [invoice_a])
    assert (PaymentRequest.objects.count(), request_activities()) == (0, 0)


def test_agent_only_for_visible_customers(org_a, agent2_a, invoice_a):
    org_a.agents_see_only_assigned = True
    org_a.save()
    with pytest.raises(PermissionDenied):
        make(agent2_a, invoice_a.customer, [invoice_a])
    assert PaymentRequest.objects.count() == 0


# --- back-office views -----------------------------------------------------------------
def test_create_page_creates_sends_and_shows_the_link_once(
    rails, agent_a, invoice_a, login, settings
):
    client = login(agent_a)
    response = client.post(
        f"/payments/requests/customers/{invoice_a.customer_id}/new/",
        {
            "invoices": [invoice_a.pk],
            "amount": "4,000.00",
            "methods": ["cash"],
            "channels": ["email", "sms"],
        },
    )
    assert response.status_code == 200
    request = PaymentRequest.objects.get()
    assert (request.amount, request.methods) == (Decimal("4000.00"), ["cash"])
    url = response.context["url"]
    assert url.startswith(settings.BASE_URL + "/p/cobro/")
    assert service.token_matches(request, url.rsplit("/", 2)[-2])
    messages = Message.objects.order_by("channel")
    assert [(m.channel, m.to, m.key) for m in messages] == [
        ("email", ["lucia@latuerca.mx"], f"payment-request:{request.pk}:email"),
        ("sms", ["+528112345678"], f"payment-request:{request.pk}:sms"),
    ]
    body = messages[0].body_text
    expiry = local_expiry(request).strftime("%d/%m/%Y")  # the short date of es-MX
    assert f"Puede pagar hasta el {expiry} en: {url}" in body
    assert "4,000.00 MXN" in body and "A-100" in body


def test_create_page_refuses_more_than_balance_and_writes_nothing(rails, agent_a, invoice_a, login):
    response = login(agent_a).post(
        f"/payments/requests/customers/{invoice_a.customer_id}/new/",
        {
            "invoices": [invoice_a.pk],
            "amount": "11600.50",
            "methods": ["card"],
            "channels": ["email"],
        },
    )
    assert response.status_code == 200
    assert response.context["errors"] == [
        "El importe no puede ser mayor al saldo pendiente (11600.00 MXN)."
    ]
    assert (PaymentRequest.objects.count(), Message.objects.count()) == (0, 0)


def test_viewer_gets_403_on_the_page(rails, viewer_a, invoice_a, login):
    client = login(viewer_a)
    response = client.post(
        f"/payments/requests/customers/{invoice_a.customer_id}/new/",
        {"invoices": [invoice_a.pk], "methods": ["card"]},
    )
    assert response.status_code == 403
    assert PaymentRequest.objects.count() == 0


def test_sending_twice_queues_one_message_per_channel(rails, agent_a, invoice_a, login):
    request, raw = make_open(agent_a, invoice_a.customer, [invoice_a])
    client = login(agent_a)
    for _ in range(3):
        response = client.post(
            f"/payments/requests/{request.pk}/send/", {"token": raw, "channels": ["email"]}
        )
        assert response.status_code == 200
    assert Message.objects.filter(key=f"payment-request:{request.pk}:email").count() == 1
    assert Message.objects.count() == 1
    # A wrong token sends nothing.
    wrong = client.post(
        f"/payments/requests/{request.pk}/send/", {"token": "x" * 43, "channels": ["sms"]}
    )
    assert wrong.status_code == 400
    assert Message.objects.count() == 1


def test_no_usable_contact_queues_nothing(rails, agent_a, invoice_a, login):
    request, raw = make_open(agent_a, invoice_a.customer, [invoice_a])
    login(agent_a).post(
        f"/payments/requests/{request.pk}/send/", {"token": raw, "channels": ["whatsapp"]}
    )
    assert Message.objects.count() == 0


def test_list_filters_and_cancel(rails, agent_a, owner_b, invoice_a, debtor_b, login):
    first, _r = make(agent_a, invoice_a.customer, [invoice_a], amount=Decimal("100"))
    second, _r = make(agent_a, invoice_a.customer, [invoice_a], amount=Decimal("200"))
    client = login(agent_a)
    assert client.post(f"/payments/requests/{first.pk}/cancel/").status_code == 302
    assert PaymentRequest.objects.get(pk=first.pk).status == "cancelled"
    rows = client.get("/payments/requests/?status=open").context["rows"]
    assert [r.pk for r in rows] == [second.pk]
    assert len(client.get("/payments/requests/").context["rows"]) == 2
    # Another organisation's owner sees none of them and cannot cancel them.
    other = login(owner_b)
    assert len(other.get("/payments/requests/").context["rows"]) == 0
    assert other.post(f"/payments/requests/{second.pk}/cancel/").status_code == 404
    assert PaymentRequest.objects.get(pk=second.pk).status == "open"


def test_customer_page_shows_status(rails, agent_a, invoice_a, login):
    make(agent_a, invoice_a.customer, [invoice_a], amount=Decimal("123.45"))
    page = login(agent_a).get(f"/customers/{invoice_a.customer_id}/").content.decode()
    assert 'id="payment-requests"' in page and "123.45 MXN" in page and "Abierta" in page


# --- the debtor's page -----------------------------------------------------------------
def test_public_page_open(rails, agent_a, invoice_a, client):
    _request, raw = make_open(agent_a, invoice_a.customer, [invoice_a])
    page = client.get(f"/p/cobro/{raw}/").content.decode()
    assert 'data-status="open"' in page
    assert "11,600.00\xa0MXN" in page and "A-100" in page and "Distribuidora Norte" in page
    assert 'data-method="card"' in page and 'data-method="cash"' in page
    assert 'data-method="spei"' not in page


@pytest.mark.parametrize("status", ["paid", "cancelled", "expired"])
def test_public_page_closed_states_offer_no_payment(
    rails,
    agent_a,
    invoice_a,
    client,
    fake_stripe,
    status,
):
    request, raw = make_open(agent_a, invoice_a.customer, [invoice_a])
    PaymentRequest.objects.filter(pk=request.pk).update(status=status)
    page = client.get(f"/p/cobro/{raw}/").content.decode()
    assert f'data-state="{status}"' in page and "data-method" not in page
    response = client.post(f"/p/cobro/{raw}/pagar/", {"method": "card"})
    assert response.status_code == 302
    assert (CheckoutSession.objects.count(), fake_stripe.requests) == (0, [])


def test_past_expiry_shows_expired_before_the_job(rails, agent_a, invoice_a, client):
    request, raw = make(agent_a, invoice_a.customer, [invoice_a])
    PaymentRequest.objects.filter(pk=request.pk).update(expires_at=PAST)
    assert 'data-state="expired"' in client.get(f"/p/cobro/{raw}/").content.decode()


def test_unknown_token_is_404(rails, client):
    assert client.get("/p/cobro/" + "a" * 43 + "/").status_code == 404


def test_method_not_allowed_by_the_request_is_404(
    rails,
    agent_a,
    invoice_a,
    client,
    fake_stripe,
):
    _r, raw = make_open(agent_a, invoice_a.customer, [invoice_a], methods=["cash"])
    assert client.post(f"/p/cobro/{raw}/pagar/", {"method": "card"}).status_code == 404
    assert CheckoutSession.objects.count() == 0


def test_paying_marks_it_paid_once(
    rails,
    agent_a,
    invoice_a,
    client,
    fake_stripe,
):
    request, raw = make_open(agent_a, invoice_a.customer, [invoice_a])
    response = client.post(f"/p/cobro/{raw}/pagar/", {"method": "card"})
    session = CheckoutSession.objects.get()
    assert response["Location"] == session.url
    assert (session.payment_request, session.amount) == (request, Decimal("11600.00"))
    (_path, form), *_ = fake_stripe.requests
    assert form["line_items[0][price_data][unit_amount]"] == ["1160000"]
    assert form["success_url"] == [f"http://testserver/p/cobro/{raw}/?pagado=1"]
    event = session_event("checkout.session.completed", session.session_id, event_id="evt_r")
    answers = [answer(post_webhook(client, *signed(event))) for _ in range(3)]
    assert answers == [("queued", "recorded"), ("duplicate", None), ("duplicate", None)]
    request.refresh_from_db()
    payment = Payment.objects.get()
    assert (request.status, request.paid_amount, request.payment) == (
        "paid",
        Decimal("11600.00"),
        payment,
    )
    assert request.paid_at is not None
    assert Activity.objects.filter(data__payment_request_id=request.pk).count() == 2
    assert 'data-state="paid"' in client.get(f"/p/cobro/{raw}/").content.decode()


def test_partial_request_and_partial_payment(
    rails,
    agent_a,
    invoice_a,
    client,
    fake_stripe,
):
    request, raw = make_open(
        agent_a,
        invoice_a.customer,
        [invoice_a],
        amount=Decimal("5000.00"),
    )
    client.post(f"/p/cobro/{raw}/pagar/", {"method": "cash"})
    session = CheckoutSession.objects.get()
    assert session.amount == Decimal("5000.00")
    paid_less = session_event(
        "checkout.session.async_payment_succeeded",
        session.session_id,
        event_id="evt_p",
        amount=300000,
    )
    assert answer(post_webhook(client, *signed(paid_less))) == ("queued", "recorded")
    request.refresh_from_db()
    assert (request.status, request.paid_amount, request.remaining) == (
        "open",
        Decimal("3000.00"),
        Decimal("2000.00"),
    )
    page = client.get(f"/p/cobro/{raw}/").content.decode()
    assert "data-paid" in page and "2,000.00\xa0MXN" in page
    # The next checkout asks for what is left.
    client.post(f"/p/cobro/{raw}/pagar/", {"method": "cash"})
    assert CheckoutSession.objects.order_by("-id").first().amount == Decimal("2000.00")
    assert Invoice.objects.get(pk=invoice_a.pk).balance == Decimal("8600.00")


def test_debtor_pay_is_rate_limited(rails, agent_a, invoice_a, client, fake_stripe):
    _r, raw = make_open(agent_a, invoice_a.customer, [invoice_a])
    codes = [
        client.post(f"/p/cobro/{raw}/pagar/", {"method": "card"}).status_code for _ in range(21)
    ]
    assert codes[:20] == [302] * 20 and codes[20] == 429
    assert CheckoutSession.objects.count() == 20


# --- expiry job ------------------------------------------------------------------------
def test_expiry_job_is_idempotent(rails, agent_a, invoice_a, second_invoice_a):
    due, _r = make(agent_a, invoice_a.customer, [invoice_a], expires_on=TODAY)
    later, _r = make(
        agent_a, invoice_a.customer, [second_invoice_a], expires_on=TODAY + dt.timedelta(days=2)
    )
    after = NOW + dt.timedelta(days=1)  # 2026-10-21: the first one's day has ended
    assert service.expire_due(organization=rails, now=after) == 1
    assert service.expire_due(organization=rails, now=after) == 0
    statuses = dict(PaymentRequest.objects.values_list("pk", "status"))
    assert statuses == {due.pk: "expired", later.pk: "open"}
    assert Activity.objects.filter(data__payment_request_id=due.pk).count() == 2  # created, expired


def test_expiry_task_runs(rails, agent_a, invoice_a):
    make(agent_a, invoice_a.customer, [invoice_a])
    PaymentRequest.objects.update(expires_at=PAST)
    result = expire_payment_requests.call(rails.pk)
    assert result == {"expired": 1, "slot": ""}
    assert expire_payment_requests.call(rails.pk) == {"expired": 0, "slot": ""}


# --- tenants ---------------------------------------------------------------------------
def test_token_belongs_to_one_tenant(
    rails, org_b, agent_a, owner_b, invoice_a, debtor_b, login, client
):
    request, raw = make_open(agent_a, invoice_a.customer, [invoice_a])
    # B's owner can neither send A's request (even holding the token) nor see it.
    other = login(owner_b)
    assert (
        other.post(
            f"/payments/requests/{request.pk}/send/", {"token": raw, "channels": ["email"]}
        ).status_code
        == 404
    )
    assert Message.objects.count() == 0
    # The token opens A's request only; the hash does not work as a token.
    assert service.find_by_token(request.token_hash) is None
    assert client.get(f"/p/cobro/{request.token_hash}/").status_code == 404
    assert PaymentRequest.objects.filter(organization=org_b).count() == 0


def test_invoice_page_links_to_a_form_with_that_invoice_chosen(
    rails, agent_a, invoice_a, second_invoice_a, login
):
    client = login(agent_a)
    url = f"/payments/requests/customers/{invoice_a.customer_id}/new/?invoice={second_invoice_a.pk}"
    assert url in client.get(f"/invoices/{second_invoice_a.pk}/").content.decode()
    form = client.get(url)
    assert form.context["chosen"] == {second_invoice_a.pk}
    assert [i.pk for i in form.context["invoices"]] == [invoice_a.pk, second_invoice_a.pk]
    assert form.context["methods"] == [
        ("card", "Tarjeta"),
        ("cash", "Efectivo en OXXO"),
        ("spei", "Transferencia SPEI"),
    ]
