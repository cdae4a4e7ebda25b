"""``cartera channel set whatsapp --org SLUG --phone-number-id … --business-account-id …
--access-token … --app-secret … --verify-token … [--api-url URL]`` configures the
organisation's WhatsApp number (secrets stored encrypted); ``cartera channel set sms
--org SLUG --account-sid … --auth-token … --from … [--api-url URL]`` its SMS account;
``cartera channel sync
whatsapp --org SLUG`` reads its template catalogue from Meta."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cartera.orgs.models import Organization
from cartera.outreach.sms import save_sms_config
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
        sms = channels.add_parser("sms", help="SMS por una API compatible con Twilio")
        sms.add_argument("--org", required=True)
        sms.add_argument("--account-sid", required=True)
        sms.add_argument("--auth-token", default="")
        sms.add_argument("--from", dest="from_number", required=True)
        sms.add_argument("--api-url", default="")
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
            if options["channel"] == "sms":
                config = save_sms_config(
                    organization=organization,
                    actor=None,
                    account_sid=options["account_sid"],
                    auth_token=options["auth_token"],
                    from_number=options["from_number"],
                    api_url=options["api_url"],
                )
                self.stdout.write(f"sms configured for {organization.slug}: {config.from_number}")
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
