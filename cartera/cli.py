"""The ``cartera`` console script: every management command, hyphens allowed.

``cartera check-ledger --json`` runs ``manage.py check_ledger --json``.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cartera.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["cartera", *argv[1:]])


if __name__ == "__main__":
    main()
