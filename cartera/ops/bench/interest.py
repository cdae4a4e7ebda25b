"""Time the daily late-interest accrual on an existing portfolio (build one with
``cartera bench generate``). Turns late interest ON for that organisation (use a bench
organisation), runs the accrual for ``--date`` twice (the second run must add nothing)
and prints both timings."""

import datetime as dt
import json
import time

from django.core.management.base import CommandError

from cartera.agreements.charges import accrue_interest
from cartera.agreements.models import AgreementSettings, InterestAccrual
from cartera.invoices.models import Invoice
from cartera.lib.dates import local_today
from cartera.orgs.models import Organization

HELP = "Time the late-interest accrual (turns it on for --org): --org SLUG [--date D]"


def add_arguments(parser) -> None:
    parser.add_argument("--org", required=True, help="organisation slug (a bench portfolio)")
    parser.add_argument("--date", help="YYYY-MM-DD (default: the organisation's today)")
    parser.add_argument("--json", action="store_true")


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
    overdue = Invoice.objects.filter(
        organization=organization,
        status="open",
        balance__gt=0,
        due_date__lt=day,
        late_charge__isnull=True,  # interest never accrues on interest
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
        f"{overdue} overdue principal invoices on {day}: {accruals} accruals for "
        f"{figures['customers']} customers in {first:.2f} s (CPU {first_cpu:.2f} s); "
        f"the same date again: {again:.2f} s (CPU {again_cpu:.2f} s), "
        f"{figures['second_run_added']} customers added, "
        f"{figures['second_run_new_accruals']} new accruals"
    )
