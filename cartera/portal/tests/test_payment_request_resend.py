# ruff: noqa: F811  (the rails fixture is imported and used as a parameter)
"""«Reenviar» a payment request: one more outbox message per click (a double post is one),
with the link the request was first sent with, on a channel the customer can be reached
on, under the contact policy; a paid, cancelled, expired or never-sent request queues
nothing; roles as for creating a request."""

import pytest
from django.core.exceptions import ValidationError

from cartera.dunning import request_messages as request_messages_module
from cartera.dunning.request_messages import reachable_channels, resend_request, send_request
from cartera.outreach.models import Message
from cartera.payments.models import PaymentRequest
from cartera.portal.request_views import public_url
from cartera.timeline.models import Activity

from .test_payment_requests import NOW, make_open, rails  # noqa: F401 (fixture)


def _sent(agent, invoice, client, channel="email"):
    request, raw = make_open(agent, invoice.customer, [invoice])
    client.post(f"/payments/requests/{request.pk}/send/", {"token": raw, "channels": [channel]})
    return request, raw


def _state():
    return (
        list(Message.objects.order_by("pk").values_list("key", flat=True)),
        Activity.objects.filter(data__has_key="payment_request_id").count(),
    )


def test_each_resend_queues_one_more_message_with_the_first_link(rails, agent_a, invoice_a, login):
    client = login(agent_a)
    request, raw = _sent(agent_a, invoice_a, client)
    url = public_url(raw)
    response = client.post(f"/payments/requests/{request.pk}/resend/", {"channel": "sms"})
    assert response.status_code == 302
    assert response["Location"] == f"/payments/requests/{request.pk}/"
    client.post(f"/payments/requests/{request.pk}/resend/", {"channel": "email"})
    messages = list(Message.objects.order_by("pk"))
    assert [(m.key, m.channel, m.to) for m in messages] == [
        (f"payment-request:{request.pk}:email", "email", ["lucia@latuerca.mx"]),
        (f"payment-request:{request.pk}:sms:resend:2", "sms", ["+528112345678"]),
        (f"payment-request:{request.pk}:email:resend:3", "email", ["lucia@latuerca.mx"]),
    ]
    assert all(url in m.body_text for m in messages)
    assert [m.purpose for m in messages] == ["portal_notice"] * 3
    assert messages[1].policy == messages[0].policy  # the same contact policy as a send
    summaries = list(
        Activity.objects.filter(data__payment_request_id=request.pk, data__resent=True)
        .order_by("pk")
        .values_list("summary", "data__channel")
    )
    assert summaries == [
        ("Solicitud de pago por 11,600.00 MXN reenviada por SMS", "sms"),
        ("Solicitud de pago por 11,600.00 MXN reenviada por Correo", "email"),
    ]


def test_a_double_posted_click_is_one_message(rails, agent_a, invoice_a, login):
    client = login(agent_a)
    request, _raw = _sent(agent_a, invoice_a, client)
    form = {"channel": "sms", "_submission": "k" * 24}
    first = client.post(f"/payments/requests/{request.pk}/resend/", form)
    again = client.post(f"/payments/requests/{request.pk}/resend/", form)
    assert (first.status_code, again.status_code) == (302, 303)
    assert Message.objects.filter(channel="sms").count() == 1


def test_two_racing_calls_for_the_same_number_queue_one(rails, agent_a, invoice_a, monkeypatch):
    request, raw = make_open(agent_a, invoice_a.customer, [invoice_a])
    send_request(user=agent_a, request=request, channel="email", link=public_url(raw), now=NOW)
    stale = Message.objects.filter(pk=Message.objects.get().pk)
    first = resend_request(
        user=agent_a, request=request, channel="sms", link_for=public_url, now=NOW
    )
    before = _state()
    # the other call counted the messages before the first one's row existed
    monkeypatch.setattr(request_messages_module, "request_messages", lambda _request: stale)
    second = resend_request(
        user=agent_a, request=request, channel="sms", link_for=public_url, now=NOW
    )
    assert (second.pk, first.key) == (first.pk, f"payment-request:{request.pk}:sms:resend:2")
    assert _state() == before


@pytest.mark.parametrize(
    ("status", "expires_at", "error"),
    [
        ("paid", None, "Esta solicitud ya está pagada: no se puede reenviar."),
        ("cancelled", None, "Esta solicitud está cancelada: no se puede reenviar."),
        ("expired", None, "Esta solicitud venció: no se puede reenviar. Cree una solicitud nueva."),
        ("open", "past", "Esta solicitud venció: no se puede reenviar. Cree una solicitud nueva."),
    ],
)
def test_a_closed_request_is_not_resent(
    rails, agent_a, invoice_a, login, status, expires_at, error
):
    client = login(agent_a)
    request, _raw = _sent(agent_a, invoice_a, client)
    changes = {"status": status}
    if expires_at == "past":
        changes["expires_at"] = NOW.replace(year=2020)
    PaymentRequest.objects.filter(pk=request.pk).update(**changes)
    before = _state()
    response = client.post(
        f"/payments/requests/{request.pk}/resend/", {"channel": "sms"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [error]
    assert _state() == before
    page = response.content.decode()
    assert "data-not-resendable" in page and "data-resend" not in page


def test_a_request_never_sent_has_no_link_to_resend(rails, agent_a, invoice_a, login):
    request, _raw = make_open(agent_a, invoice_a.customer, [invoice_a])
    client = login(agent_a)
    before = _state()
    response = client.post(
        f"/payments/requests/{request.pk}/resend/", {"channel": "email"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Esta solicitud no se ha enviado: su enlace solo se mostró al crearla. "
        "Cree una solicitud nueva para enviarla."
    ]
    assert _state() == before == ([], 1)  # only the request's creation


def test_only_reachable_channels_are_offered_and_others_refused(rails, agent_a, invoice_a, login):
    client = login(agent_a)
    request, _raw = _sent(agent_a, invoice_a, client)
    assert reachable_channels(invoice_a.customer) == ["email", "sms"]
    page = client.get(f"/payments/requests/{request.pk}/")
    assert page.context["channels"] == [("email", "Correo"), ("sms", "SMS")]
    before = _state()
    for channel in ("whatsapp", "letter"):
        client.post(f"/payments/requests/{request.pk}/resend/", {"channel": channel})
    assert _state() == before
    customer = invoice_a.customer
    customer.do_not_contact = True
    customer.save(update_fields=["do_not_contact"])
    assert reachable_channels(customer) == []
    with pytest.raises(ValidationError):
        resend_request(user=agent_a, request=request, channel="email", link_for=public_url, now=NOW)
    assert _state() == before


def test_viewers_and_other_tenants_cannot_resend(
    rails, agent_a, viewer_a, owner_b, agent2_a, org_a, invoice_a, login
):
    request, _raw = _sent(agent_a, invoice_a, login(agent_a))
    before = _state()
    viewer = login(viewer_a)
    page = viewer.get(f"/payments/requests/{request.pk}/").content.decode()
    assert "data-resend" not in page  # they see the request, not the button
    assert (
        viewer.post(f"/payments/requests/{request.pk}/resend/", {"channel": "sms"}).status_code
        == 403
    )
    other = login(owner_b)
    assert other.get(f"/payments/requests/{request.pk}/").status_code == 404
    assert (
        other.post(f"/payments/requests/{request.pk}/resend/", {"channel": "sms"}).status_code
        == 404
    )
    org_a.agents_see_only_assigned = True
    org_a.save()
    unassigned = login(agent2_a)
    assert (
        unassigned.post(f"/payments/requests/{request.pk}/resend/", {"channel": "sms"}).status_code
        == 404
    )
    assert _state() == before
