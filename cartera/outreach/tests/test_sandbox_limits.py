"""One organisation's template never stops a run, a worker or a web request: templates are
rendered with limits, checked on save against a sample, and a broken one fails only its own
messages (docs/dunning.md, "Templates")."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cartera.customers.services import create_customer, save_contact
from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.invoices.services import create_invoice
from cartera.outreach.message_templates import save_template
from cartera.outreach.models import Message, MessageTemplate
from cartera.outreach.rendering import TemplateRenderError, render
from cartera.timeline.models import Activity, Notification

HOSTILE = {
    "{{ 9**(9**9) }}": "Exponente demasiado grande",
    "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}": "ciclos",
    "{{ 'x' * 99999999 }}": "Repetición demasiado grande",
    "{{ [1, 2] * 99999999 }}": "Repetición demasiado grande",
    "{{ '%0999999999d' % 1 }}": "Ancho demasiado grande",
    "{{ 'x'|center(999999999) }}": "Ancho demasiado grande",
    "{% for i in range(15000) %}{{ 'x' * 9000 }}{% endfor %}": "texto demasiado largo",
    "{{ 1/0 }}": "ZeroDivisionError",
    "{{ custmer.name }}": "'custmer' is undefined",
    "{% include 'otra.html' %}": "no loader",
}


@pytest.mark.parametrize(("source", "reason"), HOSTILE.items())
def test_render_stops_at_the_limits_with_a_reason(source, reason):
    with pytest.raises(TemplateRenderError) as caught:
        render(subject="", body_text=source, body_html="", context={})
    assert reason in str(caught.value)


def test_ordinary_arithmetic_and_loops_still_work():
    text = "{{ 2**10 }} {{ '%05d' % 7 }} {{ 'ab' * 3 }} {% for i in range(3) %}{{ i }}{% endfor %}"
    assert (
        render(subject="", body_text=text, body_html="", context={})[1] == "1024 00007 ababab 012"
    )


@pytest.mark.parametrize("source", list(HOSTILE))
def test_save_refuses_what_would_fail_at_send_time(org_a, source):
    with pytest.raises(ValidationError) as caught:
        save_template(
            organization=org_a,
            actor=None,
            key="mio",
            name="Mío",
            kind="soft",
            channel="email",
            language="es-mx",
            subject="Hola",
            body_text=source,
        )
    assert caught.value.message_dict["body_text"][0].startswith("texto")
    assert MessageTemplate.objects.count() == 0


@pytest.fixture
def english_debtor(org_a):
    customer = create_customer(
        organization=org_a, actor=None, external_id="CLI-EN", name="Acme Inc.", language="en"
    )
    save_contact(customer=customer, actor=None, name="Bob", email="bob@acme.test", role="payments")
    create_invoice(
        customer=customer,
        actor=None,
        external_id="F-EN",
        number="A-900",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        currency="MXN",
        total=Decimal("500.00"),
    )
    return customer


def test_a_broken_template_fails_its_messages_only_and_tells_the_supervisors(
    org_a, invoice_a, english_debtor, owner_a, manager_a
):
    load_builtin_strategies(organization=org_a)
    # A row saved before templates were checked on save (or written around the service).
    MessageTemplate.objects.create(
        organization=org_a,
        key="aviso-vencido",
        name="Rota",
        kind="soft",
        channel="email",
        language="es-mx",
        subject="Aviso",
        body_text="Saldo: {{ 1/0 }}",
    )
    run_planner(organization=org_a, as_of=dt.date(2026, 10, 7), dry_run=False)
    broken = Message.objects.get(customer=invoice_a.customer)
    assert (broken.status, broken.body_text) == ("failed", "")
    assert broken.status_reason == (
        "La plantilla no se pudo generar: ZeroDivisionError: division by zero"
    )
    fine = Message.objects.get(customer=english_debtor)
    assert fine.status == "queued" and "A-900" in fine.body_text
    alert = Activity.objects.get(kind="config_changed", data__template="aviso-vencido")
    assert alert.data["failed"] == 1
    notified = set(Notification.objects.filter(kind="template_failed").values_list("user_id"))
    assert notified == {(owner_a.pk,), (manager_a.pk,)}
    run_planner(organization=org_a, as_of=dt.date(2026, 10, 7), dry_run=False)
    assert Message.objects.count() == 2  # a re-run adds no message and no second alert
    assert (
        Activity.objects.filter(kind="config_changed", data__template="aviso-vencido").count() == 1
    )
