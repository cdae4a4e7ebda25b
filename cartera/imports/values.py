"""Reading cell values as people write them: dates, amounts, text.

Every parser raises ``ValueError`` with a plain-Spanish message; the importer turns it
into a row problem (row, column, value, reason).
"""

import datetime as dt
import re
import unicodedata
from decimal import Decimal

from cartera.lib.money import AmountOutOfRange, MoneyError, out_of_range_message, parse_amount

from .problem_text import gettext as _

EXCEL_EPOCH = dt.date(1899, 12, 30)
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?:[ T].*)?$")
_SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")
_MONTHS = {
    "ene": 1,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "abr": 4,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "ago": 8,
    "aug": 8,
    "sep": 9,
    "set": 9,
    "oct": 10,
    "nov": 11,
    "dic": 12,
    "dec": 12,
}
_NAMED = re.compile(r"^(\d{1,2})[-/. ]([a-z]{3})[a-z]*\.?[-/. ](\d{2}|\d{4})$")


def fold(text: str) -> str:
    """Lower-case, accents removed, punctuation as spaces, spaces collapsed."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return text.strip()


def header_key(text: str) -> str:
    """How header names are compared: folded, spaces and punctuation ignored
    ("R.F.C." = "RFC" = "rfc", "Razón  social" = "razon social")."""
    return fold(text).replace(" ", "")


def cell_text(value) -> str:
    """A cell as text. Float cells (XLSX numbers) keep their shortest exact form."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def date_parts(value) -> tuple[int, int, int] | None:
    """For an ambiguous numeric date 'a/b/y', the raw (a, b, year); else None."""
    if isinstance(value, (dt.date, int, float)):
        return None
    match = _NUMERIC.match(str(value).strip())
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), _year(match.group(3))


def parse_date(value, *, order: str = "dmy") -> dt.date:
    """Read a date: real Excel date cells, Excel serial numbers, YYYY-MM-DD,
    DD/MM/YYYY and D/M/YY (``order`` says whether day or month comes first),
    '5-ene-2026'."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_serial(value)
    text = str(value or "").strip()
    if not text:
        raise ValueError(_("La fecha está vacía."))
    try:
        found = _date_from_text(text, order)
    except ValueError:
        raise ValueError(_("No es una fecha válida.")) from None
    if found is None:
        raise ValueError(_("No es una fecha reconocible (use DD/MM/AAAA o AAAA-MM-DD)."))
    return found


def _date_from_text(text: str, order: str) -> dt.date | None:
    """The date a text cell writes, None when it writes none of the known forms (a
    ``ValueError`` when it has a known form but is no real date)."""
    if _SERIAL.match(text):
        return _from_serial(float(text))
    if match := _ISO.match(text):
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := _NUMERIC.match(text):
        first, second, year = int(match.group(1)), int(match.group(2)), _year(match.group(3))
        day, month = (first, second) if order == "dmy" else (second, first)
        return dt.date(year, month, day)
    if match := _NAMED.match(fold(text).replace(" ", "-")) or _NAMED.match(text.lower()):
        month = _MONTHS.get(match.group(2)[:3])
        if month:
            return dt.date(_year(match.group(3)), month, int(match.group(1)))
    return None


def _from_serial(number: float) -> dt.date:
    if not 1 <= number < 2958466:
        raise ValueError(_("No es una fecha válida."))
    return EXCEL_EPOCH + dt.timedelta(days=int(number))


def parse_money(value, *, decimal_comma: bool | None = None) -> Decimal:
    """Read an amount: '1,234.56', '1.234,56', '$ 1,234.56', '(1,234.56)', '1234.5 MXN'."""
    if isinstance(value, bool):
        raise ValueError(_("No es un importe."))
    if isinstance(value, float):
        value = cell_text(value)
    try:
        return parse_amount(value, decimal_comma=decimal_comma)
    except AmountOutOfRange:
        raise ValueError(out_of_range_message()) from None
    except MoneyError:
        raise ValueError(_("No es un importe reconocible.")) from None


def parse_int(value) -> int:
    text = cell_text(value)
    try:
        number = Decimal(text.replace(",", ""))
    except Exception:
        raise ValueError(_("No es un número entero.")) from None
    if number != number.to_integral_value() or number < 0:
        raise ValueError(_("No es un número entero positivo."))
    return int(number)


def detect_decimal_comma(samples: list[str]) -> bool | None:
    """Whether a column writes amounts as '1.234,56'. None when no value tells."""
    comma = dot = 0
    for text in samples:
        text = str(text)
        if "," in text and "." in text:
            if text.rfind(",") > text.rfind("."):
                comma += 1
            else:
                dot += 1
        elif re.search(r",\d{1,2}\b", text) and not re.search(r",\d{3}\b", text):
            comma += 1
        elif re.search(r"\.\d{1,2}\b", text):
            dot += 1
    if comma and not dot:
        return True
    if dot and not comma:
        return False
    return None
