"""``cartera timeline verify|proof|anchor --org SLUG``: the hash chain (docs/timeline-chain.md)."""

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from cartera.timeline.integrity import anchor_chain, chain_proof, verify_chain
from cartera.timeline.models import Activity


def _organization_id(slug: str) -> int:
    # The timeline names Organization by string (it sits below orgs): reach it by the FK.
    organization_model = Activity._meta.get_field("organization").related_model
    found = organization_model.objects.filter(slug=slug).values_list("pk", flat=True).first()
    if found is None:
        raise CommandError(f"no organisation with slug {slug!r}")
    return found


def _ids(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError(f"--entries must be comma-separated ids: {exc}") from exc


class Command(BaseCommand):
    help = (
        "The timeline's hash chain: 'verify' recomputes it (exit 1 when broken), 'proof'"
        " exports entries for a third party, 'anchor' signs the head for --date."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "proof", "anchor"])
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--entries", default="", help="proof: entry ids, comma-separated")
        parser.add_argument("--date", default="", help="anchor: YYYY-MM-DD (local day)")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, **options):
        organization_id = _organization_id(options["org"])
        action = options["action"]
        if action == "verify":
            self._verify(organization_id, options["json"])
        elif action == "proof":
            ids = _ids(options["entries"])
            if not ids:
                raise CommandError("proof needs --entries ID,ID,…")
            try:
                proof = chain_proof(organization_id=organization_id, entry_ids=ids)
            except LookupError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(json.dumps(proof, ensure_ascii=False, indent=2))
        else:
            self._anchor(organization_id, options["date"])

    def _verify(self, organization_id: int, as_json: bool) -> None:
        result = verify_chain(organization_id=organization_id)
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        elif result["ok"]:
            self.stdout.write(
                f"ok: {result['entries']} entries, {result['anchor']['count']} anchors"
            )
        else:
            bad = result["first_bad"]
            self.stdout.write(
                f"BROKEN at entry {bad['id']} (sequence {bad['sequence']}): {bad['reason']}"
            )
        if not result["ok"]:
            sys.exit(1)

    def _anchor(self, organization_id: int, date: str) -> None:
        try:
            day = dt.date.fromisoformat(date)
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD: {exc}") from exc
        anchor = anchor_chain(organization_id=organization_id, day=day)
        if anchor is None:
            self.stdout.write("no entries to anchor")
        else:
            self.stdout.write(
                f"anchored {anchor.day}: sequence {anchor.sequence} {anchor.chain_hash}"
            )
