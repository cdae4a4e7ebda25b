"""The composite pages keep the URL names of their sections, and show what they gather
from the apps below them."""

import datetime as dt

import pytest
from django.urls import resolve, reverse

from cartera.followup.services import open_task
from cartera.lib.dates import local_today
from cartera.outreach.models import Message
from cartera.web.views import calls, customers, dashboard


@pytest.mark.parametrize(
    "name, args, view",
    [
        ("reports:home", [], dashboard.home),
        ("customers:list", [], customers.customer_list),
        ("customers:detail", [7], customers.customer_detail),
        ("customers:credit_note_create", [7], customers.credit_note_create),
        ("followup:call", [7], calls.call),
    ],
)
def test_composite_pages_keep_their_section_names(name, args, view):
    match = resolve(reverse(name, args=args))
    assert (match.func, match.namespace) == (view, name.split(":")[0])


def _message(customer, key, status, day):
    return Message.objects.create(
        organization=customer.organization,
        key=key,
        customer=customer,
        channel="email",
        as_of=day,
        scheduled_for=dt.datetime.combine(day, dt.time(15), tzinfo=dt.UTC),
        subject=f"Asunto {key}",
        status=status,
    )


def test_call_screen_lists_sent_messages_but_not_queued_ones(login, agent_a, debtor_a, org_a):
    task = open_task(
        customer=debtor_a, kind="call", title="Llamar", today=local_today(org_a.timezone)
    )
    _message(debtor_a, "m-sent", "sent", dt.date(2026, 11, 2))
    _message(debtor_a, "m-queued", "queued", dt.date(2026, 11, 3))
    response = login(agent_a).get(reverse("followup:call", args=[task.pk]))
    assert response.status_code == 200
    assert [m.key for m in response.context["outreach_messages"]] == ["m-sent"]
    body = response.content.decode()
    assert "Asunto m-sent" in body and "Asunto m-queued" not in body
