"""``cartera secrets rotate``: a new encryption key first in the ring, every secret rewritten."""

import json

from django.core.management.base import BaseCommand, CommandError

from cartera.lib import secrets


class Command(BaseCommand):
    help = "Rotate the key that encrypts stored secrets, or re-encrypt them under the newest key."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rotate", "reencrypt"])
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, action, as_json, **options):
        try:
            if action == "rotate":
                secrets.add_key_to_file()
            rewritten = secrets.reencrypt_all()
        except secrets.SecretsError as error:
            raise CommandError(str(error)) from error
        result = {"action": action, "rewritten": rewritten}
        if as_json:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(f"{rewritten} stored secrets now use the newest key.")
