from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cartera.lib.money import (
    MAX_AMOUNT,
    AmountOutOfRange,
    Money,
    MoneyError,
    money_string,
    parse_amount,
    round_money,
    storable_money,
)
from cartera.lib.templatetags.cartera_tags import money

D = Decimal


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1,234.56", D("1234.56")),
        ("1.234,56", D("1234.56")),
        ("$ 1,234.56", D("1234.56")),
        ("(1,234.56)", D("-1234.56")),
        ("1234.5 MXN", D("1234.5")),
        ("-12", D("-12")),
        ("1,5", D("1.5")),
        ("1.234.567,89", D("1234567.89")),
        ("1,234", D("1234")),
        ("1 234,50", D("1234.50")),
        ("MX$2,000.00", D("2000.00")),
        ("150-", D("-150")),
    ],
)
def test_parse_amount_reads_what_people_write(text, expected):
    assert parse_amount(text) == expected


def test_decimal_comma_hint_resolves_ambiguity():
    assert parse_amount("1.234", decimal_comma=True) == D("1234")
    assert parse_amount("1,234", decimal_comma=True) == D("1.234")
    assert parse_amount("1,234", decimal_comma=False) == D("1234")


@pytest.mark.parametrize("text", ["", "abc", "12a", "1..2,3,4.5"])
def test_parse_amount_rejects_garbage(text):
    with pytest.raises(MoneyError):
        parse_amount(text)


def test_parse_amount_refuses_float():
    with pytest.raises(MoneyError):
        parse_amount(1.5)


def test_rounding_is_half_up_per_currency():
    assert round_money(D("10.005"), "MXN") == D("10.01")
    assert round_money(D("10.5"), "CLP") == D("11")
    assert money_string(D("1500"), "CLP") == "1500"
    assert money_string(D("1500"), "USD") == "1500.00"


def test_money_never_mixes_currencies_or_floats():
    with pytest.raises(MoneyError):
        Money(D("1"), "MXN") + Money(D("1"), "USD")
    with pytest.raises(TypeError):
        Money(1.5, "MXN")
    assert Money(D("1.10"), "mxn") + Money(D("2.205"), "MXN") == Money(D("3.305"), "MXN")
    assert str(Money(D("3.305"), "MXN")) == "3.31 MXN"
    assert str(Money(D("1234567.5"), "MXN")) == "1,234,567.50 MXN"
    assert str(Money(D("250000"), "CLP")) == "250,000 CLP"


def test_an_amount_that_rounds_to_zero_has_no_minus_sign():
    assert str(round_money(Decimal("-0.004"), "MXN")) == "0.00"
    assert str(round_money(Decimal("-0.00"), "MXN")) == "0.00"
    assert str(Money(Decimal("-0.001"), "MXN")) == "0.00 MXN"
    assert money_string(Decimal("-0.4"), "CLP") == "0"
    assert money(Decimal("-0.00"), "MXN") == "0.00\xa0MXN"
    assert money(Decimal("-1.00"), "MXN") == "-1.00\xa0MXN"


HUGE = "999999999999999999999999.99"


def test_amounts_beyond_the_money_columns_are_refused_everywhere():
    assert storable_money(MAX_AMOUNT, "MXN", field="total") == MAX_AMOUNT
    for value in (Decimal(HUGE), -Decimal(HUGE), Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(ValidationError) as caught:
            storable_money(value, "MXN", field="total")
        assert "fuera de rango" in caught.value.message_dict["total"][0]
    with pytest.raises(AmountOutOfRange):
        parse_amount("10,000,000,000,000,000.00")
