import datetime as dt
from decimal import Decimal

import pytest

from cartera.imports.values import detect_decimal_comma, parse_date, parse_int, parse_money

D = Decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.56", D("1234.56")),
        ("1.234,56", D("1234.56")),
        ("$ 1,234.56", D("1234.56")),
        ("(1,234.56)", D("-1234.56")),
        ("1234.5 MXN", D("1234.5")),
        ("MXN 1234.5", D("1234.5")),
        ("-2,000", D("-2000")),
        (1500, D("1500")),
        (1234.5, D("1234.5")),
    ],
)
def test_parse_money_accepts_what_people_write(text, expected):
    assert parse_money(text) == expected


def test_parse_money_column_decimal_comma_decides_a_lone_separator():
    assert parse_money("1,234", decimal_comma=True) == D("1.234")
    assert parse_money("1,234", decimal_comma=False) == D("1234")
    assert parse_money("1.234", decimal_comma=True) == D("1234")


@pytest.mark.parametrize("text", ["abc", "12-34", "1.2.3,4,5", True])
def test_parse_money_rejects_garbage_with_a_spanish_reason(text):
    with pytest.raises(ValueError, match=r"^No es un importe"):
        parse_money(text)


@pytest.mark.parametrize(
    ("value", "order", "expected"),
    [
        ("31/12/2026", "dmy", dt.date(2026, 12, 31)),
        ("5/9/26", "dmy", dt.date(2026, 9, 5)),
        ("5/9/26", "mdy", dt.date(2026, 5, 9)),
        ("2026-09-05", "mdy", dt.date(2026, 9, 5)),
        ("46270", "dmy", dt.date(2026, 9, 5)),  # an Excel serial number as text
        (46270, "dmy", dt.date(2026, 9, 5)),  # an Excel serial number cell
        (46270.75, "dmy", dt.date(2026, 9, 5)),
        (dt.datetime(2026, 9, 5, 13, 30), "dmy", dt.date(2026, 9, 5)),  # a real date cell
        (dt.date(2026, 9, 5), "mdy", dt.date(2026, 9, 5)),
        ("5-ene-2026", "dmy", dt.date(2026, 1, 5)),
        ("05 Sep 2026", "dmy", dt.date(2026, 9, 5)),
    ],
)
def test_parse_date_formats(value, order, expected):
    assert parse_date(value, order=order) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("31/02/2026", "No es una fecha válida."),
        ("13/13/2026", "No es una fecha válida."),
        ("mañana", "No es una fecha reconocible (use DD/MM/AAAA o AAAA-MM-DD)."),
        ("", "La fecha está vacía."),
    ],
)
def test_parse_date_errors(value, message):
    with pytest.raises(ValueError) as info:
        parse_date(value)
    assert str(info.value) == message


def test_parse_int():
    assert parse_int("30") == 30
    assert parse_int(45.0) == 45
    with pytest.raises(ValueError, match="No es un número entero positivo."):
        parse_int("-3")
    with pytest.raises(ValueError, match="No es un número entero."):
        parse_int("treinta")


def test_detect_decimal_comma():
    assert detect_decimal_comma(["1.234,56", "500,00"]) is True
    assert detect_decimal_comma(["1,234.56", "500.00"]) is False
    assert detect_decimal_comma(["1,234", "500"]) is None
