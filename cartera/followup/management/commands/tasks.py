"""``cartera tasks --org SLUG [--agent USERNAME] [--date D] [--json]``: the work list.

JSON contract (one object per task, best first)::

    [{"customer": "<external id>", "kind": "call", "priority": 57,
      "reasons": ["$184,300 vencido", "47 días", "promesa incumplida"],
      "due": "YYYY-MM-DD", "invoices": ["<external id>", ...]}]

Without ``--agent`` it lists every open task of the organisation (as a manager sees it).
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from cartera.followup.priority import reasons_text
from cartera.followup.selectors import work_list
from cartera.lib.dates import local_today, parse_iso_date
from cartera.orgs.choices import Role
from cartera.orgs.models import Membership, Organization


class Command(BaseCommand):
    help = "Print the prioritised work list of an agent (or of the whole organisation)."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--agent", help="username (default: every agent)")
        parser.add_argument("--date", help="YYYY-MM-DD (default: the organisation's today)")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"no organisation with slug {options['org']!r}")
        try:
            today = (
                parse_iso_date(options["date"])
                if options["date"]
                else local_today(organization.timezone)
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if options["agent"]:
            membership = (
                Membership.objects.filter(
                    organization=organization, user__username=options["agent"], is_active=True
                )
                .select_related("organization", "user")
                .first()
            )
            if membership is None:
                raise CommandError(f"{options['agent']!r} is not an active member of the org")
            tasks = work_list(membership, today=today)
        else:
            everyone = Membership(organization=organization, role=Role.OWNER)
            tasks = work_list(everyone, today=today, agent_id="all")
        with translation.override(organization.language):
            rows = [
                {
                    "customer": task.customer.external_id,
                    "kind": task.kind,
                    "priority": task.score,
                    "reasons": reasons_text(task.reasons),
                    "due": task.due_date.isoformat(),
                    "invoices": [invoice.external_id for invoice in task.invoices.all()],
                }
                for task in tasks
            ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"{row['priority']:>4}  {row['due']}  {row['kind']:<16} {row['customer']:<16} "
                + " · ".join(row["reasons"])
            )
        self.stdout.write(f"{len(rows)} tasks")
