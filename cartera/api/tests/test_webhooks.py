import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cartera.api import delivery
from cartera.api.delivery import SCHEDULE, attempt_delivery, deliver_due
from cartera.api.models import WebhookEndpoint, WebhookMessage
from cartera.api.signing import sign, verify
from cartera.api.targets import check_target
from cartera.api.webhooks import create_webhook_endpoint, resend_webhook_message
from cartera.invoices.disputes import open_dispute
from cartera.invoices.services import create_invoice
from cartera.outreach.choices import EventKind
from cartera.outreach.events import record_event
from cartera.outreach.models import Message
from cartera.payments.services import allocate_payment, record_payment
from cartera.timeline.models import Notification

from .receiver import running_receiver

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def receiver(settings, immediate_tasks, django_capture_on_commit_callbacks):
    """The local receiver; every act of the test runs its on-commit callbacks (the first
    delivery attempt) as if its transaction had committed."""
    settings.CARTERA_WEBHOOKS_ALLOW_PRIVATE = True
    with running_receiver() as running:
        running.commit = lambda: django_capture_on_commit_callbacks(execute=True)
        yield running


@pytest.fixture
def endpoint(receiver, org_a, owner_a):
    endpoint, secret = create_webhook_endpoint(
        organization=org_a,
        actor=owner_a,
        url=receiver.url,
        events_=["invoice.created", "invoice.paid", "payment.created", "dispute.opened"],
    )
    return endpoint


def _invoice(debtor_a, number="W-1", total="100.00"):
    return create_invoice(
        customer=debtor_a,
        actor=None,
        number=number,
        issue_date=dt.date(2026, 10, 1),
        total=Decimal(total),
    )


def test_standard_webhooks_signature_vector():
    # The example of the Standard Webhooks specification's reference libraries.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"test": 2432232314}'
    signature = sign(
        secret, webhook_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=1614265330, body=body
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_service_act_is_delivered_signed_once(receiver, endpoint, debtor_a):
    with receiver.commit():
        invoice = _invoice(debtor_a)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert verify(
        endpoint.secret, headers=headers, body=request["body"], now=int(timezone.now().timestamp())
    )
    assert not verify(
        "whsec_" + "A" * 32,
        headers=headers,
        body=request["body"],
        now=int(timezone.now().timestamp()),
    )
    payload = json.loads(request["body"])
    assert payload["type"] == "invoice.created"
    assert payload["data"]["id"] == invoice.pk and payload["data"]["total"] == "100.00"
    message = WebhookMessage.objects.get()
    assert message.status == "delivered" and message.attempts == 1
    assert headers["webhook-id"] == message.webhook_id
    assert list(message.tries.values_list("number", "response_status")) == [(1, 204)]


def test_every_event_kind_from_the_services(receiver, endpoint, debtor_a, owner_a):
    with receiver.commit():
        invoice = _invoice(debtor_a)
        open_dispute(
            invoice=invoice,
            reason_code="wrong_amount",
            text="",
            actor=owner_a,
            today=dt.date(2026, 10, 2),
        )
        other = _invoice(debtor_a, number="W-2", total="50.00")
        payment = record_payment(
            customer=debtor_a,
            actor=owner_a,
            date=dt.date(2026, 10, 3),
            amount=Decimal("50.00"),
            currency="MXN",
        )
        allocate_payment(payment=payment, invoice=other, amount=Decimal("50.00"), actor=owner_a)
    kinds = [json.loads(r["body"])["type"] for r in receiver.requests]
    assert kinds == [
        "invoice.created",
        "dispute.opened",
        "invoice.created",
        "payment.created",
        "invoice.paid",
    ]


def test_retries_on_500_and_timeout_on_schedule_with_the_same_id(
    receiver, endpoint, debtor_a, monkeypatch
):
    monkeypatch.setattr(delivery, "TIMEOUT", 0.2)
    receiver.sleep = 0.6
    receiver.script = [500, "sleep"] + [503] * 6
    endpoint.events = ["invoice.created"]
    endpoint.save()
    _invoice(debtor_a)  # its first attempt is left to the sweep below
    message = WebhookMessage.objects.get()
    WebhookMessage.objects.filter(pk=message.pk).update(next_attempt_at=T0)
    now = T0
    waits = []
    for _attempt in range(8):
        assert deliver_due(now=now - dt.timedelta(seconds=1)) == 0  # not due yet
        assert deliver_due(now=now) == 1
        message.refresh_from_db()
        if message.next_attempt_at:
            waits.append(message.next_attempt_at - now)
            now = message.next_attempt_at
    assert waits == SCHEDULE[1:]
    assert message.status == "failed" and message.attempts == 8
    tries = list(message.tries.values_list("number", "response_status", "error"))
    assert [t[:2] for t in tries] == [(1, 500), (2, None)] + [(n, 503) for n in range(3, 9)]
    assert tries[1][2].startswith("ReadTimeout")
    ids = {r["headers"]["webhook-id"] for r in receiver.requests}
    assert ids == {message.webhook_id}


def test_endpoint_disabled_after_five_days_failing_and_owner_notified(
    receiver, endpoint, debtor_a, owner_a
):
    receiver.script = [500] * 10
    with receiver.commit():
        _invoice(debtor_a)  # attempt 1 fails now
    endpoint.refresh_from_db()
    started = endpoint.failing_since
    assert started is not None and endpoint.is_active
    message = WebhookMessage.objects.get()
    later = started + dt.timedelta(days=5)
    WebhookMessage.objects.filter(pk=message.pk).update(next_attempt_at=later)
    attempt_delivery(WebhookMessage.objects.get(pk=message.pk), now=later)
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at == later
    note = Notification.objects.get(user=owner_a, kind="webhook_disabled")
    assert endpoint.url in note.text
    with receiver.commit():
        _invoice(debtor_a, number="W-9")  # a disabled endpoint hears nothing
    assert WebhookMessage.objects.count() == 1


def test_a_success_ends_the_failing_streak(receiver, endpoint, debtor_a):
    receiver.script = [500]
    with receiver.commit():
        _invoice(debtor_a)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None
    message = WebhookMessage.objects.get()
    attempt_delivery(message, now=message.next_attempt_at)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_resend_uses_the_same_id(receiver, endpoint, debtor_a, owner_a, manager_a):
    with receiver.commit():
        _invoice(debtor_a)
    message = WebhookMessage.objects.get()
    with pytest.raises(PermissionDenied):
        resend_webhook_message(message=message, actor=manager_a)
    with receiver.commit():
        resend_webhook_message(message=message, actor=owner_a)
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [message.webhook_id] * 2
    message.refresh_from_db()
    assert message.attempts == 2 and message.status == "delivered"


def test_no_ssrf_in_production(settings):
    settings.CARTERA_WEBHOOKS_ALLOW_PRIVATE = False
    for url in (
        "http://93.184.216.34/h",
        "https://127.0.0.1/h",
        "https://10.1.2.3/h",
        "https://192.168.0.5/h",
        "https://169.254.169.254/latest",
        "https://[::1]/h",
        "https://100.64.0.1/h",
        "ftp://93.184.216.34/",
    ):
        with pytest.raises(ValidationError):
            check_target(url)
    check_target("https://93.184.216.34/hooks")


def test_only_owners_create_endpoints(org_a, manager_a, settings):
    settings.CARTERA_WEBHOOKS_ALLOW_PRIVATE = True
    with pytest.raises(PermissionDenied):
        create_webhook_endpoint(
            organization=org_a,
            actor=manager_a,
            url="http://127.0.0.1:9/h",
            events_=["invoice.created"],
        )
    assert not WebhookEndpoint.objects.exists()


def test_message_read_is_emitted_by_the_outbox_tracking(receiver, org_a, owner_a, debtor_a):
    create_webhook_endpoint(
        organization=org_a, actor=owner_a, url=receiver.url, events_=["message.read"]
    )
    message = Message.objects.create(
        organization=org_a,
        key="w-1",
        customer=debtor_a,
        channel="email",
        as_of=dt.date(2026, 10, 7),
        scheduled_for=T0,
        subject="Saldo vencido",
        to=["lucia@latuerca.mx"],
    )
    with receiver.commit():
        record_event(message=message, kind=EventKind.OPENED, at=T0)
        message.refresh_from_db()
        record_event(message=message, kind=EventKind.OPENED, at=T0 + dt.timedelta(hours=1))
    assert len(receiver.requests) == 1
    payload = json.loads(receiver.requests[0]["body"])
    assert payload["type"] == "message.read"
    assert payload["data"]["id"] == message.pk
    assert payload["data"]["first_opened_at"] == "2026-11-02T15:00:00Z"
