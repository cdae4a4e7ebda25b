"""Scheduled account statements and "send each new invoice"."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from cartera.customers.services import create_customer, save_contact
from cartera.dunning.models import DunningSettings
from cartera.dunning.services import load_builtin_strategies, save_statement_schedule
from cartera.dunning.statements import queue_new_invoices, queue_statements, statement_due
from cartera.invoices.services import create_invoice
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
    assert message.subject == "Estado de cuenta al 2026-10-15 · Distribuidora Norte S.A. de C.V."
    # 09:00 Monterrey, inside the default strategy's window
    assert message.scheduled_for == dt.datetime(2026, 10, 15, 15, 0, tzinfo=dt.UTC)


def test_new_invoices_are_sent_only_when_enabled(org_a, invoice_a):
    since = timezone.now() - dt.timedelta(days=1)
    assert queue_new_invoices(organization=org_a, since=since, now=NOW) == 0
    DunningSettings.objects.create(organization=org_a, send_invoice_issued=True)
    assert queue_new_invoices(organization=org_a, since=since, now=NOW) == 1
    assert queue_new_invoices(organization=org_a, since=since, now=NOW) == 0
    message = Message.objects.get()
    assert (message.key, message.purpose, message.attach_pdf) == (
        f"inv-{invoice_a.pk}",
        "invoice_issued",
        True,
    )
    assert message.subject == "Nueva factura de Distribuidora Norte S.A. de C.V."


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
