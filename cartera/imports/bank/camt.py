"""ISO 20022 CAMT statements: camt.053 (statement), camt.052 (intraday report) and
camt.054 (debit/credit notification), any version from .001.02 to .001.12.

Elements are matched by their local name, so the namespace (the version) does not matter.
Where versions differ the reader accepts both shapes: ``Sts`` is text up to .06 and
``Sts/Cd`` later; a related party's name is ``Dbtr/Nm`` up to .07 and ``Dbtr/Pty/Nm`` from
.08; a transaction's own amount is ``TxDtls/Amt`` (.08+) or ``TxDtls/AmtDtls/TxAmt/Amt``.
"""

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from cartera.payments.statements import ParsedMovement, ParsedStatement, StatementError

from .common import balance_warnings, local, parse_xml, to_decimal

ROOTS = {"BkToCstmrStmt": ("camt053", "Stmt"), "BkToCstmrAcctRpt": ("camt052", "Rpt")}
ROOTS["BkToCstmrDbtCdtNtfctn"] = ("camt054", "Ntfctn")
OPENING_CODES = ("OPBD", "PRCD")


def find(element, *path):
    """The first descendant along ``path`` (local names), or None."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if local(c.tag) == name), None)
    return element


def find_all(element, name):
    return [c for c in element if local(c.tag) == name] if element is not None else []


def text(element, *path) -> str:
    found = find(element, *path)
    return (found.text or "").strip() if found is not None else ""


def root_kind(data: bytes) -> tuple[str, str, object]:
    """(format, statement element name, the message element) or StatementError."""
    root = parse_xml(data, what="CAMT")
    message = root if local(root.tag) in ROOTS else next(iter(root), None)
    name = local(message.tag) if message is not None else ""
    if name not in ROOTS:
        raise StatementError(
            _(
                "no es un archivo CAMT: falta BkToCstmrStmt, BkToCstmrAcctRpt o BkToCstmrDbtCdtNtfctn"
            )
        )
    return (*ROOTS[name], message)


def parse_camt(data: bytes) -> ParsedStatement:
    kind, block_name, message = root_kind(data)
    blocks = find_all(message, block_name)
    if not blocks:
        raise StatementError(
            _("archivo CAMT sin %(name)s: no trae ningún estado de cuenta") % {"name": block_name},
            line=message.sourceline,
        )
    movements, warnings = [], []
    opening = closing = None
    for block in blocks:
        block_opening, block_closing = _balances(block)
        opening = opening or block_opening
        closing = block_closing or closing
        for entry in find_all(block, "Ntry"):
            movements.extend(_entry(entry, warnings))
    first = blocks[0]
    account = _account(find(first, "Acct"))
    currency = text(first, "Acct", "Ccy") or (movements[0].currency if movements else "")
    statement = ParsedStatement(
        format=kind,
        movements=movements,
        account=account,
        currency=currency,
        statement_id=text(first, "Id"),
        opening_balance=opening[0] if opening else None,
        opening_date=opening[1] if opening else None,
        closing_balance=closing[0] if closing else None,
        closing_date=closing[1] if closing else None,
        warnings=warnings,
    )
    statement.warnings.extend(
        balance_warnings(movements, statement.opening_balance, statement.closing_balance)
    )
    return statement


def _account(acct) -> str:
    return text(acct, "Id", "IBAN") or text(acct, "Id", "Othr", "Id")


def _date(element, *, label: str) -> dt.date | None:
    if element is None:
        return None
    raw = text(element, "Dt") or text(element, "DtTm")
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError as exc:
        raise StatementError(
            _("%(label)s «%(value)s» no es una fecha AAAA-MM-DD") % {"label": label, "value": raw},
            line=element.sourceline,
        ) from exc


def _signed(element, amount_path, *, indicator: str, label: str) -> tuple[Decimal, str]:
    amount = find(element, *amount_path)
    if amount is None:
        raise StatementError(
            _("%(label)s sin importe (Amt)") % {"label": label}, line=element.sourceline
        )
    value = to_decimal(amount.text, line=amount.sourceline, label=_("importe"))
    indicator = text(element, "CdtDbtInd") or indicator
    if indicator not in ("CRDT", "DBIT"):
        raise StatementError(
            _("%(label)s: CdtDbtInd «%(value)s» debe ser CRDT o DBIT")
            % {"label": label, "value": indicator},
            line=element.sourceline,
        )
    return (-value if indicator == "DBIT" else value), amount.get("Ccy", "")


def _balances(block):
    opening = closing = None
    for balance in find_all(block, "Bal"):
        code = text(balance, "Tp", "CdOrPrtry", "Cd")
        if code not in (*OPENING_CODES, "CLBD"):
            continue
        amount, _currency = _signed(balance, ("Amt",), indicator="", label=_("saldo"))
        value = (amount, _date(find(balance, "Dt"), label=_("fecha del saldo")))
        if code == "CLBD":
            closing = value
        elif opening is None or code == "OPBD":
            opening = value
    return opening, closing


def _status(entry) -> str:
    sts = find(entry, "Sts")
    if sts is None:
        return ""
    return (sts.text or "").strip() or text(sts, "Cd") or text(sts, "Prtry")


def _entry(entry, warnings: list[str]) -> list[ParsedMovement]:
    status = _status(entry)
    if status and status != "BOOK":
        warnings.append(
            _("línea %(line)s: movimiento con estado %(status)s (no contabilizado) omitido")
            % {"line": entry.sourceline, "status": status}
        )
        return []
    amount, currency = _signed(entry, ("Amt",), indicator="", label=_("movimiento"))
    base = {
        "booking_date": _date(find(entry, "BookgDt"), label=_("fecha contable")),
        "value_date": _date(find(entry, "ValDt"), label=_("fecha valor")),
        "bank_reference": text(entry, "AcctSvcrRef"),
        "currency": currency,
    }
    if base["booking_date"] is None:
        base["booking_date"] = base["value_date"]
    if base["booking_date"] is None:
        raise StatementError(
            _("movimiento sin fecha: se esperaba BookgDt o ValDt"), line=entry.sourceline
        )
    details = [tx for d in find_all(entry, "NtryDtls") for tx in find_all(d, "TxDtls")]
    fallback = text(entry, "AddtlNtryInf")
    if len(details) > 1 and all(_tx_amount_path(tx) for tx in details):
        indicator = "DBIT" if amount < 0 else "CRDT"
        movements = [_batched(tx, base, indicator, fallback) for tx in details]
        total = sum((m.amount for m in movements), Decimal(0))
        if total != amount:
            warnings.append(
                _(
                    "línea %(line)s: las partidas suman %(total)s pero el movimiento es de %(amount)s"
                )
                % {"line": entry.sourceline, "total": total, "amount": amount}
            )
        return movements
    tx_fields = _tx_fields(details[0], amount) if details else {}
    return [_movement(base, amount, tx_fields, fallback, entry.sourceline)]


def _tx_amount_path(tx):
    if find(tx, "Amt") is not None:
        return ("Amt",)
    if find(tx, "AmtDtls", "TxAmt", "Amt") is not None:
        return ("AmtDtls", "TxAmt", "Amt")
    return None


def _batched(tx, base: dict, indicator: str, fallback: str) -> ParsedMovement:
    amount, currency = _signed(tx, _tx_amount_path(tx), indicator=indicator, label=_("partida"))
    fields = {**base, "currency": currency or base["currency"]}
    return _movement(fields, amount, _tx_fields(tx, amount), fallback, tx.sourceline)


def _tx_fields(tx, amount: Decimal) -> dict:
    parties = find(tx, "RltdPties")
    # Money in: the payer is the debtor and the creditor account is ours (maybe a virtual
    # CLABE); money out: the other side is the creditor.
    other, ours = ("Dbtr", "Cdtr") if amount > 0 else ("Cdtr", "Dbtr")
    end_to_end = text(tx, "Refs", "EndToEndId")
    if end_to_end.upper() == "NOTPROVIDED":
        end_to_end = ""
    remittance = find(tx, "RmtInf")
    creditor_ref = next(
        (
            text(s, "CdtrRefInf", "Ref")
            for s in find_all(remittance, "Strd")
            if text(s, "CdtrRefInf", "Ref")
        ),
        "",
    )
    return {
        "description": " ".join(
            (u.text or "").strip() for u in find_all(remittance, "Ustrd") if u.text
        ),
        "reference": creditor_ref or end_to_end,
        "counterparty_name": text(parties, other, "Nm") or text(parties, other, "Pty", "Nm"),
        "counterparty_rfc": _rfc(find(parties, other)),
        "counterparty_account": _account(find(parties, other + "Acct")),
        "beneficiary_account": _account(find(parties, ours + "Acct")) if amount > 0 else "",
        "tracking_key": text(tx, "Refs", "ClrSysRef"),
        "tx_bank_reference": text(tx, "Refs", "AcctSvcrRef"),
    }


def _rfc(party) -> str:
    """An organisation id whose scheme is called RFC (``Id/OrgId/Othr``; ``Pty`` from .08)."""
    party = find(party, "Pty") if find(party, "Pty") is not None else party
    for other in find_all(find(party, "Id", "OrgId"), "Othr"):
        scheme = text(other, "SchmeNm", "Prtry") or text(other, "SchmeNm", "Cd")
        if scheme.upper() == "RFC":
            return text(other, "Id")
    return ""


def _movement(base: dict, amount: Decimal, tx: dict, fallback: str, line) -> ParsedMovement:
    tx = dict(tx)
    tx_reference = tx.pop("tx_bank_reference", "")
    return ParsedMovement(
        booking_date=base["booking_date"],
        value_date=base["value_date"],
        amount=amount,
        currency=base["currency"],
        bank_reference=tx_reference or base["bank_reference"],
        line=line,
        **{**tx, "description": tx.get("description") or fallback},
    )
