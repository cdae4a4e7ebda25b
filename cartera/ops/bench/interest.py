"""Time the daily late-interest accrual on an existing portfolio (build one with
``cartera bench generate``). Turns late interest ON for that organisation (use a bench
organisation), agrees ``--plans`` payment plans (one open invoice of as many customers,
six monthly instalments of which four are late on ``--date``: they accrue as instalments),
runs the accrual for ``--date`` twice (the second run must add nothing) and prints both
timings."""

import datetime as dt
import json
import time

from django.core.management.base import CommandError

from cartera.agreements.charges import accrue_interest
from cartera.agreements.choices import InstalmentStatus, PlanSource, PlanStatus
from cartera.agreements.models import AgreementSettings, Instalment, InterestAccrual, PaymentPlan
from cartera.agreements.services import PlanTerms, create_plan
from cartera.invoices.models import Invoice
from cartera.lib.dates import local_today
from cartera.orgs.models import Organization

HELP = "Time the late-interest accrual (turns it on for --org): --org SLUG [--date D]"


def add_arguments(parser) -> None:
    parser.add_argument("--org", required=True, help="organisation slug (a bench portfolio)")
    parser.add_argument("--date", help="YYYY-MM-DD (default: the organisation's today)")
    parser.add_argument("--plans", type=int, default=1000, help="payment plans (default 1000)")
    parser.add_argument("--json", action="store_true")


PLAN_AGREED_DAYS_BEFORE = 100  # the plans were agreed 100 days before the date …
FIRST_DUE_AFTER = 5  # … their first instalment due 5 days later: 4 of 6 are late


def make_plans(organization, *, agreed: dt.date, first_due: dt.date, wanted: int) -> int:
    """Agree six-instalment plans (as the debtor would in the portal: within the policy),
    one open invoice due before ``agreed`` of as many customers, until the organisation
    has ``wanted`` in force; returns how many were made now (``bench dunning`` too)."""
    missing = (
        wanted
        - PaymentPlan.objects.filter(organization=organization, status=PlanStatus.ACTIVE).count()
    )
    candidates = (
        Invoice.objects.filter(
            organization=organization,
            status="open",
            balance__gt=0,
            due_date__lt=agreed,
            late_charge__isnull=True,
            plan_interest_of__isnull=True,
            payment_plans__isnull=True,
        )
        .select_related("customer", "customer__organization")
        .order_by("customer_id", "due_date", "id")
    )
    made, seen = 0, set()
    for invoice in candidates.iterator(chunk_size=2000):
        if made >= missing:
            break
        if invoice.customer_id in seen:
            continue
        seen.add(invoice.customer_id)
        create_plan(
            customer=invoice.customer,
            invoices=[invoice],
            terms=PlanTerms(count=6, first_due=first_due),
            actor=None,
            today=agreed,
            source=PlanSource.PORTAL,
        )
        made += 1
    return made


def _make_plans(organization, day: dt.date, wanted: int) -> int:
    agreed = day - dt.timedelta(days=PLAN_AGREED_DAYS_BEFORE)
    return make_plans(
        organization,
        agreed=agreed,
        first_due=agreed + dt.timedelta(days=FIRST_DUE_AFTER),
        wanted=wanted,
    )


def _timed(func):
    """(wall seconds, CPU seconds of this process, result): on a shared machine the CPU
    time is the figure that does not depend on the other processes."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = func()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def run(options: dict, stdout) -> None:
    organization = Organization.objects.filter(slug=options["org"]).first()
    if organization is None:
        raise CommandError(f"no organisation with slug {options['org']!r}")
    day = (
        dt.date.fromisoformat(options["date"])
        if options["date"]
        else local_today(organization.timezone)
    )
    AgreementSettings.objects.update_or_create(
        organization=organization, defaults={"accrue_late_interest": True}
    )
    plans_s, _cpu, made_plans = _timed(lambda: _make_plans(organization, day, options["plans"]))
    overdue = (
        Invoice.objects.filter(
            organization=organization,
            status="open",
            balance__gt=0,
            due_date__lt=day,
            late_charge__isnull=True,  # interest never accrues on interest
            plan_interest_of__isnull=True,
        )
        .exclude(payment_plans__status=PlanStatus.ACTIVE)
        .count()
    )
    late_instalments = Instalment.objects.filter(
        organization=organization,
        plan__status=PlanStatus.ACTIVE,
        status=InstalmentStatus.PENDING,
        due_date__lt=day,
    ).count()
    first, first_cpu, result = _timed(lambda: accrue_interest(organization=organization, day=day))
    accruals = InterestAccrual.objects.filter(charge__organization=organization, date=day).count()
    again, again_cpu, repeat = _timed(lambda: accrue_interest(organization=organization, day=day))
    accruals_after = InterestAccrual.objects.filter(
        charge__organization=organization, date=day
    ).count()
    figures = {
        "date": day.isoformat(),
        "overdue_invoices": overdue,
        "late_instalments": late_instalments,
        "plans_made": made_plans,
        "plans_made_s": round(plans_s, 2),
        "accruals": accruals,
        "customers": len(result["customers"]),
        "first_run_s": round(first, 2),
        "first_run_cpu_s": round(first_cpu, 2),
        "second_run_s": round(again, 2),
        "second_run_cpu_s": round(again_cpu, 2),
        "second_run_added": len(repeat["customers"]),
        "second_run_new_accruals": accruals_after - accruals,
    }
    if options["json"]:
        stdout.write(json.dumps(figures))
        return
    stdout.write(
        f"{overdue} overdue principal invoices and {late_instalments} late instalments on "
        f"{day}: {accruals} accruals for "
        f"{figures['customers']} customers in {first:.2f} s (CPU {first_cpu:.2f} s); "
        f"the same date again: {again:.2f} s (CPU {again_cpu:.2f} s), "
        f"{figures['second_run_added']} customers added, "
        f"{figures['second_run_new_accruals']} new accruals"
    )
