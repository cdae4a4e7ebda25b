import json

from django.core.management.base import BaseCommand, CommandError

from cartera.orgs.models import Organization
from cartera.payments.ledger import check_ledger


class Command(BaseCommand):
    help = "Recompute every balance from its allocations and report mismatches."

    def add_arguments(self, parser):
        parser.add_argument("--org", help="organisation slug (default: all)")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, **options):
        organization = None
        if options["org"]:
            organization = Organization.objects.filter(slug=options["org"]).first()
            if organization is None:
                raise CommandError(f"no organisation with slug {options['org']!r}")
        result = check_ledger(organization=organization)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            state = "OK" if result["ok"] else "MISMATCH"
            self.stdout.write(
                f"{state}: {result['invoices']} invoices, {result['payments']} payments, "
                f"{result['credit_notes']} credit notes, {len(result['mismatches'])} mismatches"
            )
            for row in result["mismatches"]:
                self.stdout.write(f"  {row}")
        if not result["ok"]:
            raise SystemExit(1)
