"""``cartera bulletins export --org SLUG --country MX|CL --date D --out FILE [--json]``:
the day's bulletin file (the same services as the page; run as the operator)."""

import datetime as dt
import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cartera.bulletins.services import export_bulletin
from cartera.orgs.models import Organization


class Command(BaseCommand):
    help = "Boletines de crédito: genera el archivo del día."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export")
        export.add_argument("--org", required=True)
        export.add_argument("--country", required=True, choices=["MX", "CL"])
        export.add_argument("--date", required=True)
        export.add_argument("--out", required=True)
        export.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organization {options['org']}")
        if organization.country != options["country"]:
            raise CommandError(
                f"{organization.slug} is in {organization.country}, not {options['country']}"
            )
        try:
            day = dt.date.fromisoformat(options["date"])
        except ValueError as error:
            raise CommandError(f"--date: {error}") from error
        try:
            file, created = export_bulletin(organization=organization, day=day, actor=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        content = bytes(file.content)
        Path(options["out"]).write_bytes(content)
        summary = {
            "file": file.filename,
            "created": created,
            "sha256": file.sha256,
            "bytes": len(content),
            "published": file.publications.count(),
            "removed": file.removals.count(),
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary, sort_keys=True))
        else:
            self.stdout.write(f"{options['out']}: {summary['bytes']} bytes, sha256 {file.sha256}")
