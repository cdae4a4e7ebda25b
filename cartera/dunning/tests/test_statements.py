"""Scheduled account statements and "send each new invoice"."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cartera.customers.services import create_customer, save_contact
from cartera.dunning.models import DunningSettings
from cartera.dunning.services import load_builtin_strategies, save_statement_schedule
from cartera.dunning.statements import (
    new_invoices_pending,
    queue_new_invoices,
    queue_statements,
    statement_due,
)
from cartera.invoices.choices import FactoredDisplay
from cartera.invoices.factoring import set_factored_display
from cartera.invoices.services import create_invoice
from cartera.lib.dates import local_today
from cartera.outreach.models import Message

NOW = dt.datetime(2026, 10, 15, 12, 0, tzinfo=dt.UTC)  # Thursday 06:00 in Monterrey


def test_statement_days():
    settings = DunningSettings(statement_month_days=[1, 15, 31], statement_weekdays=["mon"])
    assert [d for d in range(1, 31) if statement_due(settings, dt.date(2026, 11, d))] == [
        1,
        2,
        9,
        15,
        16,
        23,
        30,
    ]  # 1, 15, Mondays, and 31 → Nov 30


def test_statements_are_queued_once_per_day(org_a, invoice_a):
    load_builtin_strategies(organization=org_a)
    DunningSettings.objects.create(organization=org_a, statement_month_days=[15])
    assert queue_statements(organization=org_a, as_of=dt.date(2026, 10, 14), now=NOW) == 0
    assert queue_statements(organization=org_a, as_of=dt.date(2026, 10, 15), now=NOW) == 1
    assert queue_statements(organization=org_a, as_of=dt.date(2026, 10, 15), now=NOW) == 0
    message = Message.objects.get()
    assert (message.purpose, message.template_key, message.to) == (
        "statement",
        "estado-de-cuenta",
        ["lucia@latuerca.mx"],
    )
    assert message.subject == "Estado de cuenta al 15/10/2026 · Distribuidora Norte S.A. de C.V."
    # 09:00 Monterrey, inside the default strategy's window
    assert message.scheduled_for == dt.datetime(2026, 10, 15, 15, 0, tzinfo=dt.UTC)


def _issued(customer, external_id, issue_date):
    return create_invoice(
        customer=customer,
        actor=None,
        external_id=external_id,
        number=external_id,
        issue_date=issue_date,
        due_date=issue_date + dt.timedelta(days=30),
        currency="MXN",
        total=Decimal("1160.00"),
    )


def test_new_invoices_are_sent_only_when_enabled(org_a, debtor_a):
    invoice = _issued(debtor_a, "F-NEW", dt.date(2026, 10, 15))
    since = timezone.now() - dt.timedelta(days=1)
    assert queue_new_invoices(organization=org_a, since=since, now=NOW) == 0
    DunningSettings.objects.create(organization=org_a, send_invoice_issued=True)
    assert queue_new_invoices(organization=org_a, since=since, now=NOW) == 1
    assert queue_new_invoices(organization=org_a, since=since, now=NOW) == 0
    message = Message.objects.get()
    assert (message.key, message.purpose, message.attach_pdf) == (
        f"inv-{invoice.pk}",
        "invoice_issued",
        True,
    )
    assert message.subject == "Nueva factura de Distribuidora Norte S.A. de C.V."


def test_only_recently_issued_invoices_are_sent_never_imported_history(org_a, debtor_a):
    """Loaded today, but issued weeks ago (an import of open history): not "new". The
    window is the organisation's local today and the day before (NOW is 06:00 on 10-15
    in Monterrey)."""
    DunningSettings.objects.create(organization=org_a, send_invoice_issued=True)
    _issued(debtor_a, "OLD", dt.date(2026, 9, 1))
    _issued(debtor_a, "TWO-DAYS", dt.date(2026, 10, 13))
    _issued(debtor_a, "YESTERDAY", dt.date(2026, 10, 14))
    _issued(debtor_a, "TODAY", dt.date(2026, 10, 15))
    since = timezone.now() - dt.timedelta(days=1)
    assert new_invoices_pending(organization=org_a, now=NOW) == 2
    assert queue_new_invoices(organization=org_a, since=since, now=NOW) == 2
    assert sorted(Message.objects.values_list("invoices__external_id", flat=True)) == [
        "TODAY",
        "YESTERDAY",
    ]
    assert new_invoices_pending(organization=org_a, now=NOW) == 0


def test_settings_page_says_how_many_invoices_would_go(login, owner_a, org_a, debtor_a):
    _issued(debtor_a, "OLD", dt.date(2026, 9, 1))
    _issued(debtor_a, "TODAY", local_today(org_a.timezone))
    page = login(owner_a).get("/dunning/settings/").content.decode()
    assert "Al activarlo se enviaría 1 factura emitida" in page


def test_per_customer_statement_schedule_overrides_the_organisation(org_a, invoice_a):

    other = create_customer(organization=org_a, actor=None, external_id="CLI-002", name="Otro")
    save_contact(customer=other, actor=None, name="Pagos", email="pagos@otro.mx")
    create_invoice(
        customer=other,
        actor=None,
        external_id="F-200",
        number="F-200",
        issue_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 10, 1),
        currency="MXN",
        total=Decimal("100.00"),
    )
    DunningSettings.objects.create(organization=org_a, statement_month_days=[1])
    # CLI-001 on days 1 and 15 (its own); CLI-002 follows the organisation (day 1)
    save_statement_schedule(
        customer=invoice_a.customer, actor=None, mode="custom", month_days=[15], weekdays=[]
    )

    def queued(day):
        queue_statements(organization=org_a, as_of=day, now=NOW)
        return sorted(
            Message.objects.filter(purpose="statement", as_of=day).values_list(
                "customer__external_id", flat=True
            )
        )

    assert queued(dt.date(2026, 10, 1)) == ["CLI-002"]
    assert queued(dt.date(2026, 10, 15)) == ["CLI-001"]
    assert queued(dt.date(2026, 10, 16)) == []
    # "none": no statements for that customer even on the organisation's day
    save_statement_schedule(customer=other, actor=None, mode="none")
    assert queued(dt.date(2026, 11, 1)) == []


@pytest.mark.parametrize("display", [FactoredDisplay.PAYABLE_TO_FACTOR, FactoredDisplay.HIDDEN])
def test_factored_invoices_are_never_payable_in_a_scheduled_statement(
    org_a, invoice_a, debtor_a, display
):
    """A ceded invoice is payable to the factor, not to us: it is outside the statement's
    invoices and totals, listed apart as the factor's or not at all per the organisation's
    setting (and a customer whose open invoices are all ceded gets no statement)."""
    load_builtin_strategies(organization=org_a)
    DunningSettings.objects.create(organization=org_a, statement_month_days=[15])
    set_factored_display(organization=org_a, display=display)
    invoice_a.is_factored, invoice_a.factor_name = True, "Factoraje Uno"
    invoice_a.save()
    assert queue_statements(organization=org_a, as_of=dt.date(2026, 10, 15), now=NOW) == 0
    _issued(debtor_a, "F-OURS", dt.date(2026, 9, 20))
    assert queue_statements(organization=org_a, as_of=dt.date(2026, 10, 16), now=NOW) == 0
    assert queue_statements(organization=org_a, as_of=dt.date(2026, 11, 15), now=NOW) == 1
    message = Message.objects.get()
    assert list(message.invoices.values_list("external_id", flat=True)) == ["F-OURS"]
    ceded = [line for line in message.body_text.splitlines() if "A-100" in line]
    if display == FactoredDisplay.HIDDEN:
        assert ceded == [] and "cedidas" not in message.body_text
    else:
        assert ceded == [
            "- A-100 · vence 01/10/2026 · saldo 11,600.00\xa0MXN · pagadera a Factoraje Uno"
        ]
        assert "Factoraje Uno" in message.body_html
