"""The planner's semantics (docs/dunning.md, "The planner", steps 1–7), every date passed in."""

import datetime as dt
import json
import threading
import time
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.utils import timezone

from cartera.customers.services import save_contact
from cartera.dunning.models import (
    AssignmentRule,
    CustomerStrategy,
    Decision,
    DunningSettings,
    PlannerRun,
)
from cartera.dunning.services import load_builtin_strategies, load_strategy, run_planner
from cartera.followup.models import PromiseToPay, Task
from cartera.invoices.models import Dispute
from cartera.invoices.services import create_invoice
from cartera.outreach.models import Message
from cartera.timeline.models import Activity

D = dt.date
UTC = dt.UTC
# A fixed "now" before any of the as-of dates so scheduling depends only on the date.
NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def plan(org, day, dry_run=False):
    return run_planner(organization=org, as_of=day, dry_run=dry_run, now=NOW)


def rows(result):
    return [
        (d["invoice"], d["step"], d["firing"], d["action"], d["reason"])
        for d in result["decisions"]
    ]


def test_nothing_before_the_first_step(strategies_a, invoice_a):
    # F-100 is due 2026-10-01; the preventive step is at −3 → first eligible on 09-28.
    result = plan(invoice_a.organization, D(2026, 9, 27))
    assert result["decisions"] == [] and result["messages"] == []
    assert Decision.objects.count() == 0 and Message.objects.count() == 0


def test_preventive_step_fires_once_and_is_scheduled_in_the_window(strategies_a, invoice_a):
    org = invoice_a.organization
    result = plan(org, D(2026, 9, 28))
    assert rows(result) == [("F-100", "preventivo", 1, "send", None)]
    key = f"dun-20260928-email-{invoice_a.customer_id}"
    # Monday 2026-09-28 09:00 in Monterrey (UTC−6) = 15:00 UTC
    assert result["messages"] == [
        {
            "key": key,
            "customer": "CLI-001",
            "channel": "email",
            "strategy": "estandar",
            "step": "preventivo",
            "invoices": ["F-100"],
            "scheduled_for": "2026-09-28T15:00:00+00:00",
            "fallbacks": [],
        }
    ]
    message = Message.objects.get()
    assert (message.key, message.status, message.to, message.template_key) == (
        key,
        "queued",
        ["lucia@latuerca.mx"],
        "recordatorio-preventivo",
    )
    assert (
        message.subject
        == "Recordatorio: su factura vence pronto · Distribuidora Norte S.A. de C.V."
    )
    assert "A-100" in message.body_text and "11,600.00\xa0MXN" in message.body_text
    assert message.policy["window"] == "09:00-19:00"
    assert message.policy["strategy"] == "estandar" and message.policy["version"] == 1
    assert list(message.invoices.values_list("external_id", flat=True)) == ["F-100"]
    # the next day nothing new: the step already fired and does not repeat
    assert plan(org, D(2026, 9, 29))["decisions"] == []


def test_planner_off_for_a_week_supersedes_missed_steps(strategies_a, invoice_a):
    result = plan(invoice_a.organization, D(2026, 10, 7))
    assert rows(result) == [
        ("F-100", "preventivo", 1, "superseded", None),
        ("F-100", "vencimiento", 1, "superseded", None),
        ("F-100", "aviso-1", 1, "send", None),
    ]
    assert Message.objects.get().step_key == "aviso-1"
    assert Decision.objects.filter(action="superseded", message__isnull=True).count() == 2


def test_repeats_until_the_limit(org_a, invoice_a):
    load_strategy(
        organization=org_a,
        document={
            "key": "rep",
            "name": "Rep",
            "default": True,
            "contact_policy": {
                "window": "09:00-19:00",
                "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "max_per_7_days": 7,
            },
            "steps": [
                {
                    "key": "r",
                    "stage": "soft",
                    "offset_days": 0,
                    "channel": "email",
                    "repeat_every_days": 2,
                    "max_repeats": 2,
                }
            ],
        },
    )
    fired = {}
    for offset in range(0, 9):
        day = D(2026, 10, 1) + dt.timedelta(days=offset)
        fired[offset] = [(r[2], r[3]) for r in rows(plan(org_a, day))]
    assert fired == {
        0: [(1, "send")],
        1: [],
        2: [(2, "send")],
        3: [],
        4: [(3, "send")],
        5: [],
        6: [],
        7: [],
        8: [],
    }
    assert Message.objects.count() == 3


def test_repeat_waits_for_the_interval_from_the_last_firing(strategies_a, invoice_a):
    org = invoice_a.organization
    plan(org, D(2026, 10, 6))  # aviso-1 #1 (supersedes the two earlier steps)
    assert rows(plan(org, D(2026, 10, 12))) == []
    assert rows(plan(org, D(2026, 10, 13))) == [("F-100", "aviso-1", 2, "send", None)]
    assert rows(plan(org, D(2026, 10, 20))) == [("F-100", "aviso-1", 3, "send", None)]


def _skip_reason(org, day):
    result = plan(org, day)
    return [(d["action"], d["reason"]) for d in result["decisions"] if d["action"] != "superseded"]


def test_skip_disputed_before_factored(strategies_a, invoice_a):
    invoice_a.is_factored = True
    invoice_a.save()
    Dispute.objects.create(organization=invoice_a.organization, invoice=invoice_a, reason="x")
    assert _skip_reason(invoice_a.organization, D(2026, 10, 1)) == [("skip", "disputed")]
    assert Message.objects.count() == 0


def test_skip_factored(strategies_a, invoice_a):
    invoice_a.is_factored = True
    invoice_a.save()
    assert _skip_reason(invoice_a.organization, D(2026, 10, 1)) == [("skip", "factored")]


def test_skip_paused_is_reconsidered_the_next_day(strategies_a, invoice_a):
    customer = invoice_a.customer
    customer.paused_until = D(2026, 10, 1)
    customer.save()
    org = invoice_a.organization
    assert _skip_reason(org, D(2026, 10, 1)) == [("skip", "paused")]
    # the skip did not count as a firing, but on 10-02 "vence hoy" is no longer true
    assert rows(plan(org, D(2026, 10, 2))) == [("F-100", "vencimiento", 1, "superseded", None)]
    customer.paused_until = D(2026, 10, 6)
    customer.save()
    assert _skip_reason(org, D(2026, 10, 6)) == [("skip", "paused")]
    # an overdue step's skip is reconsidered: on 10-07 it fires as #1
    assert rows(plan(org, D(2026, 10, 7))) == [("F-100", "aviso-1", 1, "send", None)]


def test_skip_promised_only_while_the_promise_date_is_not_past(strategies_a, invoice_a):
    org = invoice_a.organization
    promise = PromiseToPay.objects.create(
        organization=org,
        customer=invoice_a.customer,
        promised_date=D(2026, 10, 7),
        amount=Decimal("11600.00"),
        currency="MXN",
    )
    promise.invoices.add(invoice_a)
    assert _skip_reason(org, D(2026, 10, 6)) == [("skip", "promised")]
    assert _skip_reason(org, D(2026, 10, 7)) == [("skip", "promised")]
    assert _skip_reason(org, D(2026, 10, 8)) == [("send", None)]


def test_skip_do_not_contact(strategies_a, invoice_a):
    customer = invoice_a.customer
    customer.do_not_contact = True
    customer.save()
    assert _skip_reason(invoice_a.organization, D(2026, 10, 1)) == [("skip", "do_not_contact")]


def test_no_contact_skips_and_raises_one_task(strategies_a, invoice_a):
    invoice_a.customer.contacts.update(email="")
    org = invoice_a.organization
    assert _skip_reason(org, D(2026, 10, 6)) == [("skip", "no_contact")]
    assert _skip_reason(org, D(2026, 10, 7)) == [("skip", "no_contact")]
    task = Task.objects.get()
    assert (task.kind, task.key, task.assignee.username) == (
        "missing_contact",
        f"missing-contact:{invoice_a.customer_id}:email",
        "ana_agent",
    )
    assert list(task.invoices.values_list("external_id", flat=True)) == ["F-100"]


def test_opted_out_contact_counts_as_no_contact(strategies_a, invoice_a):

    invoice_a.customer.contacts.update(email_opt_out_at=timezone.now())
    assert _skip_reason(invoice_a.organization, D(2026, 10, 1)) == [("skip", "no_contact")]


def test_frequency_cap(org_a, make_invoice):
    """At most ``max_per_7_days`` collection messages per customer and channel in 7 days;
    the capped firing is reconsidered and goes out once the window allows."""
    load_strategy(
        organization=org_a,
        document={
            "key": "cap",
            "name": "Cap",
            "default": True,
            "contact_policy": {
                "window": "09:00-19:00",
                "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "max_per_7_days": 3,
            },
            "steps": [{"key": "due", "stage": "soft", "offset_days": 0, "channel": "email"}],
        },
    )
    for day in range(1, 5):
        make_invoice(f"F-{day}", D(2026, 10, day))
    results = {day: _skip_reason(org_a, D(2026, 10, day)) for day in range(1, 9)}
    assert results == {
        1: [("send", None)],
        2: [("send", None)],
        3: [("send", None)],
        4: [("skip", "frequency_cap")],
        5: [("skip", "frequency_cap")],
        6: [("skip", "frequency_cap")],
        7: [("skip", "frequency_cap")],
        8: [("send", None)],  # 10-01 left the 7-day window
    }
    assert Message.objects.count() == 4


def test_frequency_cap_is_per_contact_point(org_a, debtor_a, make_invoice):
    """A contact that reached the cap is left out; another contact of the same customer
    still gets the message. Only when every contact point is capped does the firing wait."""

    load_strategy(
        organization=org_a,
        document={
            "key": "cap",
            "name": "Cap",
            "default": True,
            "contact_policy": {
                "window": "09:00-19:00",
                "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "max_per_7_days": 2,
            },
            "steps": [{"key": "due", "stage": "soft", "offset_days": 0, "channel": "email"}],
        },
    )
    for day in range(1, 6):
        make_invoice(f"F-{day}", D(2026, 10, day))
    assert _skip_reason(org_a, D(2026, 10, 1)) == [("send", None)]
    assert _skip_reason(org_a, D(2026, 10, 2)) == [("send", None)]
    save_contact(
        customer=debtor_a,
        actor=None,
        name="Pedro Tesorería",
        email="pedro@latuerca.mx",
        role="payments",
    )
    results = {day: _skip_reason(org_a, D(2026, 10, day)) for day in (3, 4, 5)}
    assert results == {
        3: [("send", None)],  # Lucía is capped (2 in 7 days), Pedro is not
        4: [("send", None)],  # Pedro's second message
        5: [("skip", "frequency_cap")],  # both contact points capped
    }
    recipients = dict(Message.objects.values_list("as_of", "to"))
    assert recipients == {
        D(2026, 10, 1): ["lucia@latuerca.mx"],
        D(2026, 10, 2): ["lucia@latuerca.mx"],
        D(2026, 10, 3): ["pedro@latuerca.mx"],
        D(2026, 10, 4): ["pedro@latuerca.mx"],
    }
    assert [
        sorted(m.contacts.values_list("email", flat=True))
        for m in Message.objects.order_by("as_of")
    ] == [
        ["lucia@latuerca.mx"],
        ["lucia@latuerca.mx"],
        ["pedro@latuerca.mx"],
        ["pedro@latuerca.mx"],
    ]


def test_grouping_one_message_per_customer_with_the_most_advanced_template(
    strategies_a, make_invoice
):
    org = strategies_a["estandar"].organization
    make_invoice("F-1", D(2026, 10, 4))  # preventive on 10-01
    make_invoice("F-2", D(2026, 10, 1))  # due on 10-01
    make_invoice("F-3", D(2026, 9, 26))  # soft (+5) on 10-01
    make_invoice("F-4", D(2026, 9, 11))  # firm call task (+20) on 10-01
    make_invoice("F-5", D(2026, 9, 11), total="20.00")  # also the call task
    result = plan(org, D(2026, 10, 1))
    emails = [m for m in result["messages"]]
    assert len(emails) == 1
    assert (emails[0]["step"], emails[0]["invoices"]) == ("aviso-1", ["F-3", "F-2", "F-1"])
    message = Message.objects.get()
    assert message.template_key == "aviso-vencido"
    assert sorted(message.invoices.values_list("external_id", flat=True)) == ["F-1", "F-2", "F-3"]
    task = Task.objects.get(kind="call")
    assert sorted(task.invoices.values_list("external_id", flat=True)) == ["F-4", "F-5"]
    assert Decision.objects.filter(action="send", task=task).count() == 2
    # the note of the soft step is on the timeline once
    notes = Activity.objects.filter(kind="note", customer=message.customer)
    assert [a.summary for a in notes] == ["Reclamo por falta de pago"]


def test_min_balance_keeps_small_invoices_on_their_previous_step(org_a, make_invoice):
    load_strategy(
        organization=org_a,
        document={
            "key": "mb",
            "name": "MB",
            "default": True,
            "contact_policy": {
                "window": "09:00-19:00",
                "weekdays": ["mon", "tue", "wed", "thu", "fri"],
                "max_per_7_days": 9,
            },
            "steps": [
                {"key": "a", "stage": "due", "offset_days": 0, "channel": "email"},
                {
                    "key": "b",
                    "stage": "hard",
                    "offset_days": 5,
                    "channel": "email",
                    "min_balance": "500",
                },
            ],
        },
    )
    make_invoice("BIG", D(2026, 10, 1), total="900.00")
    make_invoice("SMALL", D(2026, 10, 1), total="100.00")
    plan(org_a, D(2026, 10, 1))
    result = plan(org_a, D(2026, 10, 6))
    assert rows(result) == [("BIG", "b", 1, "send", None)]


def test_idempotent_second_run_creates_nothing(strategies_a, invoice_a):
    org = invoice_a.organization
    first = plan(org, D(2026, 10, 7))
    counts = (Decision.objects.count(), Message.objects.count(), Activity.objects.count())
    second = plan(org, D(2026, 10, 7))
    assert second["decisions"] == [] and second["messages"] == []
    assert (
        Decision.objects.count(),
        Message.objects.count(),
        Activity.objects.count() - 1,
    ) == counts
    assert len(first["decisions"]) == 3


def test_dry_run_writes_nothing_and_matches_the_live_run(strategies_a, invoice_a):
    org = invoice_a.organization
    dry = plan(org, D(2026, 10, 7), dry_run=True)
    assert (Decision.objects.count(), Message.objects.count(), PlannerRun.objects.count()) == (
        0,
        0,
        0,
    )
    live = plan(org, D(2026, 10, 7))
    assert (dry["decisions"], dry["messages"]) == (live["decisions"], live["messages"])


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_create_each_row_once(org_a, debtor_a):

    load_builtin_strategies(organization=org_a)
    for n in range(30):
        create_invoice(
            customer=debtor_a,
            actor=None,
            external_id=f"C-{n}",
            number=f"C-{n}",
            issue_date=D(2026, 9, 1),
            due_date=D(2026, 10, 1) - dt.timedelta(days=n % 9),
            currency="MXN",
            total=Decimal("100.00"),
        )
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            for _attempt in range(200):
                try:
                    run_planner(
                        organization=org_a,
                        as_of=D(2026, 10, 7),
                        dry_run=False,
                        now=NOW,
                        chunk_size=1,
                    )
                    break
                except OperationalError as exc:
                    # Only with SQLite's shared-cache in-memory test database, where a
                    # waiting BEGIN IMMEDIATE fails at once ("table is locked") instead of
                    # waiting on busy_timeout as the file database does; wait and retry.
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Message.objects.count() == 1
    sends = Decision.objects.filter(action="send").count()
    assert sends == 30
    assert (
        Decision.objects.values("invoice", "step", "firing_number").distinct().count()
        == Decision.objects.count()
    )


def test_cli_json_contract(strategies_a, invoice_a):
    out = StringIO()
    call_command(
        "dunning",
        "run",
        "--org",
        "norte",
        "--date",
        "2026-10-07",
        "--dry-run",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert set(data) == {"date", "dry_run", "decisions", "messages"}
    assert (data["date"], data["dry_run"]) == ("2026-10-07", True)
    assert data["decisions"][2] == {
        "invoice": "F-100",
        "customer": "CLI-001",
        "strategy": "estandar",
        "step": "aviso-1",
        "firing": 1,
        "action": "send",
        "reason": None,
        "channel": "email",
        "why": "",
        "message": f"dun-20261007-email-{invoice_a.customer_id}",
    }
    message = data["messages"][0]
    assert (message["customer"], message["step"], message["invoices"]) == (
        "CLI-001",
        "aviso-1",
        ["F-100"],
    )
    assert Decision.objects.count() == 0


def test_strategy_override_and_rules(strategies_a, invoice_a):

    org = invoice_a.organization
    customer = invoice_a.customer
    customer.classification = "D"
    customer.save()
    AssignmentRule.objects.create(
        organization=org, strategy=strategies_a["firme"], classification="D"
    )
    # Firme: soft step at +3
    assert rows(plan(org, D(2026, 10, 4), dry_run=True))[-1][1:] == ("aviso-1", 1, "send", None)
    CustomerStrategy.objects.create(
        organization=org, customer=customer, strategy=strategies_a["suave"]
    )
    # Suave has no step between −2 and +7: on 10-04 its current step is the preventive one,
    # whose day has passed (the invoice is overdue): nothing goes until +7
    assert rows(plan(org, D(2026, 10, 4), dry_run=True)) == [
        ("F-100", "preventivo", 1, "superseded", None)
    ]


def test_a_second_run_the_same_day_adds_new_firings_to_the_queued_message(
    strategies_a, make_invoice
):
    org = strategies_a["estandar"].organization
    make_invoice("F-1", D(2026, 10, 1))
    plan(org, D(2026, 10, 1))
    make_invoice("F-2", D(2026, 10, 1))  # arrives later the same day
    result = plan(org, D(2026, 10, 1))
    assert rows(result) == [
        ("F-2", "preventivo", 1, "superseded", None),
        ("F-2", "vencimiento", 1, "send", None),
    ]
    message = Message.objects.get()
    assert sorted(message.invoices.values_list("external_id", flat=True)) == ["F-1", "F-2"]
    assert "Factura F-1" in message.body_text and "Factura F-2" in message.body_text


def test_after_todays_message_was_sent_or_cancelled_new_firings_wait(strategies_a, make_invoice):
    org = strategies_a["estandar"].organization
    make_invoice("F-1", D(2026, 10, 1))
    plan(org, D(2026, 10, 1))
    Message.objects.update(status="cancelled")
    make_invoice("F-2", D(2026, 10, 2))  # its preventive reminder is due on 10-01 too
    assert _skip_reason(org, D(2026, 10, 1)) == [("skip", "already_messaged")]
    assert Message.objects.count() == 1
    # reconsidered the next day (the cancelled message does not count for the cap)
    assert _skip_reason(org, D(2026, 10, 2)) == [("send", None)]


def test_consumer_debtors_all_applies_the_legal_floor_to_businesses(org_a, invoice_a):
    """DunningSettings.consumer_debtors = "all": the MX consumer floor (07:00–22:00) also
    binds a business debtor (12-character RFC), and the message records it."""

    load_strategy(
        organization=org_a,
        document={
            "key": "early",
            "name": "Early",
            "default": True,
            "contact_policy": {
                "window": "06:00-23:00",
                "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            },
            "steps": [{"key": "due", "stage": "due", "offset_days": 0, "channel": "email"}],
        },
    )
    before = plan(org_a, D(2026, 10, 1), dry_run=True)["messages"][0]["scheduled_for"]
    DunningSettings.objects.create(organization=org_a, consumer_debtors="all")
    plan(org_a, D(2026, 10, 1))
    message = Message.objects.get()
    # Thursday 2026-10-01 in Monterrey (UTC−6): 06:00 → 12:00 UTC; the floor: 07:00 → 13:00 UTC
    assert (before, message.scheduled_for.isoformat()) == (
        "2026-10-01T12:00:00+00:00",
        "2026-10-01T13:00:00+00:00",
    )
    assert (message.policy["window"], message.policy["legal_floor"]) == (
        "07:00-22:00",
        "MX-consumidor",
    )


def test_a_due_date_step_never_fires_once_the_invoice_is_overdue(strategies_a, invoice_a):
    """First run two days after the due date: "vencen hoy" (stage due) no longer matches
    the invoice; it is recorded superseded and the next step fires on its own day."""
    org = invoice_a.organization
    assert rows(plan(org, D(2026, 10, 3))) == [
        ("F-100", "preventivo", 1, "superseded", None),
        ("F-100", "vencimiento", 1, "superseded", None),
    ]
    assert Message.objects.count() == 0
    assert rows(plan(org, D(2026, 10, 6))) == [("F-100", "aviso-1", 1, "send", None)]


def test_a_preventive_step_never_fires_on_or_after_the_due_date(org_a, invoice_a):
    load_strategy(
        organization=org_a,
        document={
            "key": "only-before",
            "name": "Only before",
            "default": True,
            "steps": [{"key": "pre", "stage": "preventive", "offset_days": -3, "channel": "email"}],
        },
    )
    assert rows(plan(org_a, D(2026, 10, 1))) == [("F-100", "pre", 1, "superseded", None)]
    assert rows(plan(org_a, D(2026, 9, 30))) == []  # already decided for this invoice
