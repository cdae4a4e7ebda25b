"""``cartera scheduler [--once] [--now ISO]``: run periodic jobs (the list: cartera/ops/jobs.py)."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cartera.ops import scheduler


def _instant(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--now must be an ISO date-time, got {text!r}") from None
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


class Command(BaseCommand):
    help = "Run due periodic jobs every minute (or once with --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument(
            "--now", type=_instant, help="pretend it is this instant (ISO; UTC when naive)"
        )
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, **options):
        if not options["once"]:
            if options["now"]:
                raise CommandError("--now only makes sense with --once")
            scheduler.run_forever()
            return
        started = scheduler.run_due(options["now"] or timezone.now())
        if options["json"]:
            rows = [
                {"job": key, "slot": slot, "outcome": outcome} for key, slot, outcome in started
            ]
            self.stdout.write(json.dumps(rows))
            return
        for key, slot, outcome in started:
            self.stdout.write(f"{key} {slot} {outcome}")
        if not started:
            self.stdout.write("nothing due")
