"""SWIFT MT940 statements, read with the ``mt-940`` package (BSD-3).

``:20:`` is the statement id, ``:25:`` the account, ``:60F:``/``:60M:`` the opening and
``:62F:``/``:62M:`` the closing balance, each ``:61:`` a movement and its ``:86:`` the
description. Structured ``:86:`` fields are read where they are given: the German
``?20``–``?33`` sub-fields through mt-940's details processor (purpose, name, IBAN,
end-to-end reference) and the Dutch ``/NAME/``, ``/REMI/``, ``/EREF/`` codes here.
A file with several ``:20:`` blocks becomes one statement: the first opening balance, the
last closing balance, and each block's balances checked on their own.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

import mt940
from django.utils.translation import gettext as _
from mt940.options import Options
from mt940.processors import transaction_details_post_processor_with_space

from cartera.payments.statements import ParsedMovement, ParsedStatement, StatementError

from .common import balance_warnings

OPTIONS = Options(
    applicant_iban=True, merge_keeps_values=True, reversal_sign=True, unbounded_details=True
)
PROCESSORS = {"post_transaction_details": [transaction_details_post_processor_with_space]}
SLASH_CODES = re.compile(r"/(NAME|REMI|EREF|IBAN|BENM|ORDP|ISDT|CSID|MARF|BIC)/")
BALANCE_OR_MOVEMENT = re.compile(
    r"^(?::6[02-5][FM]?:[DC]\d{6}[A-Z]{3}|:61:\d{6}(?:\d{4})?R?[DC][A-Z]?\n?)([\d,]+)"
)
NO_REFERENCE = {"", "NONREF", "EREF", "NOTPROVIDED"}


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("windows-1252", errors="replace")


def parse_mt940(data: bytes) -> ParsedStatement:
    source = decode(data)
    if ":20:" not in source or ":25:" not in source:
        raise StatementError(_("no es un archivo MT940: faltan los campos :20: y :25:"))
    blocks = _parse(source)
    lines = _movement_lines(source)
    movements, warnings = [], []
    for block in blocks:
        block_moves = [_movement(t.data, next(lines, None)) for t in block]
        movements.extend(block_moves)
        warnings.extend(
            balance_warnings(
                block_moves, _balance(block.data, "opening"), _balance(block.data, "closing")
            )
        )
    first, last = blocks[0].data, blocks[-1].data
    opening, closing = _balance_obj(first, "opening"), _balance_obj(last, "closing")
    return ParsedStatement(
        format="mt940",
        movements=movements,
        account=first.get("account_identification") or "",
        currency=(opening or closing).amount.currency if (opening or closing) else "",
        statement_id=first.get("transaction_reference") or "",
        opening_balance=opening.amount.amount if opening else None,
        opening_date=_plain_date(opening.date) if opening else None,
        closing_balance=closing.amount.amount if closing else None,
        closing_date=_plain_date(closing.date) if closing else None,
        warnings=warnings,
    )


def _parse(source: str):
    try:
        blocks = mt940.parse_statements(source, processors=PROCESSORS, options=OPTIONS)
    except RuntimeError as exc:
        value = str(exc.args[2]) if len(exc.args) > 2 else ""
        raise StatementError(
            _("campo MT940 ilegible «%(value)s»: se esperaba fecha AAMMDD, D/C e importe")
            % {"value": value.splitlines()[0] if value else ""},
            line=_line_of(source, value),
        ) from exc
    except (InvalidOperation, ValueError) as exc:
        line, value = _bad_amount(source)
        raise StatementError(
            _("importe MT940 «%(value)s» no es un número") % {"value": value}, line=line
        ) from exc
    blocks = [b for b in blocks if b.data.get("transaction_reference") or len(b)]
    if not blocks:
        raise StatementError(_("no es un archivo MT940: no trae ningún estado de cuenta"))
    return blocks


def _bad_amount(source: str) -> tuple[int | None, str]:
    """The first balance or movement line whose amount has more than one decimal comma
    (mt-940's pattern lets ``25,0,3`` through and then fails on it without a line)."""
    for number, line in enumerate(source.splitlines(), 1):
        match = BALANCE_OR_MOVEMENT.match(line)
        if match and match.group(1).count(",") > 1:
            return number, match.group(1)
    return None, ""


def _line_of(source: str, value: str) -> int | None:
    first = value.splitlines()[0] if value else ""
    for number, line in enumerate(source.splitlines(), 1):
        if first and first in line:
            return number
    return None


def _movement_lines(source: str):
    return iter(n for n, line in enumerate(source.splitlines(), 1) if line.startswith(":61:"))


def _balance_obj(data: dict, which: str):
    if which == "opening":
        return data.get("final_opening_balance") or data.get("intermediate_opening_balance")
    return data.get("final_closing_balance") or data.get("intermediate_closing_balance")


def _balance(data: dict, which: str) -> Decimal | None:
    balance = _balance_obj(data, which)
    return balance.amount.amount if balance else None


def _plain_date(value):
    return dt.date(value.year, value.month, value.day) if value else None


def _slash_fields(details: str) -> dict[str, str]:
    """``/NAME/JOHN DOE/REMI/Reference 1`` → {"NAME": "JOHN DOE", "REMI": "Reference 1"}."""
    flat = details.replace("\n", "")
    parts = SLASH_CODES.split(flat)
    if len(parts) < 3:
        return {}
    return {parts[i]: parts[i + 1].strip("/ ") for i in range(1, len(parts) - 1, 2)}


def _reference(value) -> str:
    value = (value or "").strip()
    return "" if value.upper() in NO_REFERENCE else value


def _movement(data: dict, line: int | None) -> ParsedMovement:
    details = data.get("transaction_details") or ""
    slash = _slash_fields(details)
    purpose = data.get("purpose") or slash.get("REMI") or data.get("posting_text") or ""
    entry = data.get("entry_date")
    return ParsedMovement(
        booking_date=_plain_date(entry or data["date"]),
        value_date=_plain_date(data["date"]),
        amount=data["amount"].amount,
        currency=data["amount"].currency or data.get("currency") or "",
        bank_reference=_reference(data.get("bank_reference"))
        or _reference(data.get("customer_reference")),
        description=(purpose or details).strip(),
        reference=_reference(data.get("end_to_end_reference"))
        or _reference(slash.get("EREF"))
        or _reference(data.get("customer_reference")),
        counterparty_name=(data.get("applicant_name") or slash.get("NAME") or "").strip(),
        counterparty_account=(data.get("applicant_iban") or slash.get("IBAN") or "").strip(),
        line=line,
    )
