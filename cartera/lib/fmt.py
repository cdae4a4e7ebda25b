"""Machine formats of report figures (JSON, CSV): amounts as strings with the
currency's decimals (2; 0 for CLP), days and percentages as strings with 1 decimal,
None (JSON null) when a figure is undefined (e.g. DSO without sales)."""

from decimal import ROUND_HALF_UP, Decimal

from .money import money_string

ONE_DECIMAL = Decimal("0.1")


def amount(value: Decimal | None, currency: str) -> str | None:
    return None if value is None else money_string(Decimal(value), currency)


def one_decimal(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def days(value) -> str | None:
    rounded = one_decimal(value)
    return None if rounded is None else format(rounded, "f")


percent = days
