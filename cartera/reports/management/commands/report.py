"""``cartera report aging|kpis|customers|forecast --org SLUG …`` (the forecast's evaluation:
``cartera forecast-evaluation``)."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from cartera.lib import fmt
from cartera.lib.dates import local_today, parse_iso_date
from cartera.orgs.models import Organization
from cartera.reports.aging import aging
from cartera.reports.asof import month_start
from cartera.reports.behaviour import customer_behaviour
from cartera.reports.forecast import forecast_json
from cartera.reports.indicators import indicators

KINDS = ("aging", "kpis", "customers", "forecast")


def _date(text: str) -> dt.date:
    try:
        return parse_iso_date(text)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


class Command(BaseCommand):
    help = "Reports as of a date or for a period: aging, kpis, customers, forecast."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--from", dest="start", help="period start YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="period end YYYY-MM-DD")
        parser.add_argument("--by", choices=("due", "issue"), default="due")
        parser.add_argument("--group", choices=("customer", "agent", "classification", "tag"))
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"no organisation with slug {options['org']!r}")
        kind = options["kind"].replace("_", "-")
        if (options["start"] is None) != (options["end"] is None):
            raise CommandError("--from and --to go together")
        if options["start"] and options["as_of"]:
            raise CommandError("use either --as-of or --from/--to")
        today = local_today(organization.timezone)
        end = (
            _date(options["end"] or options["as_of"])
            if (options["end"] or options["as_of"])
            else today
        )
        start = _date(options["start"]) if options["start"] else month_start(end)
        if start > end:
            raise CommandError("--from is after --to")
        handler = getattr(self, "_" + kind.replace("-", "_"))
        data, text = handler(organization, start, end, options)
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=None))
        else:
            self.stdout.write(text)

    def _aging(self, organization, start, end, options):
        report = aging(
            organization=organization, as_of=end, by=options["by"], group=options["group"]
        )
        if options["group"]:
            data = {
                "totals": _aging_totals(report),
                "groups": [
                    {
                        "key": row.key,
                        "label": str(row.label),
                        "currency": row.currency,
                        **{k: fmt.amount(v, row.currency) for k, v in row.amounts.items()},
                        "total": fmt.amount(row.total, row.currency),
                    }
                    for row in report.rows
                ],
            }
        else:
            data = _aging_totals(report)
        lines = [f"Aging as of {end.isoformat()} (by {options['by']} date)"]
        for currency, amounts in _aging_totals(report).items():
            parts = "  ".join(f"{k}={v}" for k, v in amounts.items())
            lines.append(f"{currency}: {parts}")
        return data, "\n".join(lines)

    def _kpis(self, organization, start, end, options):
        result = indicators(organization=organization, start=start, end=end)
        data = {}
        lines = [f"Indicators {start.isoformat()} – {end.isoformat()}"]
        for currency, ind in result.items():
            data[currency] = {
                "credit_sales": fmt.amount(ind.credit_sales, currency),
                "ar_begin": fmt.amount(ind.ar_begin, currency),
                "ar_end": fmt.amount(ind.ar_end, currency),
                "ar_current_end": fmt.amount(ind.ar_current_end, currency),
                "dso_simple": fmt.days(ind.dso_simple),
                "dso_countback": fmt.days(ind.dso_countback),
                "bpdso": fmt.days(ind.bpdso),
                "add": fmt.days(ind.add),
                "cei": fmt.percent(ind.cei),
            }
            if ind.countback_exhausted:
                self.stderr.write(
                    f"{currency}: countback used all 24 months without exhausting AR_end"
                )
            lines.append(f"{currency}: " + "  ".join(f"{k}={v}" for k, v in data[currency].items()))
        return data, "\n".join(lines)

    def _customers(self, organization, start, end, options):
        rows = customer_behaviour(organization=organization, as_of=end)
        data = {}
        lines = [f"Customer behaviour as of {end.isoformat()}"]
        for row in rows:
            data[row.external_id] = {
                "invoices_paid": row.invoices_paid,
                "avg_days_to_pay": fmt.days(row.avg_days_to_pay),
                "avg_days_late": fmt.days(row.avg_days_late),
                "on_time_rate": fmt.percent(row.on_time_rate),
                "classification": row.classification,
            }
            lines.append(
                f"{row.external_id} {row.name}: "
                + "  ".join(f"{k}={v}" for k, v in data[row.external_id].items())
            )
        return data, "\n".join(lines)

    def _forecast(self, organization, start, end, options):
        data = forecast_json(organization=organization, as_of=end)
        return data, json.dumps(data, ensure_ascii=False, indent=2)


def _aging_totals(report) -> dict:
    return {
        currency: {key: fmt.amount(value, currency) for key, value in amounts.items()}
        for currency, amounts in report.totals().items()
    }
