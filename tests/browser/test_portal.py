"""The debtor's journey in a real browser on a phone (390×844): open the link of a sent
e-mail, see the statement, report a payment with a PDF proof; the agent accepts it in the
back office (invoice paid, queued reminder cancelled, timeline). And a promise made in the
portal that breaks when its date passes."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from cartera.dunning.services import load_builtin_strategies, run_planner
from cartera.followup.models import PromiseToPay, Task
from cartera.followup.tasks import settle_promises
from cartera.lib.dates import local_today
from cartera.outreach.models import Message, MessageEvent
from cartera.outreach.sending import send_due_messages
from cartera.portal.access import issue_token, portal_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UTC = dt.UTC
LINK = re.compile(r"https?://\S+/p/m/[^/\s\"]+/")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _overflow(page) -> int:
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def _today(customer):

    return local_today(customer.effective_timezone)


def _sent_reminder_link(settings, org, customer):
    """Plan and send the +5 days reminder through the outbox (locmem backend), plan the
    +35 days one (stays queued), and return the link found in the sent e-mail."""

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.EMAIL_HOST = "localhost"
    load_builtin_strategies(organization=org)
    run_planner(
        organization=org,
        as_of=dt.date(2026, 10, 7),
        dry_run=False,
        now=dt.datetime(2026, 9, 1, 12, tzinfo=UTC),
    )
    assert send_due_messages(now=dt.datetime(2026, 10, 7, 16, tzinfo=UTC)) == {"sent": 1}
    run_planner(
        organization=org,
        as_of=dt.date(2026, 11, 5),
        dry_run=False,
        now=dt.datetime(2026, 9, 1, 12, tzinfo=UTC),
    )
    queued = Message.objects.get(status="queued", purpose="dunning")
    sent = mail.outbox[0]
    assert sent.to == ["lucia@latuerca.mx"]
    return urlsplit(LINK.findall(sent.body)[0]).path, queued


def test_debtor_reports_a_payment_and_the_manager_accepts_it(
    phone, page, log_in, settings, tmp_path, manager_a, debtor_a, invoice_a, org_a
):

    link, queued = _sent_reminder_link(settings, org_a, debtor_a)
    phone.goto(link)
    expect(phone).to_have_url(re.compile(r"/p/$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Hola, Ferretería La Tuerca")
    expect(phone.locator("li.invoice")).to_contain_text("A-100")
    expect(phone.locator("li.invoice")).to_contain_text("11,600.00")
    assert _overflow(phone) <= 0
    assert MessageEvent.objects.filter(kind="clicked", source="portal").count() == 1

    phone.get_by_label("Elegir la factura A-100").check()
    phone.get_by_role("button", name="Ya pagué").click()
    expect(phone).to_have_url(re.compile(rf"/p/pago/\?invoice={invoice_a.pk}$"))
    expect(phone.locator(f'input[name="invoices"][value="{invoice_a.pk}"]')).to_be_checked()
    phone.fill('input[name="date"]', _today(debtor_a).isoformat())
    phone.select_option('select[name="method"]', "transfer")
    phone.fill('input[name="reference"]', "SPEI-7781")
    proof = tmp_path / "comprobante.pdf"
    proof.write_bytes(PDF)
    phone.set_input_files('input[name="proof"]', str(proof))
    assert _overflow(phone) <= 0
    phone.get_by_role("button", name="Enviar").click()
    expect(phone).to_have_url(re.compile(r"/p/$"))
    expect(phone.locator("body")).to_contain_text("Registramos su pago")
    expect(phone.locator("li.invoice")).to_contain_text("Pago en revisión")
    call_command("db_worker", batch=True, startup_delay=False)  # the outbox's re-check
    queued.refresh_from_db()
    assert queued.status == "cancelled"  # reminders stop as soon as the debtor reports

    log_in("mario_manager")  # confirming a reported payment is a manager's (docs/roles.md)
    page.get_by_role("link", name="Por revisar").first.click()
    expect(page).to_have_url(re.compile(r"/review/$"))
    card = page.locator("article[data-payment]")
    expect(card).to_contain_text("Ferretería La Tuerca")
    expect(card).to_contain_text("SPEI-7781")
    expect(card.get_by_role("link", name=re.compile("Ver comprobante"))).to_be_visible()
    card.get_by_role("button", name="Aceptar y aplicar").click()
    expect(page.locator("body")).to_contain_text("Pago aceptado y aplicado.")
    expect(page.locator("article[data-payment]")).to_have_count(0)

    invoice_a.refresh_from_db()
    assert (str(invoice_a.balance), invoice_a.status) == ("0.00", "paid")
    page.goto(f"/customers/{debtor_a.pk}/")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("El cliente reportó un pago de")
    expect(timeline).to_contain_text("Pago reportado de")
    expect(timeline).to_contain_text("aceptado")
    expect(timeline).to_contain_text("Mensaje cancelado antes de enviarse")
    assert list(Message.objects.filter(pk=queued.pk).values_list("status", flat=True)) == [
        "cancelled"
    ]
    notice = Message.objects.get(purpose="payment_received")
    assert (notice.status, notice.to) == ("queued", ["lucia@latuerca.mx"])
    assert "/p/m/" in notice.body_text

    phone.reload()  # the debtor sees the invoice gone and the payment listed
    expect(phone.locator("body")).to_contain_text("No tiene saldo pendiente")


def test_a_portal_promise_breaks_when_its_date_passes(
    phone, page, log_in, agent_a, debtor_a, invoice_a, org_a
):

    url = portal_url(issue_token(customer=debtor_a, actor=None))
    phone.goto(urlsplit(url).path)
    expect(phone).to_have_url(re.compile(r"/p/$"))
    phone.get_by_label("Elegir la factura A-100").check()
    phone.get_by_role("button", name="Prometer un pago").click()
    promised = _today(debtor_a) + dt.timedelta(days=3)
    phone.fill('input[name="promised_date"]', promised.isoformat())
    phone.fill('input[name="amount"]', "11600")
    assert _overflow(phone) <= 0
    phone.get_by_role("button", name="Registrar promesa").click()
    expect(phone.locator("body")).to_contain_text("Registramos su promesa de pago")
    promise = PromiseToPay.objects.get()
    assert (promise.status, promise.source, promise.promised_date) == ("open", "portal", promised)

    # the day after the promised date, nothing has arrived: the promise is broken
    later = (promised + dt.timedelta(days=1)).isoformat()
    result = settle_promises.call(org_a.pk, on=later)
    assert result == {"kept": 0, "partially_kept": 0, "broken": 1, "slot": ""}
    promise.refresh_from_db()
    assert promise.status == "broken"
    task = Task.objects.get(kind="broken_promise")
    assert (task.customer, task.assignee, task.status) == (debtor_a, agent_a, "open")

    log_in("ana_agent")
    page.goto(f"/customers/{debtor_a.pk}/")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text(f"Promesa de pago del {promised:%d/%m/%Y} incumplida")
    expect(timeline).to_contain_text("Promesa de pago de")
    # (the task is due on the settling day, after the browser's real "today", so the
    # worklist of today does not list it yet; its row is checked above)
