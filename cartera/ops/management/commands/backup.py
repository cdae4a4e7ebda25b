"""``cartera backup [FILE] [--json]``: database, uploaded files and keys in one archive."""

import datetime as dt
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from cartera.ops.backup import create_backup


class Command(BaseCommand):
    help = "Write one archive with the database, the uploaded files and the keys (server may run)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="archive to write (.tar.gz)")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, file, as_json, **options):
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        target = Path(file) if file else Path(settings.DATA_DIR) / f"cartera-backup-{stamp}.tar.gz"
        manifest = create_backup(target)
        summary = {
            "file": str(target),
            "rows": sum(manifest["tables"].values()),
            "tables": len(manifest["tables"]),
            "files": len(manifest["files"]),
            "engine": manifest["engine"],
        }
        if as_json:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                f"{target}: {summary['rows']} rows in {summary['tables']} tables, "
                f"{summary['files']} files ({summary['engine']})."
            )
