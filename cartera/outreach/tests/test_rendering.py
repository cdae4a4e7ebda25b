"""Sandboxed templates, template validation on save, tracking links."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.outreach.message_templates import save_template
from cartera.outreach.models import Message, MessageEvent, MessageTemplate
from cartera.outreach.rendering import TemplateRenderError, build_context, render
from cartera.outreach.tracking import CLICK_SALT, _token, tracking_urls
from cartera.timeline.models import Activity

ROW = {
    "id": 1,
    "external_id": "F-1",
    "number": "A-1",
    "issue_date": dt.date(2026, 9, 1),
    "due_date": dt.date(2026, 10, 1),
    "total": Decimal("1160.00"),
    "balance": Decimal("1160.00"),
    "currency": "MXN",
}


def _context(language="es-mx"):
    return build_context(
        organization={"name": "Norte"},
        customer={"name": "La Tuerca"},
        contact={"name": "Lucía"},
        invoices=[ROW],
        statement=[ROW],
        agent=None,
        as_of=dt.date(2026, 10, 11),
        language=language,
    )


def test_context_is_plain_values():
    context = _context()
    assert context["invoices"] == [
        {
            "number": "A-1",
            "external_id": "F-1",
            "issue_date": "01/09/2026",
            "due_date": "01/10/2026",
            "currency": "MXN",
            "total": "1,160.00\xa0MXN",
            "balance": "1,160.00\xa0MXN",
            "days_overdue": 10,
            "purchase_order": "",
        }
    ]
    assert context["totals"] == [{"currency": "MXN", "amount": "1,160.00\xa0MXN"}]
    assert context["days_overdue"] == 10


def test_render_and_sandbox():
    subject, text, _html = render(
        subject="Hola {{ customer.name }}",
        body_text="{{ days_overdue }} días",
        body_html="",
        context=_context(),
    )
    assert (subject, text) == ("Hola La Tuerca", "10 días")
    for source in ("{{ customer.__class__.__mro__ }}", "{{ ''.__class__ }}", "{{ nothing }}"):
        with pytest.raises(TemplateRenderError):
            render(subject="", body_text=source, body_html="", context=_context())


def test_html_is_escaped():
    context = _context()
    context["customer"]["name"] = "<script>x</script>"
    _s, _t, html = render(
        subject="", body_text="", body_html="<p>{{ customer.name }}</p>", context=context
    )
    assert html == "<p>&lt;script&gt;x&lt;/script&gt;</p>"


def test_broken_template_is_rejected_on_save(org_a):

    with pytest.raises(ValidationError) as excinfo:
        save_template(
            organization=org_a,
            actor=None,
            key="x",
            name="X",
            kind="soft",
            channel="email",
            language="es-mx",
            subject="ok",
            body_text="{% for i in invoices %}sin cerrar",
        )
    assert "texto" in excinfo.value.message_dict["body_text"][0]
    assert MessageTemplate.objects.count() == 0
    saved = save_template(
        organization=org_a,
        actor=None,
        key="x",
        name="X",
        kind="soft",
        channel="email",
        language="es-mx",
        subject="Hola",
        body_text="{{ today }}",
    )
    assert saved.body_text == "{{ today }}"


def test_org_template_wins_over_the_builtin_default(org_a, invoice_a):

    load_builtin_strategies(organization=org_a)
    save_template(
        organization=org_a,
        actor=None,
        key="aviso-vencido",
        name="Mío",
        kind="soft",
        channel="email",
        language="es-mx",
        subject="Debe {% for t in totals %}{{ t.amount }}{% endfor %}",
        body_text="{% for i in invoices %}{{ i.number }}{% endfor %}",
    )
    run_planner(organization=org_a, as_of=dt.date(2026, 10, 7), dry_run=False)
    message = Message.objects.get()
    assert (message.subject, message.body_text) == ("Debe 11,600.00 MXN", "A-100")


def test_english_debtor_gets_the_english_default(org_a, invoice_a):

    customer = invoice_a.customer
    customer.language = "en"
    customer.save()
    load_builtin_strategies(organization=org_a)
    run_planner(organization=org_a, as_of=dt.date(2026, 10, 7), dry_run=False)
    assert (
        Message.objects.get().subject
        == "Overdue balance of 11,600.00 MXN · Distribuidora Norte S.A. de C.V."
    )


def test_open_pixel_and_click_are_recorded_once_read(client, org_a, invoice_a):

    load_builtin_strategies(organization=org_a)
    run_planner(organization=org_a, as_of=dt.date(2026, 10, 7), dry_run=False)
    message = Message.objects.get()
    Message.objects.filter(pk=message.pk).update(status="sent")
    pixel = tracking_urls(message)["open"].split("127.0.0.1:8000", 1)[-1]
    assert client.get(pixel).status_code == 200
    assert client.get(pixel).status_code == 200
    click = (
        f"/outreach/t/c/{_token({'m': message.pk, 'u': 'https://pago.example.mx/x'}, CLICK_SALT)}/"
    )
    response = client.get(click)
    assert (response.status_code, response["Location"]) == (302, "https://pago.example.mx/x")
    assert client.get("/outreach/t/c/forged/").status_code == 404
    message.refresh_from_db()
    assert message.status == "clicked"
    assert list(MessageEvent.objects.values_list("kind", flat=True)) == [
        "opened",
        "opened",
        "clicked",
    ]
    reads = Activity.objects.filter(kind="message_read")
    assert [(a.actor_kind, a.data["notify_user"]) for a in reads] == [
        ("debtor", invoice_a.customer.assigned_agent_id)
    ]
