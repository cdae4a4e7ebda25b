"""Forms submitted with the dates they were rendered with: the agent's "Prometió pagar"
(promise date and amount prefilled) and the debtor's "Ya pagué" (payment date prefilled).
A browser drops a value of an ``<input type=date>`` that is not ``yyyy-MM-dd`` and a
number input's value with a comma, so these only pass when the defaults render as ISO."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from cartera.followup.models import PromiseToPay
from cartera.followup.services import open_task
from cartera.lib.dates import local_today
from cartera.payments.models import Payment
from cartera.portal.access import issue_token, portal_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_logs_a_promise_with_the_default_date_and_amount(
    page, log_in, org_a, agent_a, debtor_a, invoice_a
):

    today = local_today(org_a.timezone)
    task = open_task(
        customer=debtor_a, kind="call", title="Llamar", today=today, invoices=[invoice_a]
    )
    log_in("ana_agent")
    page.goto(f"/work/tasks/{task.pk}/call/")
    promised = today + dt.timedelta(days=7)
    expect(page.locator('input[name="promised_date"]')).to_have_value(promised.isoformat())
    expect(page.locator('input[name="next_date"]')).to_have_value(
        (today + dt.timedelta(days=1)).isoformat()
    )
    expect(page.locator('input[name="paid_date"]')).to_have_value(today.isoformat())
    expect(page.locator('input[name="amount"]')).to_have_value("11600.00")
    page.check('input[name="outcome"][value="promised"]')
    page.get_by_role("button", name="Guardar llamada").click()

    expect(page).to_have_url(re.compile(r"/work/$"))
    expect(page.locator("body")).to_contain_text("Llamada registrada: Prometió pagar")
    promise = PromiseToPay.objects.get(customer=debtor_a)
    assert (promise.promised_date, str(promise.amount)) == (promised, "11600.00")


def test_debtor_reports_a_payment_with_the_default_date(phone, debtor_a, invoice_a):

    today = local_today(debtor_a.effective_timezone)
    phone.goto(urlsplit(portal_url(issue_token(customer=debtor_a, actor=None))).path)
    phone.get_by_label("Elegir la factura A-100").check()
    phone.get_by_role("button", name="Ya pagué").click()
    expect(phone.locator('input[name="date"]')).to_have_value(today.isoformat())
    phone.select_option('select[name="method"]', "transfer")
    phone.fill('input[name="reference"]', "SPEI-1")
    phone.get_by_role("button", name="Enviar").click()

    expect(phone).to_have_url(re.compile(r"/p/$"))
    expect(phone.locator("body")).to_contain_text("Registramos su pago")
    payment = Payment.objects.get(customer=debtor_a)
    assert (payment.date, str(payment.amount), payment.reference) == (
        today,
        "11600.00",
        "SPEI-1",
    )
