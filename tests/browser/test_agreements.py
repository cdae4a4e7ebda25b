"""A payment plan on a phone: the debtor proposes one in the portal (390×844), sees the
schedule, accepts it; the agent sees it on the customer page with who accepted it."""

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from cartera.agreements.models import PaymentPlan
from cartera.lib.dates import local_today
from cartera.portal.access import issue_token, portal_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _overflow(page) -> int:
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def test_debtor_accepts_a_plan_on_a_phone_and_the_agent_sees_it(
    phone, page, log_in, agent_a, debtor_a, invoice_a
):
    phone.goto(urlsplit(portal_url(issue_token(customer=debtor_a, actor=None))).path)
    expect(phone).to_have_url(re.compile(r"/p/$"))
    phone.get_by_label("Elegir la factura A-100").check()
    phone.get_by_role("button", name="Proponer un convenio").click()
    first_due = local_today(debtor_a.effective_timezone) + dt.timedelta(days=30)
    phone.fill('input[name="first_due"]', first_due.isoformat())
    phone.get_by_role("button", name="Ver calendario").click()
    schedule = phone.locator("[data-schedule]")
    expect(schedule).to_contain_text("Enganche")
    expect(schedule).to_contain_text("3,480.00")
    assert _overflow(phone) <= 0
    phone.fill('input[name="accepted_by"]', "Lucía Pagos")
    phone.get_by_label("Leí el calendario y acepto el convenio de pago").check()
    phone.get_by_role("button", name="Aceptar convenio").click()
    expect(phone.locator("body")).to_contain_text("Su convenio quedó registrado")
    expect(phone.get_by_role("link", name="Descargar convenio (PDF)")).to_be_visible()
    assert _overflow(phone) <= 0
    plan = PaymentPlan.objects.get()
    assert (plan.source, plan.total, plan.accepted_by_name) == (
        "portal",
        Decimal("11600.00"),
        "Lucía Pagos",
    )
    assert "Chrome" in plan.accepted_user_agent and plan.accepted_ip == "127.0.0.1"

    log_in("ana_agent")
    page.goto(f"/customers/{debtor_a.pk}/")
    row = page.locator(f'[data-plan="{plan.pk}"]')
    expect(row).to_contain_text("Portal del cliente")
    expect(row).to_contain_text("Vigente")
    expect(page.locator("#timeline")).to_contain_text(f"Convenio {plan.number}: 11,600.00 MXN")
    row.get_by_role("link", name=plan.number).click()
    expect(page.locator("[data-acceptance]")).to_contain_text("Lucía Pagos")
