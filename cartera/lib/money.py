"""Money: a Decimal amount with an ISO 4217 currency. Never float.

One value type and one parser for the whole project. Rounding (half-up, to the
currency's minor unit) happens at the edges only: when a value enters from outside
or is shown to a person.
"""

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .dates import babel_locale

# Minor units per currency; anything not listed has 2 decimals.
_ZERO_DECIMAL = {"CLP", "JPY", "KRW", "PYG", "VND", "ISK", "UYI", "CLF"}
SUPPORTED_CURRENCIES = ("MXN", "USD", "CLP", "ARS", "EUR", "COP", "PEN", "BRL", "CAD", "GBP")
CURRENCY_CHOICES = [(code, code) for code in SUPPORTED_CURRENCIES]


class MoneyError(ValueError):
    """A value cannot be read as an amount of money."""


def decimals_for(currency: str) -> int:
    return 0 if currency.upper() in _ZERO_DECIMAL else 2


@lru_cache(maxsize=64)
def quantum(currency: str) -> Decimal:
    """Remembered: every amount rounded (hundreds of thousands in a bulk run) asks for it."""
    return Decimal(1).scaleb(-decimals_for(currency))


class AmountOutOfRange(MoneyError):
    """An amount larger than any money column can hold."""


# Every money column is NUMERIC(18, 2): the largest amount either database can store.
MAX_AMOUNT = Decimal("9999999999999999.99")


def check_amount_range(amount: Decimal) -> Decimal:
    """``amount`` if it fits the money columns, else MoneyError (before anything is stored:
    SQLite would keep it and break every later sum, PostgreSQL would refuse the row)."""
    try:
        fits = Decimal(amount).is_finite() and abs(Decimal(amount)) <= MAX_AMOUNT
    except (InvalidOperation, TypeError, ValueError):
        fits = False
    if not fits:
        raise AmountOutOfRange(f"amount out of range: {amount!r} (at most {MAX_AMOUNT})")
    return Decimal(amount)


def storable_money(amount, currency: str, *, field: str) -> Decimal:
    """The amount rounded to the currency, or a ValidationError on ``field`` when it does not
    fit the money columns. The one check every service and bulk path runs before writing."""
    try:
        return round_money(check_amount_range(amount), currency)
    except MoneyError:
        raise ValidationError({field: out_of_range_message()}) from None


def out_of_range_message() -> str:
    return _("Importe fuera de rango: el máximo es %(max)s.") % {"max": f"{MAX_AMOUNT:,}"}


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit; a result of zero is never "-0.00"."""
    rounded = Decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP)
    return abs(rounded) if rounded == 0 else rounded


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self):
        if isinstance(self.amount, float):
            raise TypeError("Money never holds a float; pass a Decimal or a string")
        object.__setattr__(self, "amount", Decimal(self.amount))
        object.__setattr__(self, "currency", self.currency.upper())

    def _check(self, other: "Money") -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: "Money") -> "Money":
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount, self.currency)

    def __lt__(self, other: "Money") -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: "Money") -> bool:
        self._check(other)
        return self.amount <= other.amount

    def rounded(self) -> "Money":
        return Money(round_money(self.amount, self.currency), self.currency)

    def as_string(self) -> str:
        """Plain machine string with the currency's decimals, e.g. '1234.50' (JSON, CSV)."""
        return format(round_money(self.amount, self.currency), "f")

    def __str__(self) -> str:
        """For people (timeline, task titles, notices): grouped like the back office's
        ``money`` filter, '11,600.00 MXN'. Machines use ``as_string()``."""
        digits = decimals_for(self.currency)
        return f"{round_money(self.amount, self.currency):,.{digits}f} {self.currency}"

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(Decimal(0), currency)


_CURRENCY_CODE = re.compile(r"\b([A-Z]{3})\b")
_SYMBOLS = re.compile(r"[$€£\s\u00a0]|MX\$|US\$|CLP\$")


def parse_amount(text: str | int | Decimal, *, decimal_comma: bool | None = None) -> Decimal:
    """Read an amount as people write it.

    Accepts '1,234.56', '1.234,56', '$ 1,234.56', '(1,234.56)', '-1234.5', '1234.5 MXN'.
    When a single separator could be either (e.g. '1,234'), ``decimal_comma`` decides;
    without it a lone comma followed by exactly three digits is a thousands separator.
    """
    if isinstance(text, Decimal):
        return text
    if isinstance(text, int):
        return Decimal(text)
    if isinstance(text, float):
        raise MoneyError("refusing a float amount; pass the text as written")
    raw = str(text).strip()
    if not raw:
        raise MoneyError("empty amount")
    negative = raw.startswith("(") and raw.endswith(")")
    cleaned = raw.strip("()")
    cleaned = _CURRENCY_CODE.sub("", cleaned.upper())
    cleaned = _SYMBOLS.sub("", cleaned)
    if cleaned.startswith("-"):
        negative = not negative if negative else True
        cleaned = cleaned[1:]
    elif cleaned.endswith("-"):
        negative = True
        cleaned = cleaned[:-1]
    cleaned = cleaned.replace("'", "")
    if not re.fullmatch(r"[0-9.,]+", cleaned or "x"):
        raise MoneyError(f"not an amount: {raw!r}")
    normalized = _normalize_separators(cleaned, decimal_comma)
    try:
        value = Decimal(normalized)
    except InvalidOperation:
        raise MoneyError(f"not an amount: {raw!r}") from None
    return check_amount_range(-value if negative else value)


def _normalize_separators(digits: str, decimal_comma: bool | None) -> str:
    has_dot, has_comma = "." in digits, "," in digits
    if has_dot and has_comma:
        # The separator that appears last is the decimal one.
        if digits.rfind(",") > digits.rfind("."):
            return digits.replace(".", "").replace(",", ".")
        return digits.replace(",", "")
    for sep in (",", "."):
        if sep in digits:
            return _single_separator(digits, sep, decimal_comma)
    return digits


def _single_separator(digits: str, sep: str, decimal_comma: bool | None) -> str:
    if digits.count(sep) > 1:
        return digits.replace(sep, "")  # repeated: thousands separators
    tail = digits.split(sep)[1]
    if decimal_comma is not None:
        is_decimal = (sep == ",") == decimal_comma
    elif sep == ",":
        is_decimal = len(tail) != 3  # '1,5' is decimal; '1,234' is one thousand...
    else:
        is_decimal = True  # a lone dot is decimal in every export we have seen
    return digits.replace(sep, ".") if is_decimal else digits.replace(sep, "")


def money_string(amount: Decimal, currency: str) -> str:
    """Amount as a JSON/CSV string with the currency's decimals."""
    return format(round_money(amount, currency), "f")


def format_money(amount, currency: str = "MXN", language: str | None = None) -> str:
    """The one money style for people (pages, e-mails, SMS, PDFs, the text of exports):
    the currency's decimals, grouped, and its ISO code after a no-break space —
    ``11,600.00 MXN``, ``250,000 CLP`` — in ``language`` (default: the active one);
    rounded half-up; "" for None or "". Machines use ``money_string``."""
    if amount is None or amount == "":
        return ""
    currency = (currency or "MXN").upper()
    value = round_money(Decimal(amount), currency)
    return format_currency(
        value,
        currency,
        format="#,##0.00\xa0¤¤",
        locale=babel_locale(language),
        currency_digits=True,
    )
