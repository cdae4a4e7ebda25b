import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cartera.orgs.choices import Role
from cartera.orgs.management.commands.org import _format_errors
from cartera.orgs.models import Organization
from cartera.orgs.services import create_member


class Command(BaseCommand):
    help = "Manage users: cartera user create --org SLUG --username U --email E --role agent"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a user and give them a role")
        create.add_argument("--org", required=True)
        create.add_argument("--username", required=True)
        create.add_argument("--email", required=True)
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--password", default=None)
        create.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"no organisation with slug {options['org']!r}")
        try:
            user, membership = create_member(
                organization=organization,
                username=options["username"],
                email=options["email"],
                role=options["role"],
                password=options["password"],
            )
        except ValidationError as exc:
            raise CommandError(_format_errors(exc)) from None
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"username": user.username, "org": organization.slug, "role": membership.role}
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Usuario {user.username} es {membership.get_role_display()} en {organization.name}."
                )
            )
