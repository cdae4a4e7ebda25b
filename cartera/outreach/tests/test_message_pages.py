"""Outreach messages on back-office pages are listed where they belong, never handed to
the layout's flash notices (the context key ``messages`` is Django's), and the invoice's
history includes the messages sent about it."""

import ast
import datetime as dt
import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from cartera.followup.services import open_task
from cartera.lib.dates import local_today
from cartera.outreach.models import Message

NOTICE = re.compile(r'<div class="notice notice-[^"]*"[^>]*>\s*<span>(.*?)</span>', re.S)


def _message(customer, key, status="sent", invoice=None, day=7):
    message = Message.objects.create(
        organization=customer.organization,
        key=key,
        customer=customer,
        channel="email",
        as_of=dt.date(2026, 10, day),
        scheduled_for=dt.datetime(2026, 10, 7, 16, tzinfo=dt.UTC),
        sent_at=dt.datetime(2026, 10, 7, 16, 1, tzinfo=dt.UTC),
        subject=f"Asunto {key}",
        status=status,
    )
    if invoice is not None:
        message.invoices.add(invoice)
    return message


def _notices(response) -> list[str]:
    return [text.strip() for text in NOTICE.findall(response.content.decode())]


def test_call_screen_lists_messages_without_turning_them_into_notices(
    login, agent_a, debtor_a, org_a
):
    task = open_task(
        customer=debtor_a, kind="call", title="Llamar", today=local_today(org_a.timezone)
    )
    _message(debtor_a, "m-sent")
    response = login(agent_a).get(reverse("followup:call", args=[task.pk]))
    assert _notices(response) == []
    assert [m.key for m in response.context["outreach_messages"]] == ["m-sent"]
    assert re.search(r'<ul id="messages"><li>[^<]*Asunto m-sent', response.content.decode())


def test_invoice_page_history_includes_its_messages(login, manager_a, invoice_a, debtor_a):
    message = _message(debtor_a, "m-inv", invoice=invoice_a)
    _message(debtor_a, "m-other", day=8)  # about no invoice of this page
    response = login(manager_a).get(reverse("invoices:detail", args=[invoice_a.pk]))
    assert _notices(response) == []
    assert [m.key for m in response.context["outreach_messages"]] == ["m-inv"]
    body = response.content.decode()
    history = body[body.index('id="timeline"') :]
    assert "Asunto m-inv" in history and "Asunto m-other" not in history
    assert reverse("outreach:message", args=[message.pk]) in history


def test_invoice_story_report_shows_messages_in_its_full_history(
    login, manager_a, invoice_a, debtor_a
):
    _message(debtor_a, "m-story", invoice=invoice_a)
    response = login(manager_a).get(reverse("report_pages:invoice", args=[invoice_a.pk]))
    assert _notices(response) == []
    body = response.content.decode()
    history = body[body.index("Historia completa") :]
    assert "Asunto m-story" in history


def test_a_flash_notice_still_shows_on_a_page_with_messages(login, manager_a, invoice_a, debtor_a):
    _message(debtor_a, "m-flash", invoice=invoice_a)
    client = login(manager_a)
    response = client.post(
        reverse("invoices:edit", args=[invoice_a.pk]),
        {
            "number": invoice_a.number,
            "external_id": invoice_a.external_id,
            "issue_date": "2026-09-01",
            "due_date": "2026-10-01",
            "currency": "MXN",
            "total": "11600.00",
        },
        follow=True,
    )
    assert "Cambios guardados." in _notices(response)


def _context_dicts(tree):
    """Dict literals that are template contexts: assigned to ``context`` or passed to a
    ``render``-like call."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            if any(isinstance(t, ast.Name) and t.id == "context" for t in node.targets):
                yield node.value
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in {"render", "_respond", "TemplateResponse", "render_to_string"}:
                yield from (arg for arg in node.args if isinstance(arg, ast.Dict))


def _context_keys(tree):
    for context in _context_dicts(tree):
        yield from (k.value for k in context.keys if isinstance(k, ast.Constant))
    for node in ast.walk(tree):  # context["messages"] = ...
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            if getattr(node.value, "id", "") == "context":
                yield getattr(node.slice, "value", None)


def test_no_view_passes_a_messages_context_key():
    """``messages`` in a template context hides Django's flash messages and shows
    whatever it holds as notices: no view may use that key."""
    offenders = []
    for path in Path(settings.BASE_DIR).rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        if "messages" in _context_keys(ast.parse(path.read_text())):
            offenders.append(str(path.relative_to(settings.BASE_DIR)))
    assert offenders == []


def test_message_detail_formats_amounts_with_the_money_filter(login, manager_a, debtor_a):
    invoice = debtor_a.invoices.create(
        organization=debtor_a.organization,
        external_id="F-654",
        number="A-654",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        currency="MXN",
        total="6540.32",
        balance="6540.32",
    )
    message = _message(debtor_a, "m-amount", invoice=invoice)
    body = login(manager_a).get(reverse("outreach:message", args=[message.pk])).content.decode()
    assert "6,540.32\xa0MXN" in body
    assert "6540.32 MXN" not in body
