"""``cartera import customers|contacts|invoices|payments|products FILE --org SLUG [--dry-run]
[--valid-only] [--create-customers] [--json]``, ``cartera import cfdi|dte PATH… --org SLUG`` and
``cartera import bank FILE --org SLUG [--account NAME] [--format auto|camt|mt940|ofx|csv]
[--preset BANK] [--no-reconcile] [--json]`` and ``cartera import supplier-portal FILE --org
SLUG [--dry-run] [--valid-only] [--json]`` (a buyer portal's export of invoice statuses)."""

import json
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from cartera.imports.bank import PRESETS, preset_for
from cartera.imports.cfdi import import_cfdi
from cartera.imports.dte import import_dte
from cartera.imports.services import import_file
from cartera.imports.statement_import import FORMAT_CHOICES, account_named, import_bank_file
from cartera.imports.supplier_portal import import_supplier_portal
from cartera.lib.dates import local_today
from cartera.orgs.language import organization_language
from cartera.orgs.models import Membership, Organization
from cartera.payments.models import BankAccount

KINDS = (
    "customers",
    "contacts",
    "invoices",
    "payments",
    "products",
    "cfdi",
    "dte",
    "bank",
    "supplier-portal",
)

# one result per file; folders and zips too (dte: DTE/AEC XML and RCV CSV of the SII)
FILE_IMPORTS = {"cfdi": import_cfdi, "dte": import_dte}


class Command(BaseCommand):
    help = "Importa clientes, contactos, facturas, pagos o el catálogo de productos (CSV/XLSX) o CFDI (XML, carpetas, zip)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument(
            "paths", nargs="+", help="archivo(s); para cfdi y dte también carpetas y .zip"
        )
        parser.add_argument("--org", required=True, help="identificador (slug) de la organización")
        parser.add_argument("--dry-run", action="store_true", help="solo revisar; no escribe nada")
        parser.add_argument("--valid-only", action="store_true", help="importar las filas válidas")
        parser.add_argument(
            "--create-customers",
            action="store_true",
            help="crear los clientes desconocidos con los datos de la fila (facturas)",
        )
        parser.add_argument("--json", action="store_true", help="salida JSON")
        parser.add_argument(
            "--user",
            default="",
            help="supplier-portal: usuario (miembro) a cuyo nombre se registran disputas y promesas",
        )
        bank = parser.add_argument_group("bank (estados de cuenta)")
        bank.add_argument("--account", help="cuenta bancaria (se crea si no existe)")
        bank.add_argument("--format", default="auto", choices=FORMAT_CHOICES)
        bank.add_argument("--preset", default="", help="banco de la hoja: " + ", ".join(PRESETS))
        bank.add_argument("--currency", default="", help="moneda de una cuenta nueva")
        bank.add_argument("--no-reconcile", action="store_true", help="no conciliar al importar")

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"organización desconocida: {options['org']}")
        for path in options["paths"]:
            if not Path(path).exists():
                raise CommandError(f"no existe: {path}")
        as_json = options["json"]
        if options["kind"] == "bank":
            return self._bank(organization, options)
        if options["kind"] == "supplier-portal":
            return self._supplier_portal(organization, options)
        # problems and timeline entries are stored in the organisation's language
        language = translation.override(organization_language(organization.pk))
        with language, _Progress(enabled=not as_json and sys.stderr.isatty()) as progress:
            if options["kind"] in FILE_IMPORTS:
                batch = FILE_IMPORTS[options["kind"]](
                    organization=organization, actor=None, paths=options["paths"], progress=progress
                )
            else:
                if len(options["paths"]) != 1:
                    raise CommandError("las hojas de cálculo se importan de una en una")
                path = Path(options["paths"][0])
                batch = import_file(
                    organization=organization,
                    actor=None,
                    kind=options["kind"],
                    file_name=path.name,
                    data=path.read_bytes(),
                    dry_run=options["dry_run"],
                    valid_only=options["valid_only"],
                    create_customers=options["create_customers"],
                    progress=progress,
                )
        with translation.override(organization_language(organization.pk)):
            result = batch.as_json()  # the problems, in the same language as before
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            self._human(result)
        if result["status"] != "ok":
            sys.exit(1)

    def _bank(self, organization, options):
        if len(options["paths"]) != 1:
            raise CommandError("los estados de cuenta se importan de uno en uno")
        if options["preset"] and options["preset"].lower() not in PRESETS:
            raise CommandError(f"banco desconocido: {options['preset']} ({', '.join(PRESETS)})")
        path = Path(options["paths"][0])
        with translation.override(organization_language(organization.pk)):
            account = _bank_account(organization, options)
            result = import_bank_file(
                account=account,
                data=path.read_bytes(),
                filename=path.name,
                actor=None,
                today=local_today(organization.timezone),
                fmt=options["format"],
                preset=preset_for(options["preset"]) if options["preset"] else None,
                reconcile_now=False if options["no_reconcile"] else None,
            )
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            self._bank_human(result)
        if result["status"] != "ok":
            sys.exit(1)

    def _supplier_portal(self, organization, options):
        if len(options["paths"]) != 1:
            raise CommandError("los archivos de portales de proveedores se importan de uno en uno")
        path = Path(options["paths"][0])
        actor = _member(organization, options["user"])
        try:
            result = self._apply_portal_file(organization, path, actor, options)
        except PermissionDenied:
            raise CommandError(
                f"{actor.username} no puede registrar disputas ni promesas (su rol no lo permite)"
            ) from None
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            self._portal_human(result)
        if result["status"] != "done":
            sys.exit(1)

    def _apply_portal_file(self, organization, path, actor, options) -> dict:
        with translation.override(organization_language(organization.pk)), transaction.atomic():
            result = import_supplier_portal(
                organization=organization,
                data=path.read_bytes(),
                filename=path.name,
                actor=actor,
                today=local_today(organization.timezone),
                apply_valid=options["valid_only"],
            ).as_dict()
            result["dry_run"] = options["dry_run"]
            if options["dry_run"]:
                transaction.set_rollback(True)  # checked and applied, then undone
        return result

    def _portal_human(self, result):
        prefix = "(revisión, nada se escribió) " if result["dry_run"] else ""
        self.stdout.write(
            f"{prefix}filas {result['rows']} · aplicadas {result['applied']} · sin cambios "
            f"{result['unchanged']} · disputas {result['disputes']} · promesas "
            f"{result['promises']} · no encontradas {len(result['unknown'])}"
        )
        for item in result["unknown"]:
            found = item.get("number") or item.get("uuid") or ""
            self.stdout.write(f"  no encontrada (fila {item['row']}): {found}")
        for item in result["errors"]:
            where = f"fila {item['row']}, {item['column']}: " if item.get("row") else ""
            self.stdout.write(self.style.ERROR(f"  error: {where}{item['message']}"))

    def _bank_human(self, result):
        self.stdout.write(
            f"{result['format'] or '—'}: {result['lines']} movimientos · {result['credits']} "
            f"abonos · nuevos {result['created']} · ya importados {result['unchanged']}"
        )
        if "reconciled" in result:
            done = result["reconciled"]
            self.stdout.write(
                f"conciliados {done['matched']} · con sugerencias {done['suggested']} · "
                f"sin identificar {done['unmatched']}"
            )
        for message in result["warnings"]:
            self.stdout.write(f"  aviso: {message}")
        for item in result["errors"]:
            where = f"línea {item['line']}: " if item.get("line") else ""
            self.stdout.write(self.style.ERROR(f"  error: {where}{item['message']}"))

    def _human(self, result):
        prefix = "(revisión, nada se escribió) " if result["dry_run"] else ""
        self.stdout.write(
            f"{prefix}creados {result['created']} · actualizados {result['updated']} · "
            f"sin cambios {result['unchanged']} · errores {len(result['errors'])} · "
            f"ignorados {result['skipped']}"
        )
        for item in result["warnings"]:
            self.stdout.write(f"  aviso {_where(item)}: {item['message']}")
        for item in result["errors"]:
            self.stdout.write(self.style.ERROR(f"  error {_where(item)}: {item['message']}"))
        if result["status"] != "ok":
            if result["dry_run"] or (
                result["created"] == result["updated"] == result["unchanged"] == 0
            ):
                self.stdout.write(
                    self.style.ERROR("No se importó nada. Corrija el archivo o use --valid-only.")
                )


def _member(organization, username: str):
    """The member a command acts as: the services check that member's role."""
    if not username:
        raise CommandError("indique --user: el miembro a cuyo nombre se registran los cambios")
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not Membership.objects.filter(user=user, organization=organization).exists():
        raise CommandError(f"{username} no es miembro de {organization.slug}")
    return user


def _bank_account(organization, options):
    accounts = BankAccount.objects.filter(organization=organization)
    if options["account"]:
        try:
            return account_named(
                organization=organization,
                name=options["account"],
                currency=options["currency"] or organization.default_currency,
                actor=None,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
    if accounts.count() == 1:
        return accounts.get()
    names = ", ".join(accounts.values_list("name", flat=True)) or "ninguna"
    raise CommandError(f"indique --account (cuentas: {names}); una nueva se crea con ese nombre")


def _where(item) -> str:
    parts = []
    if item.get("file"):
        parts.append(item["file"])
    if item.get("row"):
        parts.append(f"fila {item['row']}")
    if item.get("column"):
        parts.append(f"columna «{item['column']}»")
    if item.get("value"):
        parts.append(f"valor «{item['value']}»")
    return ", ".join(parts) or "archivo"


class _Progress:
    """A rich progress bar on the terminal; silent otherwise."""

    def __init__(self, *, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.task = None

    def __enter__(self):
        if self.enabled:
            self.bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("Importando", total=None)
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=min(done, total), total=total)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False
