"""SPEI CEP receipts as a bank file: one CEP XML (Banxico's ``SPEI_Tercero``) or a zip of
them → one incoming movement per transfer, for the same storing and reconciliation as a
statement's lines.

Each movement: booked on the CEP's operation date, the amount paid in MXN, the payer
(``Ordenante``: name, account, RFC) as the counterparty, the account credited
(``Beneficiario/Cuenta``, e.g. a customer's virtual CLABE), the concept as description and
the clave de rastreo as both the tracking key and the bank's id (with the date and the
sending bank, which together identify a SPEI transfer), so a CEP imported twice is
``unchanged``. A file in the zip that is not a readable CEP stops the whole import with its
name and the reason (nothing is written), as a broken line of a statement does."""

import io
import zipfile

from django.utils.translation import gettext as _

from cartera.payments.cep import bank_code
from cartera.payments.statements import ParsedMovement, ParsedStatement, StatementError

from .cep import CepError, ParsedCep, looks_like_cep, parse_cep

MAX_FILES = 5_000
MAX_FILE_BYTES = 1024 * 1024  # a CEP is about 2 KB


def is_cep_file(data: bytes, filename: str = "") -> bool:
    """A CEP XML, or a zip (not a workbook) whose XML files are CEPs."""
    if looks_like_cep(data):
        return True
    if not data.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm")):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".xml")]
            if not names or "[Content_Types].xml" in archive.namelist():
                return False
            with archive.open(names[0]) as first:
                return looks_like_cep(first.read(600))
    except zipfile.BadZipFile:
        return False


def _receipts(data: bytes) -> list[tuple[str, bytes]]:
    if looks_like_cep(data):
        return [("", data)]
    receipts = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir() or not info.filename.lower().endswith(".xml"):
                continue
            if len(receipts) >= MAX_FILES:
                raise StatementError(
                    _("el zip tiene más de %(n)s CEP: divídalo") % {"n": f"{MAX_FILES:,}"}
                )
            with archive.open(info) as handle:
                content = handle.read(MAX_FILE_BYTES + 1)
            if len(content) > MAX_FILE_BYTES:
                raise StatementError(
                    _("%(file)s: pesa demasiado para un CEP") % {"file": info.filename}
                )
            receipts.append((info.filename, content))
    if not receipts:
        raise StatementError(_("el zip no contiene archivos XML de CEP"))
    return receipts


def cep_bank_reference(cep: ParsedCep) -> str:
    """``CEP:<YYYYMMDD>:<sending bank's SPEI code>:<clave de rastreo>``: what identifies a
    SPEI transfer, and what ``payments.cep_movements`` asks Banxico with."""
    sender = bank_code(account=cep.sender.account, name=cep.sender.bank) or "?"
    return f"CEP:{cep.operation_date:%Y%m%d}:{sender}:{cep.tracking_key}"[:120]


def _movement(cep: ParsedCep, line: int) -> ParsedMovement:
    return ParsedMovement(
        booking_date=cep.operation_date,
        value_date=cep.operation_date,
        amount=cep.amount,
        currency="MXN",
        bank_reference=cep_bank_reference(cep),
        description=cep.concept,
        counterparty_name=cep.sender.name,
        counterparty_account=cep.sender.account,
        counterparty_rfc=cep.sender.rfc,
        beneficiary_account=cep.beneficiary.account,
        tracking_key=cep.tracking_key,
        line=line,
    )


def parse_cep_statement(data: bytes) -> ParsedStatement:
    movements = []
    for line, (name, content) in enumerate(_receipts(data), start=1):
        try:
            cep = parse_cep(content)
        except CepError as exc:
            where = name or _("el archivo")
            raise StatementError(f"{where}: {exc}", line=line) from None
        if not cep.tracking_key or cep.amount <= 0:
            raise StatementError(
                _("%(file)s: el CEP no trae clave de rastreo o monto")
                % {"file": name or _("el archivo")},
                line=line,
            )
        movements.append(_movement(cep, line))
    # No statement account: each CEP names the account it credited (often a customer's
    # virtual CLABE, not the bank account's own number), kept per movement.
    return ParsedStatement(format="cep", movements=movements, currency="MXN")
