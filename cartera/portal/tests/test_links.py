"""Every message links to the debtor's portal with a per-message signed link (docs/portal.md)."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.outreach.models import Message, MessageEvent
from cartera.outreach.notices import notify_debtor
from cartera.outreach.rendering import rerender_message
from cartera.outreach.sending import send_due_messages
from cartera.portal import access
from cartera.portal.models import PortalCode, PortalSettings

UTC = dt.UTC
PLAN_NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
SEND_NOW = dt.datetime(2026, 10, 7, 16, 0, tzinfo=UTC)  # 10:00 in Monterrey
LINK = re.compile(r"https?://\S+/p/m/[^/\s\"]+/")


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.EMAIL_HOST = "localhost"
    settings.BASE_URL = "https://cobranza.example.mx"
    return mail  # read ``mail.outbox`` when needed: the test runner replaces the list


def _path(url: str) -> str:
    return urlsplit(url).path


def test_sent_reminder_links_to_the_portal_and_the_click_is_recorded(
    client, locmem, invoice_a, org_a
):
    load_builtin_strategies(organization=org_a)
    run_planner(organization=org_a, as_of=dt.date(2026, 10, 7), dry_run=False, now=PLAN_NOW)
    message = Message.objects.get()
    assert send_due_messages(now=SEND_NOW) == {"sent": 1}
    email = locmem.outbox[0]
    text_links = LINK.findall(email.body)
    html_links = LINK.findall(email.alternatives[0][0])
    assert len(text_links) == 1
    assert text_links[0].startswith("https://cobranza.example.mx/p/m/")
    # the HTML link is the same signed portal link, not wrapped in the generic click tracker
    assert html_links == text_links
    assert access.load_message_link(_path(text_links[0]).split("/")[3]) == {
        "o": org_a.pk,
        "k": message.key,
    }

    response = client.get(_path(text_links[0]))
    assert (response.status_code, response["Location"]) == (302, "/p/")
    statement = client.get("/p/")
    assert statement.status_code == 200 and "A-100" in statement.content.decode()
    assert list(MessageEvent.objects.filter(kind="clicked").values_list("source", "message")) == [
        ("portal", message.pk)
    ]
    message.refresh_from_db()
    assert message.status == "clicked"


def test_a_rerendered_reminder_keeps_its_own_link(invoice_a, org_a, second_invoice_a):

    load_builtin_strategies(organization=org_a)
    run_planner(organization=org_a, as_of=dt.date(2026, 10, 7), dry_run=False, now=PLAN_NOW)
    message = Message.objects.get()
    rerender_message(message=message, as_of=dt.date(2026, 10, 8))
    message.refresh_from_db()
    links = LINK.findall(message.body_text)
    assert len(links) == 1
    assert access.load_message_link(_path(links[0]).split("/")[3])["k"] == message.key


def test_portal_notices_carry_the_link_and_purposes_are_valid_choices(client, debtor_a, invoice_a):
    notice = notify_debtor(
        customer=debtor_a, key="aviso-1", purpose="portal_notice", subject="Aviso", body="Hola"
    )
    Message._meta.get_field("purpose").clean(notice.purpose, notice)  # a declared choice
    links = LINK.findall(notice.body_text)
    assert notice.body_text.startswith("Hola\n\nConsulte su estado de cuenta: ")
    assert client.get(_path(links[0]))["Location"] == "/p/"
    assert MessageEvent.objects.get().message == notice


def test_access_code_is_hashed_and_redacted_from_the_outbox_after_sending(
    client, locmem, debtor_a, invoice_a
):

    PortalSettings.objects.create(organization=debtor_a.organization, require_code=True)
    raw = access.issue_token(customer=debtor_a, actor=None)
    client.get(f"/p/{raw}/")
    client.post("/p/codigo/", {"action": "send"})
    notice = Message.objects.get(purpose="access_code")
    Message._meta.get_field("purpose").clean(notice.purpose, notice)
    code = re.search(r"\b(\d{6})\b", notice.body_text).group(1)
    stored = PortalCode.objects.get()
    assert code not in (stored.code_hash, stored.sent_to) and len(stored.code_hash) == 64
    assert "/p/m/" not in notice.body_text  # the code e-mail answers a portal action
    assert send_due_messages(now=dt.datetime.now(UTC) + dt.timedelta(seconds=1)) == {"sent": 1}
    assert code in locmem.outbox[0].body  # the debtor got it …
    notice.refresh_from_db()
    assert (notice.status, notice.body_text, notice.body_html) == (
        "sent",
        "[Código de acceso oculto después del envío]",
        "",
    )  # … and the outbox no longer holds it
    assert client.post("/p/codigo/", {"action": "verify", "code": code})["Location"] == "/p/"
