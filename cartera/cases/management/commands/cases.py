"""``cartera cases dossier CASE_ID --out FILE [--as-of YYYY-MM-DD]``: the hand-off ZIP."""

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cartera.cases.dossier import build_dossier
from cartera.cases.models import Case
from cartera.lib.dates import local_today


class Command(BaseCommand):
    help = "Casos judiciales y de agencia: expediente (ZIP) de un caso."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        dossier = sub.add_parser("dossier")
        dossier.add_argument("case_id", type=int)
        dossier.add_argument("--out", required=True)
        dossier.add_argument("--as-of", default="")

    def handle(self, *args, **options):
        case = Case.objects.select_related("organization").filter(pk=options["case_id"]).first()
        if case is None:
            raise CommandError(f"No case {options['case_id']}")
        as_of = (
            dt.date.fromisoformat(options["as_of"])
            if options["as_of"]
            else local_today(case.organization.timezone)
        )
        content = build_dossier(case, as_of=as_of)
        Path(options["out"]).write_bytes(content)
        self.stdout.write(f"{options['out']}: {len(content)} bytes")
