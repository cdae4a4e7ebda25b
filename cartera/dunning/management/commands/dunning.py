import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cartera.dunning.services import run_planner
from cartera.lib.dates import local_today, parse_iso_date
from cartera.orgs.models import Organization
from cartera.outreach.sending import send_due_messages, sweep_stale_claims


class Command(BaseCommand):
    help = (
        "Run the collection planner: cartera dunning run --org SLUG [--date D] [--dry-run] [--json]"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="plan (and write) today's collection actions")
        run.add_argument("--org", required=True)
        run.add_argument("--date", help="as-of date YYYY-MM-DD (default: the org's today)")
        run.add_argument("--dry-run", action="store_true")
        run.add_argument("--json", action="store_true")
        send = sub.add_parser("send", help="send the due messages of the outbox now")
        send.add_argument("--limit", type=int, default=500)
        send.add_argument(
            "--connections",
            type=int,
            default=1,
            help="SMTP connections used at once (one sender thread each)",
        )

    def handle(self, *args, **options):
        if options["action"] == "send":
            now = timezone.now()
            swept = sweep_stale_claims(now=now)
            counts = send_due_messages(
                now=now, limit=options["limit"], connections=max(1, options["connections"])
            )
            self.stdout.write(json.dumps({"sent": counts, "stale": swept}))
            return

        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"no organisation with slug {options['org']!r}")
        try:
            as_of = (
                parse_iso_date(options["date"])
                if options["date"]
                else local_today(organization.timezone)
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        try:
            result = run_planner(
                organization=organization,
                as_of=as_of,
                dry_run=options["dry_run"],
                collect=options["json"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        counts = result.pop("counts")
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=1))
            return
        mode = "dry run" if options["dry_run"] else "written"
        self.stdout.write(
            f"{as_of.isoformat()} ({mode}): {counts['invoices']} invoices considered, "
            f"{counts['send']} firings, {counts['skip']} skipped, {counts['superseded']} superseded, "
            f"{counts['messages']} messages, {counts['tasks']} tasks"
        )
