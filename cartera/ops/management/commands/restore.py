"""``cartera restore FILE [--replace] [--json]``: load an archive made by ``cartera backup``."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cartera.ops.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a `cartera backup` archive into this installation (stop the server first)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--replace", action="store_true", help="empty a non-empty database before loading"
        )
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, file, replace, as_json, **options):
        try:
            manifest = restore_backup(Path(file), replace=replace)
        except BackupError as error:
            raise CommandError(str(error)) from error
        summary = {
            "file": file,
            "rows": sum(manifest["tables"].values()),
            "files": len(manifest["files"]),
            "created_at": manifest["created_at"],
        }
        if as_json:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                f"Restored {summary['rows']} rows and {summary['files']} files "
                f"from {summary['created_at']}. Restart the server and workers."
            )
