import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from cartera.agreements.charges import accrue_interest
from cartera.orgs.models import Organization


class Command(BaseCommand):
    help = "Late interest: 'accrue' adds what accrued through --date (idempotent per date)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["accrue"])
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--date", required=True, help="YYYY-MM-DD, the organisation's date")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"no organisation with slug {options['org']!r}")
        try:
            day = dt.date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD: {exc}") from exc
        result = accrue_interest(organization=organization, day=day)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        if not result["enabled"]:
            self.stdout.write(f"{organization.slug}: late interest is off (agreement settings)")
        for row in result["customers"]:
            self.stdout.write(f"{row['customer']}: {row['interest']} {row['currency']}")
