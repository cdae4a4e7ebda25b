"""``cartera channel set whatsapp --org SLUG --phone-number-id … --business-account-id …
--access-token … --app-secret … --verify-token … [--api-url URL]`` configures the
organisation's WhatsApp number (secrets stored encrypted); ``cartera channel sync
whatsapp --org SLUG`` reads its template catalogue from Meta."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cartera.orgs.models import Organization
from cartera.outreach.whatsapp import save_whatsapp_config, sync_whatsapp_templates


class Command(BaseCommand):
    help = "Canales de mensajería: configuración por organización."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        configure = sub.add_parser("set", help="Configura un canal.")
        channels = configure.add_subparsers(dest="channel", required=True)
        whatsapp = channels.add_parser("whatsapp", help="WhatsApp Business Cloud API")
        whatsapp.add_argument("--org", required=True)
        whatsapp.add_argument("--phone-number-id", required=True)
        whatsapp.add_argument("--business-account-id", required=True)
        whatsapp.add_argument("--access-token", default="")
        whatsapp.add_argument("--app-secret", default="")
        whatsapp.add_argument("--verify-token", default="")
        whatsapp.add_argument("--api-url", default="")
        sync = sub.add_parser("sync", help="Sincroniza las plantillas de un canal.")
        sync.add_argument("channel", choices=["whatsapp"])
        sync.add_argument("--org", required=True)

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"no organisation with slug {options['org']!r}")
        try:
            if options["action"] == "sync":
                counts = sync_whatsapp_templates(
                    organization=organization, actor=None, now=timezone.now()
                )
                self.stdout.write(json.dumps(counts))
                return
            config = save_whatsapp_config(
                organization=organization,
                actor=None,
                phone_number_id=options["phone_number_id"],
                business_account_id=options["business_account_id"],
                access_token=options["access_token"],
                app_secret=options["app_secret"],
                verify_token=options["verify_token"],
                api_url=options["api_url"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"whatsapp configured for {organization.slug}: {config.phone_number_id}")
