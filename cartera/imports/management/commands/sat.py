"""``cartera sat download --org SLUG [--date YYYY-MM-DD] [--json]``: one run of the SAT's
Descarga Masiva for the organisation (what the hourly ``sat-download`` job does)."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from cartera.imports.sat_download import run_sat_download
from cartera.lib.dates import local_today
from cartera.orgs.models import Organization


class Command(BaseCommand):
    help = (
        "SAT (Mexico): 'download' follows the open Descarga Masiva request of the CFDI the "
        "organisation issued and asks for the next period; the packages go to the CFDI import."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["download"])
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--date", help="YYYY-MM-DD, the organisation's date (default: today)")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"no organisation with slug {options['org']!r}")
        try:
            today = (
                dt.date.fromisoformat(options["date"])
                if options["date"]
                else local_today(organization.timezone)
            )
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD: {exc}") from exc
        result = run_sat_download(organization=organization, today=today)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        for row in result["downloads"]:
            start, end = row["period"]
            self.stdout.write(
                f"{start}..{end}: {row['status']} {row['sat_code']} {row['message']} "
                f"({row['imported']}/{row['packages']} packages)"
            )
        self.stdout.write(f"{organization.slug}: {result['status']} {result.get('detail', '')}")
