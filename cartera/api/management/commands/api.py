"""``cartera api token create --org SLUG --name NAME --scope read|write [--json]``
(also ``token list``, ``token revoke --org SLUG --id N``)."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cartera.api.choices import TokenScope
from cartera.api.models import ApiToken
from cartera.api.tokens import create_api_token, revoke_api_token
from cartera.orgs.models import Organization


class Command(BaseCommand):
    help = "API tokens: create (the token is printed once), list, revoke."

    def add_arguments(self, parser):
        parser.add_argument("noun", choices=["token"])
        parser.add_argument("verb", choices=["create", "list", "revoke"])
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--name", default="")
        parser.add_argument("--scope", choices=TokenScope.values, default=TokenScope.READ)
        parser.add_argument("--id", type=int)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"no organisation with slug {options['org']!r}")
        handler = {"create": self._create, "list": self._list, "revoke": self._revoke}
        handler[options["verb"]](organization, options)

    def _emit(self, options, data: dict, text: str) -> None:
        self.stdout.write(json.dumps(data) if options["json"] else text)

    def _create(self, organization, options):
        try:
            token, secret = create_api_token(
                organization=organization, actor=None, name=options["name"], scope=options["scope"]
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self._emit(
            options,
            {"token": secret, "id": token.pk},
            f"{secret}\n(id {token.pk}; shown once, store it now)",
        )

    def _list(self, organization, options):
        rows = [
            {
                "id": token.pk,
                "name": token.name,
                "scope": token.scope,
                "prefix": token.prefix,
                "active": token.is_active,
            }
            for token in ApiToken.objects.filter(organization=organization)
        ]
        text = "\n".join(f"{r['id']}\t{r['name']}\t{r['scope']}\t{r['prefix']}…" for r in rows)
        self._emit(options, {"tokens": rows}, text)

    def _revoke(self, organization, options):
        token = ApiToken.objects.filter(organization=organization, pk=options["id"]).first()
        if token is None:
            raise CommandError("no such token in this organisation")
        revoke_api_token(token=token, actor=None)
        self._emit(options, {"id": token.pk, "revoked": True}, f"revoked {token.pk}")
