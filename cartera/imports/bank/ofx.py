"""OFX statements, 1.x (SGML: leaf tags are never closed) and 2.x (XML).

A small reader of our own rather than a dependency: ofxtools is GPL and strict (it refuses
real files that are out of spec), ofxparse has been unmaintained since 2021. The reader
tokenises tags, treats a tag followed by text as a leaf whether or not it is closed, and
closes aggregates on their end tag, so both versions (and the common mixtures) read alike.
"""

import datetime as dt
import html
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from cartera.payments.statements import ParsedMovement, ParsedStatement, StatementError

from .common import to_decimal

TOKEN = re.compile(r"<(/?)([A-Za-z0-9._]+)\s*>([^<]*)")
OFX_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})")


@dataclass
class Node:
    name: str
    line: int
    text: str = ""
    children: list["Node"] = field(default_factory=list)

    def iter(self, name: str):
        for child in self.children:
            if child.name == name:
                yield child
            yield from child.iter(name)

    def find(self, name: str) -> "Node | None":
        return next(self.iter(name), None)

    def value(self, name: str) -> str:
        found = self.find(name)
        return found.text if found is not None else ""


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("windows-1252", errors="replace")


def read_tree(text: str) -> Node:
    start = text.upper().find("<OFX>")
    if start < 0:
        raise StatementError(_("no es un archivo OFX: falta la etiqueta <OFX>"))
    root = Node("", 1)
    stack = [root]
    line, position = text.count("\n", 0, start) + 1, start
    for match in TOKEN.finditer(text, start):
        line += text.count("\n", position, match.start())
        position = match.start()
        closing, name, value = match.group(1), match.group(2).upper(), match.group(3).strip()
        if not closing:
            node = Node(name, line, html.unescape(value))
            stack[-1].children.append(node)
            if not value:
                stack.append(node)
            continue
        # An end tag closes the nearest open aggregate of that name; the end tag of a
        # leaf (OFX 2.x, or SGML written by tools that close everything) is skipped.
        names = [n.name for n in stack]
        if name in names[1:]:
            del stack[len(names) - names[::-1].index(name) - 1 :]
    return root


def ofx_date(value: str, *, line: int, label: str) -> dt.date:
    """``20240131120000[-6:CST]``, ``20110331120000.000`` or ``20170311``: the date part,
    as the bank wrote it (its own local date)."""
    match = OFX_DATE.match(value or "")
    try:
        if match:
            return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        pass
    raise StatementError(
        _("%(label)s «%(value)s» no es una fecha OFX (AAAAMMDD…)")
        % {"label": label, "value": value},
        line=line,
    )


def ofx_amount(node: Node, label: str):
    """OFX amounts use a point; some European banks send a comma."""
    value = node.text.replace(",", ".") if re.fullmatch(r"[+-]?\d+,\d+", node.text) else node.text
    return to_decimal(value, line=node.line, label=label)


def parse_ofx(data: bytes) -> ParsedStatement:
    root = read_tree(decode(data))
    statements = list(root.iter("STMTRS")) + list(root.iter("CCSTMTRS"))
    if not statements:
        raise StatementError(_("archivo OFX sin STMTRS: no trae ningún estado de cuenta"))
    first = statements[0]
    currency = first.value("CURDEF")
    movements = [
        _movement(trn, currency) for statement in statements for trn in statement.iter("STMTTRN")
    ]
    ledger = first.find("LEDGERBAL")
    closing = closing_date = None
    if ledger is not None and ledger.value("BALAMT"):
        amount = ledger.find("BALAMT")
        closing = ofx_amount(amount, _("saldo"))
        closing_date = ofx_date(
            ledger.value("DTASOF"), line=ledger.line, label=_("fecha del saldo")
        )
    return ParsedStatement(
        format="ofx",
        movements=movements,
        account=first.value("ACCTID"),
        currency=currency,
        statement_id=root.value("TRNUID"),
        closing_balance=closing,
        closing_date=closing_date,
    )


def _movement(trn: Node, currency: str) -> ParsedMovement:
    posted = trn.find("DTPOSTED")
    if posted is None:
        raise StatementError(_("movimiento OFX sin DTPOSTED (fecha)"), line=trn.line)
    amount = trn.find("TRNAMT")
    if amount is None:
        raise StatementError(_("movimiento OFX sin TRNAMT (importe)"), line=trn.line)
    user_date = trn.find("DTUSER")
    name, memo = trn.value("NAME"), trn.value("MEMO")
    return ParsedMovement(
        booking_date=ofx_date(posted.text, line=posted.line, label=_("fecha")),
        value_date=ofx_date(user_date.text, line=user_date.line, label=_("fecha"))
        if user_date is not None and user_date.text
        else None,
        amount=ofx_amount(amount, _("importe")),
        currency=trn.value("CURSYM") or currency,
        bank_reference=trn.value("FITID"),
        description=memo or name,
        reference=trn.value("REFNUM") or trn.value("CHECKNUM"),
        counterparty_name=name,
        line=trn.line,
    )
