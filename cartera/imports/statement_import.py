"""Import one bank file into one of the organisation's bank accounts: parse it
(``cartera.imports.bank``), store its movements once (``cartera.payments.bank``) and,
when the organisation wants it, reconcile the new incoming ones at once.

The result is the JSON contract of ``cartera import bank`` (docs/bank.md):
``{"status", "format", "lines", "credits", "created", "unchanged", "errors",
"warnings"}`` plus ``"reconciled"`` counts when reconciliation ran. A file that cannot be
read writes nothing and says which line and what was expected.
"""

import dataclasses
import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cartera.payments.bank import create_bank_account, statement_summary, store_statement
from cartera.payments.choices import MovementStatus
from cartera.payments.models import BankAccount, BankMovement
from cartera.payments.reconciliation import reconcile, reconcile_on_import
from cartera.payments.statements import StatementError
from cartera.payments.tasks import check_cep_movement_receipts

from .bank import SheetPreset, detect_preset, parse_statement, preset_for

FORMAT_CHOICES = ("auto", "camt", "mt940", "ofx", "csv", "cep")


def failed(message: str, *, line: int | None = None) -> dict:
    return {
        "status": "error",
        "format": "",
        "lines": 0,
        "credits": 0,
        "created": 0,
        "unchanged": 0,
        "errors": [{"line": line, "message": message}],
        "warnings": [],
    }


def account_named(*, organization, name: str, currency: str, actor) -> BankAccount:
    """The organisation's account called ``name``, created on first use."""
    account = BankAccount.objects.filter(organization=organization, name=name.strip()).first()
    if account is not None:
        return account
    return create_bank_account(organization=organization, actor=actor, name=name, currency=currency)


def sheet_preset_for(account: BankAccount | None, preset_name: str, data: bytes):
    """The layout for a spreadsheet: the one named, else the account's remembered one,
    else the shipped preset whose header the file carries."""
    if preset_name:
        return preset_for(preset_name)
    if account is not None and account.sheet_preset:
        return SheetPreset.from_dict(account.sheet_preset)
    return detect_preset(data)


def _hold_for_banxico(statement) -> int:
    """The CEP movements this import created wait for Banxico (payments.cep_movements)."""
    return BankMovement.objects.filter(statement=statement, amount__gt=0).update(
        status=MovementStatus.CEP_CHECK
    )


def import_bank_file(
    *,
    account: BankAccount,
    data: bytes,
    filename: str,
    actor,
    today: dt.date,
    fmt: str = "auto",
    preset: SheetPreset | None = None,
    reconcile_now: bool | None = None,
) -> dict:
    if fmt not in FORMAT_CHOICES:
        return failed(_("Formato desconocido: use auto, camt, mt940, ofx, csv o cep."))
    try:
        parsed = parse_statement(data, format=fmt, preset=preset, filename=filename)
    except StatementError as exc:
        return failed(exc.message, line=exc.line)
    try:
        with transaction.atomic():
            statement = store_statement(
                account=account, parsed=parsed, filename=filename, content=data, actor=actor
            )
            if preset is not None and parsed.format.startswith("csv"):
                BankAccount.objects.filter(pk=account.pk).update(
                    sheet_preset=dataclasses.asdict(preset)
                )
            if parsed.format == "cep":
                waiting = _hold_for_banxico(statement)
    except ValidationError as exc:
        return failed(" ".join(exc.messages))
    result = statement_summary(statement)
    if parsed.format == "cep":  # reconciled once Banxico confirms each CEP
        check_cep_movement_receipts.enqueue(account.organization_id)
        return result | {"cep": {"waiting": waiting}}
    if reconcile_on_import(account.organization) if reconcile_now is None else reconcile_now:
        new = BankMovement.objects.filter(statement=statement, amount__gt=0)
        outcome = reconcile(organization=account.organization, today=today, movements=list(new))
        result["reconciled"] = {
            "matched": len(outcome.matched),
            "suggested": len(outcome.suggested),
            "unmatched": len(outcome.unmatched),
        }
    return result
