"""An agent's morning in a real browser (docs/workday.md): open the work list, call the top
customer, log "promised to pay" with a date, see the task done, the promise on the
timeline, and the customer's reminders paused in "Próximos envíos"."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from cartera.customers.services import create_customer
from cartera.dunning.services import load_builtin_strategies
from cartera.followup.models import PromiseToPay, Task
from cartera.followup.services import open_task
from cartera.invoices.services import create_invoice
from cartera.lib.dates import local_today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_morning_call_and_promise(page, log_in, org_a, agent_a, debtor_a, invoice_a):

    load_builtin_strategies(organization=org_a)
    today = local_today(org_a.timezone)
    small = create_customer(
        organization=org_a,
        actor=None,
        external_id="CLI-002",
        name="Abarrotes Sol",
        assigned_agent=agent_a,
    )
    create_invoice(
        customer=small,
        actor=None,
        external_id="F-900",
        number="A-900",
        issue_date=today - dt.timedelta(days=40),
        due_date=today - dt.timedelta(days=5),
        currency="MXN",
        total="300.00",
    )
    open_task(customer=small, kind="call", title="Llamar a Abarrotes Sol", today=today)
    top = open_task(
        customer=debtor_a,
        kind="call",
        title="Llamar a La Tuerca",
        today=today,
        invoices=[invoice_a],
    )

    log_in("ana_agent")
    page.goto("/work/")
    rows = page.locator("tr[data-task]")
    expect(rows).to_have_count(2)
    first = rows.first
    expect(first).to_contain_text("Ferretería La Tuerca")  # the larger, older debt first
    expect(first).to_contain_text("$11,600 vencido")
    first.get_by_role("button", name="Llamar").click()
    expect(page).to_have_url(re.compile(rf"/work/tasks/{top.pk}/call/$"))
    expect(page.locator('a[href^="tel:"]').first).to_be_visible()

    promised = today + dt.timedelta(days=5)
    page.check('input[name="outcome"][value="promised"]')
    expect(page.locator("#promise-form")).to_be_visible()
    page.fill('input[name="promised_date"]', promised.isoformat())
    page.fill('textarea[name="note"]', "Paga el viernes por transferencia")
    page.get_by_role("button", name="Guardar llamada").click()

    expect(page).to_have_url(re.compile(r"/work/$"))
    expect(page.locator("body")).to_contain_text("Llamada registrada: Prometió pagar")
    expect(page.locator("tr[data-task]")).to_have_count(1)
    expect(page.locator(f'tr[data-task="{top.pk}"]')).to_have_count(0)
    top.refresh_from_db()
    assert (top.status, top.outcome) == ("done", "promised")
    promise = PromiseToPay.objects.get(customer=debtor_a)
    assert (promise.promised_date, str(promise.amount), promise.created_by_id) == (
        promised,
        "11600.00",
        agent_a.pk,
    )
    assert Task.objects.filter(customer=debtor_a, status="open").count() == 0

    page.goto(f"/work/customers/{debtor_a.pk}/timeline/")
    expect(page.locator("main")).to_contain_text(
        f"Promesa de pago de 11,600.00 MXN para el {promised:%d/%m/%Y} (A-100)"
    )
    expect(page.locator("main")).to_contain_text(
        "Llamada: Prometió pagar · Paga el viernes por transferencia"
    )

    page.goto("/dunning/upcoming/")
    rows = page.locator("#decisions tbody tr").filter(has_text="Ferretería La Tuerca")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("A-100")
    expect(rows.first).to_contain_text("Se omite")
    expect(rows.first).to_contain_text("Promesa de pago vigente")
