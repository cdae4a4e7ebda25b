"""``cartera reconcile --org SLUG [--dry-run] [--json]``: match the open incoming bank
movements (docs/bank.md). Prints ``{"matched", "suggested", "unmatched"}``."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from cartera.lib.dates import local_today
from cartera.orgs.language import organization_language
from cartera.orgs.models import Organization
from cartera.payments.reconciliation import reconcile


class Command(BaseCommand):
    help = "Concilia los abonos bancarios abiertos con los clientes y sus facturas."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="identificador (slug) de la organización")
        parser.add_argument("--dry-run", action="store_true", help="solo mostrar; no escribe nada")
        parser.add_argument("--json", action="store_true", help="salida JSON")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"organización desconocida: {options['org']}")
        with translation.override(organization_language(organization.pk)):
            result = reconcile(
                organization=organization,
                today=local_today(organization.timezone),
                dry_run=options["dry_run"],
            ).as_json()
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2, default=str))
            return
        prefix = "(revisión, nada se escribió) " if options["dry_run"] else ""
        self.stdout.write(
            f"{prefix}conciliados {len(result['matched'])} · con sugerencias "
            f"{len(result['suggested'])} · sin identificar {len(result['unmatched'])}"
        )
        for row in result["matched"]:
            self.stdout.write(
                f"  {row['date']} {row['amount']} {row['currency']} → {row['customer']} "
                f"{', '.join(row['invoices']) or '(saldo a favor)'} [{row['rule']}]"
            )
