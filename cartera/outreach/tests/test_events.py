"""Provider events (django-anymail tracking), one-click unsubscribe."""

import datetime as dt

from anymail.signals import AnymailTrackingEvent, tracking

from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.followup.models import Task
from cartera.outreach.models import ContactPointBlock, Message
from cartera.outreach.services import UNSUB_SALT, _token

AT = dt.datetime(2026, 10, 7, 18, 0, tzinfo=dt.UTC)


def _sent_message(org):
    load_builtin_strategies(organization=org)
    run_planner(organization=org, as_of=dt.date(2026, 10, 7), dry_run=False)
    Message.objects.update(status="sent", provider_id="<abc@norte.mx>")
    return Message.objects.get()


def _event(event_type, **extra):
    event = AnymailTrackingEvent(event_type=event_type, message_id="<abc@norte.mx>",
                                 timestamp=AT, **extra)  # fmt: skip
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
