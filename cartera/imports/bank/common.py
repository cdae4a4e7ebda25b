"""Helpers the bank-file readers share: safe XML, amounts, balance checks."""

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from lxml import etree

from cartera.payments.statements import ParsedMovement, StatementError

AMOUNT = re.compile(r"^[+-]?\d+(\.\d+)?$")


def safe_parser() -> etree.XMLParser:
    """No entities, no network, no huge trees: a bank file is untrusted input."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
    )


def parse_xml(data: bytes, *, what: str) -> etree._Element:
    try:
        return etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise StatementError(
            _("no es un archivo %(what)s: el XML está mal formado") % {"what": what},
            line=exc.lineno or None,
        ) from exc


def local(tag) -> str:
    """The element name without its namespace (CAMT versions differ only there)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def to_decimal(text: str, *, line: int | None, label: str) -> Decimal:
    """A plain amount like ``1234.56`` (XML formats); anything else is an error."""
    cleaned = (text or "").strip()
    if not AMOUNT.match(cleaned):
        raise StatementError(
            _("%(label)s «%(value)s» no es un número") % {"label": label, "value": cleaned},
            line=line,
        )
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the regex already refused it
        raise StatementError(_("%(label)s no es un número") % {"label": label}, line=line) from exc


def balance_warnings(
    movements: list[ParsedMovement], opening: Decimal | None, closing: Decimal | None
) -> list[str]:
    """Opening + Σ movements must equal closing; a running balance must follow on."""
    warnings = []
    if opening is not None and closing is not None:
        total = opening + sum((m.amount for m in movements), Decimal(0))
        if total != closing:
            warnings.append(
                _(
                    "Los saldos no cuadran: saldo inicial %(opening)s más movimientos "
                    "%(moves)s da %(total)s, pero el saldo final es %(closing)s."
                )
                % {
                    "opening": opening,
                    "moves": total - opening,
                    "total": total,
                    "closing": closing,
                }
            )
    warnings.extend(_running_gaps(movements))
    return warnings


def _running_gaps(movements: list[ParsedMovement]) -> list[str]:
    """Gaps in the running balance. Many banks list the newest first, so a file whose
    balances follow on read bottom-up has no gap."""
    forward = _gaps(movements)
    if forward and not _gaps(list(reversed(movements))):
        return []
    return [
        _(
            "línea %(line)s: el saldo %(balance)s no sigue del anterior %(previous)s con el importe %(amount)s."
        )
        % {
            "line": m.line,
            "balance": m.balance_after,
            "previous": previous,
            "amount": f"{m.amount:+}",
        }
        for m, previous in forward
    ]


def _gaps(movements: list[ParsedMovement]) -> list[tuple[ParsedMovement, Decimal]]:
    gaps = []
    previous = None
    for movement in movements:
        if movement.balance_after is None:
            previous = None
            continue
        if previous is not None and previous + movement.amount != movement.balance_after:
            gaps.append((movement, previous))
        previous = movement.balance_after
    return gaps
