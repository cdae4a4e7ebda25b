import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cartera.orgs.services import create_organization


def _format_errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


class Command(BaseCommand):
    help = "Manage organisations: cartera org create --slug S --name N --country MX --tax-id RFC"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create an organisation")
        create.add_argument("--slug", required=True)
        create.add_argument("--name", required=True)
        create.add_argument("--country", required=True, help="MX, CL, AR or XX (other)")
        create.add_argument("--tax-id", default="", help="RFC / RUT / CUIT")
        create.add_argument("--currency", default="", help="ISO code; default from the country")
        create.add_argument("--timezone", default="", help="IANA name; default from the country")
        create.add_argument("--language", default="es-mx", choices=["es-mx", "en"])
        create.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        try:
            org = create_organization(
                slug=options["slug"],
                name=options["name"],
                country=options["country"],
                tax_id=options["tax_id"],
                currency=options["currency"],
                timezone_name=options["timezone"],
                language=options["language"],
            )
        except ValidationError as exc:
            raise CommandError(_format_errors(exc)) from None
        payload = {
            "slug": org.slug,
            "name": org.name,
            "country": org.country,
            "currency": org.default_currency,
            "timezone": org.timezone,
            "tax_id": org.tax_id,
        }
        if options["json"]:
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
        else:
            self.stdout.write(self.style.SUCCESS(f"Organización {org.name} ({org.slug}) creada."))
