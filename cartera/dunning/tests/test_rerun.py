"""Re-running the planner for a date it already ran creates nothing and never fails, for
every skip reason, live runs repeated, a manual run then the scheduled one, and after a
change of the daily run hour (docs/dunning.md, "The planner", idempotence)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cartera.dunning.models import Decision, DunningSettings
from cartera.dunning.services import load_strategy, run_planner
from cartera.dunning.tasks import run_dunning
from cartera.followup.models import PromiseToPay, Task
from cartera.invoices.models import Dispute
from cartera.outreach.models import Message
from cartera.payments.models import Payment

D = dt.date
NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)
DAY = D(2026, 10, 1)
# 13:00 UTC is 07:00 in Monterrey (UTC−6): the default run hour on DAY
SLOT = "2026-10-01T13:00:00+00:00"


def _disputed(invoice):
    Dispute.objects.create(organization=invoice.organization, invoice=invoice, reason="x")


def _factored(invoice):
    invoice.is_factored = True
    invoice.save()


def _payment_reported(invoice):
    payment = Payment.objects.create(
        organization=invoice.organization,
        customer=invoice.customer,
        date=DAY,
        amount=Decimal("100.00"),
        currency="MXN",
        unallocated=Decimal("100.00"),
        status="reported",
        source="portal",
    )
    payment.reported_invoices.add(invoice)


def _paused(invoice):
    invoice.customer.paused_until = DAY
    invoice.customer.save()


def _promised(invoice):
    promise = PromiseToPay.objects.create(
        organization=invoice.organization,
        customer=invoice.customer,
        promised_date=DAY,
        amount=Decimal("11600.00"),
        currency="MXN",
    )
    promise.invoices.add(invoice)


def _do_not_contact(invoice):
    invoice.customer.do_not_contact = True
    invoice.customer.save()


def _no_contact(invoice):
    invoice.customer.contacts.update(email="")


def _opted_out(invoice):
    invoice.customer.contacts.update(email_opt_out_at=timezone.now())


HOLDS = {
    "disputed": _disputed,
    "factored": _factored,
    "payment_reported": _payment_reported,
    "paused": _paused,
    "promised": _promised,
    "do_not_contact": _do_not_contact,
    "no_contact": _no_contact,
    "opted_out": _opted_out,
}


def _counts():
    return (Decision.objects.count(), Message.objects.count(), Task.objects.count())


def _live(org, day=DAY):
    return run_planner(organization=org, as_of=day, dry_run=False, now=NOW)


@pytest.mark.parametrize("hold", sorted(HOLDS))
@pytest.mark.parametrize("reruns", [1, 2, 3])
def test_rerun_with_a_skip_creates_nothing(strategies_a, invoice_a, hold, reruns):
    HOLDS[hold](invoice_a)
    org = invoice_a.organization
    first = _live(org)
    assert [d["action"] for d in first["decisions"] if d["action"] != "superseded"] == ["skip"]
    counts = _counts()
    for _ in range(reruns):
        again = _live(org)
        assert again["decisions"] == [] and again["messages"] == []
        assert again["counts"]["decisions"] == 0
    assert _counts() == counts


def _cap_strategy(org, **policy):
    load_strategy(
        organization=org,
        document={
            "key": "cap",
            "name": "Cap",
            "default": True,
            "contact_policy": {
                "window": "09:00-19:00",
                "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                **policy,
            },
            "steps": [{"key": "due", "stage": "due", "offset_days": 0, "channel": "email"}],
        },
    )


def test_rerun_with_a_frequency_cap_skip(org_a, make_invoice):
    _cap_strategy(org_a, max_per_7_days=1)
    make_invoice("F-1", D(2026, 10, 1))
    make_invoice("F-2", D(2026, 10, 2))
    _live(org_a, D(2026, 10, 1))
    first = _live(org_a, D(2026, 10, 2))
    assert [(d["action"], d["reason"]) for d in first["decisions"]] == [("skip", "frequency_cap")]
    counts = _counts()
    for _ in range(3):
        assert _live(org_a, D(2026, 10, 2))["decisions"] == []
    assert _counts() == counts


def test_rerun_with_an_already_messaged_skip(org_a, make_invoice):
    _cap_strategy(org_a)
    make_invoice("F-1", DAY)
    _live(org_a)
    Message.objects.update(status="sent")
    make_invoice("F-2", DAY)
    first = _live(org_a)
    assert [(d["action"], d["reason"]) for d in first["decisions"]] == [
        ("skip", "already_messaged")
    ]
    counts = _counts()
    for _ in range(3):
        assert _live(org_a)["decisions"] == []
    assert _counts() == counts


def test_manual_run_then_the_scheduled_run(strategies_a, invoice_a, make_invoice):
    _paused(invoice_a)
    make_invoice("F-2", DAY, customer=None)
    org = invoice_a.organization
    _live(org)
    counts = _counts()
    result = run_dunning.call(organization_id=org.pk, slot=SLOT)
    assert (result["date"], result["decisions"], result["messages"]) == ("2026-10-01", 0, 0)
    assert _counts() == counts


def test_a_change_of_run_hour_runs_the_same_day_again_harmlessly(strategies_a, invoice_a):
    _no_contact(invoice_a)
    org = invoice_a.organization
    first = run_dunning.call(organization_id=org.pk, slot=SLOT)
    assert (first["skip"], first["tasks"]) == (1, 1)
    counts = _counts()
    DunningSettings.objects.update_or_create(organization=org, defaults={"run_hour": 9})
    second = run_dunning.call(organization_id=org.pk, slot="2026-10-01T15:00:00+00:00")
    assert (second["date"], second["decisions"], second["tasks"]) == ("2026-10-01", 0, 0)
    assert _counts() == counts
