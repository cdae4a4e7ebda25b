"""Bank statements: store each movement once per account, and check the balances.

A movement's ``fingerprint`` is the bank's own id for it when the file carries one (OFX
FITID, CAMT AcctSvcrRef, the MT940 bank reference) with its date and amount; otherwise a
hash of date, amount, references, text and running balance, plus its occurrence number
among identical lines of the same file, so two equal transfers on one day stay two and a
re-import of the same or an overlapping statement creates nothing (docs/bank.md).
"""

import hashlib
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from cartera.lib.money import SUPPORTED_CURRENCIES, Money, storable_money
from cartera.orgs.access import Action, require_member

from .models import BankAccount, BankMovement, BankStatement
from .statements import ParsedMovement, ParsedStatement

# references that banks print when there is none: never an id
_PLACEHOLDER_REFERENCES = {"", "NONREF", "NOTPROVIDED", "NOREF", "N/A", "NA", "0"}


CURRENCY_CODES = set(SUPPORTED_CURRENCIES)


def _clean(value: str) -> str:
    return " ".join((value or "").split())


def movement_fingerprint(movement: ParsedMovement, occurrence: int) -> str:
    bank_id = _clean(movement.bank_reference).upper()
    if bank_id not in _PLACEHOLDER_REFERENCES:
        parts = ["id", bank_id, movement.booking_date.isoformat(), str(movement.amount)]
    else:
        parts = [
            "hash",
            movement.booking_date.isoformat(),
            str(movement.amount),
            _clean(movement.reference),
            _clean(movement.tracking_key),
            _clean(movement.description),
            _clean(movement.counterparty_account),
            "" if movement.balance_after is None else str(movement.balance_after),
            str(occurrence),
        ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def fingerprints(movements: list[ParsedMovement]) -> list[str]:
    seen: Counter = Counter()
    result = []
    for movement in movements:
        first = movement_fingerprint(movement, 0)
        seen[first] += 1
        result.append(first if seen[first] == 1 else movement_fingerprint(movement, seen[first]))
    return result


def _check_account(account: BankAccount, parsed: ParsedStatement) -> None:
    named, ours = _digits_or_text(parsed.account), _digits_or_text(account.account_number)
    if named and ours and not (named.endswith(ours) or ours.endswith(named)):
        raise ValidationError(
            _("El archivo es de la cuenta %(file)s y se eligió la cuenta %(ours)s (%(name)s).")
            % {"file": parsed.account, "ours": account.account_number, "name": account.name}
        )
    currencies = {m.currency for m in parsed.movements} | {parsed.currency} - {""}
    strangers = sorted(c for c in currencies if c != account.currency)
    if strangers:
        raise ValidationError(
            _("La cuenta %(name)s es en %(currency)s y el archivo trae %(others)s.")
            % {"name": account.name, "currency": account.currency, "others": ", ".join(strangers)}
        )


def _digits_or_text(value: str) -> str:
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


def continuity_warnings(account: BankAccount, parsed: ParsedStatement) -> list[str]:
    """The previous statement's closing balance should be this one's opening balance."""
    if parsed.opening_balance is None or parsed.opening_date is None:
        return []
    previous = (
        BankStatement.objects.filter(
            account=account, closing_date__lt=parsed.opening_date, closing_balance__isnull=False
        )
        .order_by("-closing_date", "-id")
        .first()
    )
    if previous is None or previous.closing_balance == parsed.opening_balance:
        return []
    return [
        _(
            "El saldo inicial %(opening)s del %(date)s no coincide con el saldo final "
            "%(closing)s del estado anterior (%(previous)s): puede faltar un estado de cuenta."
        )
        % {
            "opening": Money(parsed.opening_balance, account.currency),
            "date": parsed.opening_date.strftime("%d/%m/%Y"),
            "closing": Money(previous.closing_balance, account.currency),
            "previous": previous.closing_date.strftime("%d/%m/%Y"),
        }
    ]


def _movement_row(account, statement, parsed: ParsedMovement, fingerprint: str) -> BankMovement:
    return BankMovement(
        organization_id=account.organization_id,
        account=account,
        statement=statement,
        fingerprint=fingerprint,
        booking_date=parsed.booking_date,
        value_date=parsed.value_date,
        amount=storable_money(parsed.amount, account.currency, field="amount"),
        currency=account.currency,
        bank_reference=_clean(parsed.bank_reference)[:120],
        description=(parsed.description or "").strip()[:2000],
        reference=_clean(parsed.reference)[:140],
        counterparty_name=_clean(parsed.counterparty_name)[:200],
        counterparty_account=_clean(parsed.counterparty_account)[:40],
        counterparty_rfc=_clean(parsed.counterparty_rfc).upper()[:20],
        beneficiary_account=_clean(parsed.beneficiary_account)[:40],
        tracking_key=_clean(parsed.tracking_key)[:40],
        balance_after=parsed.balance_after,
        line=parsed.line,
    )


@transaction.atomic
def store_statement(
    *, account: BankAccount, parsed: ParsedStatement, filename: str, content: bytes, actor
) -> BankStatement:
    """Keep the new movements of ``parsed`` (a re-imported one is counted ``unchanged``)."""
    _check_account(account, parsed)
    prints = fingerprints(parsed.movements)
    known = set(
        BankMovement.objects.filter(account=account, fingerprint__in=prints).values_list(
            "fingerprint", flat=True
        )
    )
    statement = BankStatement.objects.create(
        organization_id=account.organization_id,
        account=account,
        format=parsed.format,
        filename=(filename or "").rsplit("/", 1)[-1][:255],
        sha256=hashlib.sha256(content).hexdigest(),
        statement_id=_clean(parsed.statement_id)[:120],
        opening_balance=parsed.opening_balance,
        closing_balance=parsed.closing_balance,
        opening_date=parsed.opening_date,
        closing_date=parsed.closing_date,
        lines=len(parsed.movements),
        credits=sum(1 for m in parsed.movements if m.amount > 0),
        warnings=list(parsed.warnings) + continuity_warnings(account, parsed),
        imported_by=actor if getattr(actor, "pk", None) else None,
    )
    new = [
        _movement_row(account, statement, movement, fingerprint)
        for movement, fingerprint in zip(parsed.movements, prints, strict=True)
        if fingerprint not in known
    ]
    BankMovement.objects.bulk_create(new, batch_size=1000)
    statement.created, statement.unchanged = len(new), len(parsed.movements) - len(new)
    statement.save(update_fields=["created", "unchanged"])
    return statement


RECONCILE_TASK = "cartera.payments.tasks.reconcile_statement"


def reconcile_statement_on_commit(statement: BankStatement) -> None:
    """Match the statement's new incoming movements in the worker, after commit (a
    webhook answers at once; matching reads the whole open portfolio)."""
    organization_id, statement_id = statement.organization_id, statement.pk
    transaction.on_commit(
        lambda: import_string(RECONCILE_TASK).enqueue(
            organization_id=organization_id, statement_id=statement_id
        )
    )


def statement_summary(statement: BankStatement) -> dict:
    """The JSON contract of ``cartera import bank`` (docs/bank.md)."""
    return {
        "status": "ok",
        "format": statement.format,
        "lines": statement.lines,
        "credits": statement.credits,
        "created": statement.created,
        "unchanged": statement.unchanged,
        "errors": [],
        "warnings": list(statement.warnings),
    }


@transaction.atomic
def create_bank_account(
    *, organization, actor, name: str, currency: str, bank: str = "", account_number: str = ""
) -> BankAccount:
    if actor is not None:  # None: the system (a command run by the server's operator)
        require_member(actor, organization, Action.CONFIRM_PAYMENTS)
    name = _clean(name)[:80]
    if not name:
        raise ValidationError({"name": _("Indique un nombre para la cuenta.")})
    if BankAccount.objects.filter(organization=organization, name=name).exists():
        raise ValidationError({"name": _("Ya existe una cuenta con ese nombre.")})
    if currency not in CURRENCY_CODES:
        raise ValidationError({"currency": _("Moneda no válida.")})
    return BankAccount.objects.create(
        organization=organization,
        name=name,
        currency=currency,
        bank=_clean(bank)[:80],
        account_number=_digits_or_text(account_number)[:40],
    )
