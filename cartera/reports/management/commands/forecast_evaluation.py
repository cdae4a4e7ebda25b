"""``cartera forecast-evaluation --org ibm --org demo [--cut YYYY-MM-DD …] [--json]``: the
strict-protocol table of docs/forecast.md (``cartera.reports.strict``)."""

import json

from django.core.management.base import BaseCommand, CommandError

from cartera.lib.dates import parse_iso_date
from cartera.orgs.models import Organization
from cartera.reports.strict import as_json, evaluate, markdown


class Command(BaseCommand):
    help = "Strict evaluation of the forecast at several cuts, against three baselines."

    def add_arguments(self, parser):
        parser.add_argument("--org", action="append", required=True, help="slug (repeatable)")
        parser.add_argument(
            "--cut", action="append", help="YYYY-MM-DD (repeatable; default: four month-ends)"
        )
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, **options):
        try:
            cuts = [parse_iso_date(c) for c in options["cut"] or []]
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        tables, data = [], {}
        for slug in options["org"]:
            organization = Organization.objects.filter(slug=slug).first()
            if organization is None:
                raise CommandError(f"no organisation with slug {slug!r}")
            results = evaluate(organization, cuts or None)
            data[slug] = as_json(results)
            tables.append(markdown(slug, results))
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        lines = tables[0].splitlines()
        for table in tables[1:]:
            lines += table.splitlines()[2:]
        self.stdout.write("\n".join(lines))
