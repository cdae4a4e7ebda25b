"""Provider events (django-anymail tracking), one-click unsubscribe."""

import datetime as dt

from anymail.signals import AnymailTrackingEvent, tracking
from django.urls import reverse

from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.followup.models import Task
from cartera.outreach.models import ContactPointBlock, Message
from cartera.outreach.tracking import OPEN_SALT, UNSUB_SALT, _token, record_click, record_open
from cartera.timeline.models import Notification
from cartera.timeline.notifications import save_preferences

AT = dt.datetime(2026, 10, 7, 18, 0, tzinfo=dt.UTC)


def _sent_message(org):
    load_builtin_strategies(organization=org)
    run_planner(organization=org, as_of=dt.date(2026, 10, 7), dry_run=False)
    Message.objects.update(status="sent", provider_id="<abc@norte.mx>")
    return Message.objects.get()


def _event(event_type, **extra):
    event = AnymailTrackingEvent(
        event_type=event_type, message_id="<abc@norte.mx>", timestamp=AT, **extra
    )
    tracking.send(sender=object, event=event, esp_name="Postmark")


def test_delivered_then_opened_moves_status_forward_only(org_a, invoice_a):
    message = _sent_message(org_a)
    _event("opened")
    _event("delivered")  # arrives late: must not move the status back
    message.refresh_from_db()
    assert message.status == "opened"
    assert list(message.events.values_list("kind", "source")) == [
        ("opened", "Postmark"),
        ("delivered", "Postmark"),
    ]


def test_bounce_blocks_the_address_and_tells_the_agent(org_a, invoice_a):
    message = _sent_message(org_a)
    _event("bounced", recipient="lucia@latuerca.mx", description="mailbox does not exist")
    message.refresh_from_db()
    assert message.status == "bounced"
    assert ContactPointBlock.objects.get().address == "lucia@latuerca.mx"
    assert Task.objects.get().kind == "bounced"


def test_unknown_provider_message_changes_nothing(org_a, invoice_a):
    _sent_message(org_a)
    Message.objects.update(provider_id="<other@x>")
    _event("bounced", recipient="lucia@latuerca.mx")
    assert ContactPointBlock.objects.count() == 0 and Task.objects.count() == 0


def test_one_click_unsubscribe_opts_the_contact_out(client, org_a, invoice_a):
    message = _sent_message(org_a)
    url = f"/outreach/unsubscribe/{_token(message.pk, UNSUB_SALT)}/"
    assert client.get(url).status_code == 200  # confirmation page, nothing changed yet
    contact = invoice_a.customer.contacts.get()
    assert contact.email_opt_out_at is None
    assert client.post(url).status_code == 200
    contact.refresh_from_db()
    assert contact.email_opt_out_reason == "List-Unsubscribe"
    assert client.post("/outreach/unsubscribe/forged/").status_code == 404


def test_first_read_notifies_the_assigned_agent_once(org_a, invoice_a, agent_a):
    """ "Leído": the first open/click notifies the customer's agent in-app (the bell of
    cartera.followup); later opens and clicks add events but no second notification."""

    message = _sent_message(org_a)
    assert record_open(_token(message.pk, OPEN_SALT), at=AT) is True
    assert record_open(_token(message.pk, OPEN_SALT), at=AT + dt.timedelta(hours=1)) is True
    _event("clicked")
    notification = Notification.objects.get()
    assert (notification.user, notification.kind, notification.url, notification.read_at) == (
        agent_a,
        "message_read",
        reverse("customers:detail", args=[invoice_a.customer_id]),
        None,
    )
    assert notification.text == f"Leído: {message.subject}"
    message.refresh_from_db()
    assert (message.status, message.first_opened_at) == ("clicked", AT)
    assert message.events.count() == 3
    assert record_click("not-a-token", at=AT) is None


def test_read_notification_respects_the_agents_muted_kinds(org_a, invoice_a, agent_a):

    save_preferences(organization=org_a, user=agent_a, enabled=["dispute"])
    message = _sent_message(org_a)
    assert record_open(_token(message.pk, OPEN_SALT), at=AT) is True
    assert Notification.objects.count() == 0
    message.refresh_from_db()
    assert message.first_opened_at == AT  # still recorded on the timeline and the message
