"""A SPEI CEP handed in as a PDF (what Banxico's site and most banking apps give the
payer): its text, read with ``pypdf``, → the ``ParsedCep`` the Banxico check needs.

Banxico's PDF is titled "Comprobante Electrónico de Pago (CEP)" and labels its lines
("Fecha de operación", "Clave de rastreo", "Institución emisora del pago",
"Institución receptora del pago", "Cuenta beneficiaria", "Monto"). Labels are matched
without regard to case, accents or line breaks (a PDF's text breaks lines where its
layout did), and amounts as "$1,234.56", "1234.56 MXN" or "1.234,56". Banks are
resolved to their 5-digit SPEI codes' names (``clabe.BANK_NAMES``) so the query sends the
codes the XML path sends.

Only the first ``MAX_PAGES`` pages and ``MAX_TEXT_CHARS`` characters are read: a CEP is
one page, and a proof must not cost the worker more than that. Pure: no database.
"""

import datetime as dt
import io
import logging
import re
import unicodedata
from decimal import Decimal, InvalidOperation

import clabe
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from cartera.lib.uploads import MAX_PROOF_BYTES

from .cep import CepError, CepParty, ParsedCep

log = logging.getLogger(__name__)

MAX_PAGES = 3
MAX_TEXT_CHARS = 20_000
TITLE = re.compile(r"comprobante electronico de pago|\(cep\)|clave de rastreo")
MONTHS = {
    "enero": 1,
    "febrero": 2,
    "marzo": 3,
    "abril": 4,
    "mayo": 5,
    "junio": 6,
    "julio": 7,
    "agosto": 8,
    "septiembre": 9,
    "setiembre": 9,
    "octubre": 10,
    "noviembre": 11,
    "diciembre": 12,
}
# label (accent-free, lower case; any whitespace between words) → what follows it
_SEP = r"\s*:?\s*"
DATE = re.compile(
    r"fecha (?:y hora )?de (?:la )?operacion(?: en el spei)?"
    + _SEP
    + r"(\d{1,2}[/-]\d{1,2}[/-]\d{4}"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2} de [a-z]+ de \d{4})"
)
# a tracking key has a digit: a label that follows an empty field is not taken for one
TRACKING_KEY = re.compile(r"clave de rastreo" + _SEP + r"((?=[a-z0-9]*\d)[a-z0-9]{6,30})\b")
AMOUNT = re.compile(
    r"\bmonto(?: del pago)?" + _SEP + r"(?:\$|mxn)?\s*(\d+(?:[.,\s]\d{3})*(?:[.,]\d{1,2})?)(?!\d)"
)
BENEFICIARY_ACCOUNT = re.compile(r"cuenta (?:del )?beneficiari[oa]" + _SEP + r"(\d[\d ]{8,24}\d)")
SENDER_ACCOUNT = re.compile(r"cuenta (?:del )?ordenante" + _SEP + r"(\d[\d ]{8,24}\d)")
SENDER_BANK = re.compile(r"institucion emisora(?: del pago)?" + _SEP + r"(.{0,80})")
RECEIVER_BANK = re.compile(r"institucion receptora(?: del pago)?" + _SEP + r"(.{0,80})")


def _plain(text: str) -> str:
    """Lower case, no accents, one space for any run of whitespace (line breaks too)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.lower().split())


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _plain(text))


_BANKS = sorted(((_squash(name), name) for name in clabe.BANK_NAMES.values()), reverse=True)


def pdf_text(data: bytes) -> tuple[str, int] | None:
    """The text of the first ``MAX_PAGES`` pages (at most ``MAX_TEXT_CHARS``) and the
    number of pages; None when ``pypdf`` cannot read the file (a broken PDF is no more
    a CEP than a photo is: the agent looks at it)."""
    if len(data) > MAX_PROOF_BYTES:
        raise CepError(
            _("el PDF pesa más de %(mb)s MB: no se lee") % {"mb": MAX_PROOF_BYTES // 2**20}
        )
    if not data.startswith(b"%PDF-"):
        raise CepError(_("el archivo no es un PDF"))
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = len(reader.pages)
        parts = []
        for page in reader.pages[:MAX_PAGES]:
            parts.append(page.extract_text() or "")
            if sum(map(len, parts)) >= MAX_TEXT_CHARS:
                break
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        # pypdf raises more than its own errors on a broken file; all mean "unreadable"
        log.info("unreadable PDF proof: %s", exc)
        return None
    return "\n".join(parts)[:MAX_TEXT_CHARS], pages


def looks_like_cep_text(text: str) -> bool:
    return bool(TITLE.search(_plain(text)))


def parse_amount(value: str) -> Decimal | None:
    """ "$11,600.00", "11600.00 MXN", "11.600,00", "11 600,00" → 11600.00 (None:
    unreadable)."""
    value = re.sub(r"[^\d.,]", "", value)
    if "," in value and "." in value:
        decimal_mark = "," if value.rfind(",") > value.rfind(".") else "."
    elif re.search(r",\d{1,2}$", value):
        decimal_mark = ","
    else:
        decimal_mark = "."
    thousands = "." if decimal_mark == "," else ","
    try:
        return Decimal(value.replace(thousands, "").replace(decimal_mark, "."))
    except InvalidOperation:
        return None


def parse_date(value: str) -> dt.date | None:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return dt.date.fromisoformat(value)
        spelled = re.fullmatch(r"(\d{1,2}) de ([a-z]+) de (\d{4})", value)
        if spelled:
            month = MONTHS.get(spelled.group(2))
            return dt.date(int(spelled.group(3)), month, int(spelled.group(1))) if month else None
        day, month, year = re.split(r"[/-]", value)
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def bank_name(value: str) -> str:
    """The ``clabe.BANK_NAMES`` name a CEP's "institución" line starts with (a name, a
    5-digit SPEI code or a CLABE's 3-digit prefix); "" if none."""
    code = re.match(r"(\d{5}|\d{3})(?!\d)", value.strip())
    if code:
        digits = code.group(1)
        return clabe.BANK_NAMES.get(clabe.BANKS.get(digits, digits), "")
    squashed = _squash(value)
    return next((name for key, name in _BANKS if key and squashed.startswith(key)), "")


def _account(value: str) -> str:
    digits = value.replace(" ", "")
    return digits[:18] if len(digits) >= 18 else digits


def _field(pattern: re.Pattern, text: str) -> str:
    found = pattern.search(text)
    return found.group(1).strip() if found else ""


def parse_cep_pdf(data: bytes) -> ParsedCep | None:
    """The CEP a PDF is: None when the PDF is not a CEP (another receipt, or unreadable);
    ``CepError`` with what is wrong when it is one but lacks a field Banxico's query
    needs, or it is too large or too long to find one in its first pages."""
    read = pdf_text(data)
    if read is None:
        return None
    text, pages = read
    plain = _plain(text)
    if not looks_like_cep_text(plain):
        if pages > MAX_PAGES:
            raise CepError(
                _(
                    "el PDF tiene %(pages)s páginas; solo se leen las primeras %(max)s "
                    "y en ellas no hay un CEP"
                )
                % {"pages": pages, "max": MAX_PAGES}
            )
        return None
    return _cep_from_text(plain)


def _cep_from_text(plain: str) -> ParsedCep:
    date = parse_date(_field(DATE, plain))
    amount = parse_amount(_field(AMOUNT, plain)) if _field(AMOUNT, plain) else None
    account = _account(_field(BENEFICIARY_ACCOUNT, plain))
    sender_bank = bank_name(_field(SENDER_BANK, plain))
    receiver_bank = bank_name(_field(RECEIVER_BANK, plain))
    tracking_key = _field(TRACKING_KEY, plain).upper()
    found = {
        _("fecha de operación"): date,
        _("clave de rastreo"): tracking_key,
        _("institución emisora del pago"): sender_bank,
        _("institución receptora del pago"): receiver_bank,
        _("cuenta beneficiaria"): account,
        _("monto"): amount,
    }
    missing = [label for label, value in found.items() if not value]
    if missing:
        raise CepError(
            _("CEP en PDF incompleto: no se encontró %(fields)s") % {"fields": ", ".join(missing)}
        )
    party = {"name": "", "account_type": "", "rfc": ""}
    return ParsedCep(
        tracking_key=tracking_key,
        operation_date=date,
        operation_time="",
        amount=amount,
        sender=CepParty(
            bank=sender_bank,
            account=_account(_field(SENDER_ACCOUNT, plain)),
            **party,
        ),
        beneficiary=CepParty(bank=receiver_bank, account=account, **party),
        concept="",
        vat=None,
        spei_key="",
        certificate_number="",
        seal="",
        chain="",
    )
