"""``cartera portal link --org SLUG --customer EXTERNAL_ID [--expires-days N]``
prints the customer's portal URL (a new link; the previous one stops working)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cartera.customers.models import Customer
from cartera.followup.promises import settle_promises
from cartera.orgs.models import Organization
from cartera.portal.access import issue_token, portal_url


class Command(BaseCommand):
    help = "Portal del cliente: enlaces y promesas."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        link = sub.add_parser("link", help="Imprime un enlace nuevo al portal de un cliente.")
        link.add_argument("--org", required=True)
        link.add_argument("--customer", required=True, help="clave externa del cliente")
        link.add_argument("--expires-days", type=int, default=None)
        settle = sub.add_parser("settle-promises", help="Liquida las promesas vencidas.")
        settle.add_argument("--org", required=True)
        settle.add_argument("--date", required=True, help="AAAA-MM-DD (hoy local)")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"no organisation with slug {options['org']!r}")
        if options["action"] == "settle-promises":
            counts = settle_promises(
                organization=organization, today=dt.date.fromisoformat(options["date"])
            )
            self.stdout.write(str(counts))
            return
        customer = Customer.objects.filter(
            organization=organization, external_id=options["customer"]
        ).first()
        if customer is None:
            raise CommandError(f"no customer {options['customer']!r} in {organization.slug}")
        expires = None
        if options["expires_days"]:
            expires = timezone.now() + dt.timedelta(days=options["expires_days"])
        self.stdout.write(
            portal_url(issue_token(customer=customer, actor=None, expires_at=expires))
        )
