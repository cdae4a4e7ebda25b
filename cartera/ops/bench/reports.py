"""Time the reports on an existing portfolio (build one with ``cartera bench generate``).

Aging, the indicators for one month, customer behaviour for all customers, and
optionally the forecast's strict evaluation on the IBM late-payment history (``--ibm``, read from
``../shared`` only when present; never copied into the project).
"""

import datetime as dt
import json
import time

from django.core.management.base import CommandError

from cartera.invoices.models import Invoice
from cartera.lib.dates import local_today
from cartera.orgs.models import Organization
from cartera.orgs.services import create_organization
from cartera.reports import ibm
from cartera.reports.aging import aging
from cartera.reports.asof import month_start
from cartera.reports.behaviour import customer_behaviour
from cartera.reports.forecast import forecast
from cartera.reports.indicators import indicators, monthly_trend
from cartera.reports.strict import as_json, evaluate

HELP = "Time aging, monthly indicators and customer behaviour: --org SLUG --as-of D [--ibm]"


def add_arguments(parser) -> None:
    parser.add_argument("--org", required=True, help="organisation slug")
    parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default: org's today)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per report (best is kept)")
    parser.add_argument(
        "--ibm",
        action="store_true",
        help="load the IBM history into --org (if it does not exist) and evaluate the forecast",
    )
    parser.add_argument("--forecast", action="store_true", help="also time the forecast")
    parser.add_argument("--json", action="store_true")


def _best(func, repeat: int) -> tuple[float, object]:
    best, result = None, None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def run(options: dict, stdout) -> None:
    if options["ibm"]:
        return _ibm(options, stdout)
    organization = Organization.objects.filter(slug=options["org"]).first()
    if organization is None:
        raise CommandError(f"no organisation with slug {options['org']!r}")
    as_of = (
        dt.date.fromisoformat(options["as_of"])
        if options["as_of"]
        else local_today(organization.timezone)
    )

    figures = {
        "org": organization.slug,
        "as_of": as_of.isoformat(),
        "invoices": Invoice.objects.filter(organization=organization).count(),
    }
    seconds, report = _best(
        lambda: aging(organization=organization, as_of=as_of), options["repeat"]
    )
    figures["aging_s"] = round(seconds, 2)
    figures["aging_total"] = {c: str(v["total"]) for c, v in report.totals().items()}
    seconds, result = _best(
        lambda: indicators(organization=organization, start=month_start(as_of), end=as_of),
        options["repeat"],
    )
    figures["kpis_month_s"] = round(seconds, 2)
    seconds, rows = _best(
        lambda: customer_behaviour(organization=organization, as_of=as_of), options["repeat"]
    )
    figures["behaviour_s"] = round(seconds, 2)
    figures["behaviour_customers"] = len(rows)

    seconds, _trend = _best(
        lambda: monthly_trend(organization=organization, end=as_of, months=6), options["repeat"]
    )
    figures["trend_6_months_s"] = round(seconds, 2)
    if options.get("forecast"):
        seconds, data = _best(
            lambda: forecast(organization=organization, as_of=as_of), options["repeat"]
        )
        figures["forecast_s"] = round(seconds, 2)
        figures["forecast_open_invoices"] = len(data["predictions"])
    stdout.write(
        json.dumps(figures)
        if options["json"]
        else "\n".join(f"{k}: {v}" for k, v in figures.items())
    )


def _ibm(options: dict, stdout) -> None:
    if not ibm.DEFAULT_PATH.exists():
        raise CommandError(f"IBM data set not found at {ibm.DEFAULT_PATH}")
    organization = Organization.objects.filter(slug=options["org"]).first()
    if organization is None:
        organization = create_organization(
            slug=options["org"],
            name="IBM AR sample",
            country="XX",
            currency="USD",
            timezone_name="UTC",
        )
        start = time.perf_counter()
        loaded = ibm.load(organization=organization)
        loaded["load_s"] = round(time.perf_counter() - start, 1)
        stdout.write(json.dumps(loaded, default=str))
    start = time.perf_counter()
    data = {"evaluation": as_json(evaluate(organization))}
    data["evaluation_s"] = round(time.perf_counter() - start, 2)
    stdout.write(json.dumps(data))
