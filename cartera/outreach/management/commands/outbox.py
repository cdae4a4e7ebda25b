"""``cartera outbox send --org SLUG [--limit N] [--json]`` sends the organisation's messages
that are due now, on every channel, and prints ``{"sent": N, "failed": N, "deferred":
N, "printed": N, "unknown": N}`` (deferred: back in the queue — outside the contact window, throttled, or
retried later; printed: letters put in the day's print batch; messages cancelled because nothing is left to chase count in none)."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cartera.orgs.models import Organization
from cartera.outreach.sending import send_due_messages


def summary(counts: dict) -> dict:
    return {
        "sent": counts.get("sent", 0),
        "failed": counts.get("failed", 0),
        "deferred": counts.get("queued", 0),
        "printed": counts.get("printed", 0),  # letters put in the day's print batch
        "unknown": counts.get("unknown", 0),  # the provider may have it: the agent checks
    }


class Command(BaseCommand):
    help = "Bandeja de salida: envía lo que toca ahora."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        send = sub.add_parser("send", help="Envía los mensajes pendientes de una organización.")
        send.add_argument("--org", required=True)
        send.add_argument("--limit", type=int, default=500)
        send.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"no organisation with slug {options['org']!r}")
        counts = summary(
            send_due_messages(now=timezone.now(), limit=options["limit"], organization=organization)
        )
        if options["json"]:
            self.stdout.write(json.dumps(counts))
        else:
            self.stdout.write(
                f"{counts['sent']} sent, {counts['failed']} failed, {counts['deferred']} deferred, {counts['printed']} printed, {counts['unknown']} unknown"
            )
