import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from cartera.fiscal.sat_status import check_sat_statuses
from cartera.lib.dates import local_today
from cartera.orgs.models import Organization


class Command(BaseCommand):
    help = (
        "Fiscal (Mexico): 'check-status' asks the SAT's status service about every open "
        "invoice's CFDI; a cancelled one becomes void."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check-status"])
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
        result = check_sat_statuses(organization=organization, today=today)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        for row in result["invoices"]:
            self.stdout.write(f"{row['invoice']} {row['uuid']}: {row['outcome']} {row['detail']}")
        self.stdout.write(
            f"{organization.slug}: {result['checked']} checked, {result['voided']} voided, "
            f"{result['in_progress']} cancellation in progress, {result['not_found']} not found, "
            f"{result['unavailable']} unavailable"
        )
