"""What a debtor's reply means, and the day it names (Spanish, relative to the debtor's
local today)."""

import datetime as dt
from decimal import Decimal

import pytest

from cartera.outreach.replies import classify, named_amount, named_date

WED = dt.date(2026, 10, 7)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "intent", "day", "amount"),
    [
        ("Ya pagué", "paid", WED, None),
        ("ya pague", "paid", WED, None),
        ("YA PAGUÉ ayer", "paid", dt.date(2026, 10, 6), None),
        ("pagué 12,500 el lunes", "paid", dt.date(2026, 10, 5), Decimal("12500")),
        ("pagué $3,480.50 el 2", "paid", dt.date(2026, 10, 2), Decimal("3480.50")),
        ("Ya realicé la transferencia", "paid", WED, None),
        ("Prometo pagar el viernes", "promise", dt.date(2026, 10, 9), None),
        ("pago el 15", "promise", dt.date(2026, 10, 15), None),
        ("pago el 3", "promise", dt.date(2026, 11, 3), None),  # the 3rd has passed: November
        ("le pago mañana", "promise", dt.date(2026, 10, 8), None),
        ("pago pasado mañana", "promise", dt.date(2026, 10, 9), None),
        ("voy a pagar el miércoles", "promise", dt.date(2026, 10, 14), None),  # the next one
        ("pagaré el 20/10", "promise", dt.date(2026, 10, 20), None),
        ("pagaré el 5 de enero", "promise", dt.date(2027, 1, 5), None),
        ("pago a fin de mes", "promise", dt.date(2026, 10, 31), None),
        ("no reconozco", "dispute", None, None),
        ("Aclarar", "dispute", None, None),
        ("está mal la factura A-123", "dispute", None, None),
        ("quiero hablar con un agente", "agent", None, None),
        ("hola", "other", None, None),
        ("voy a pagar", "other", None, None),  # a promise without a day: the agent asks
        ("ya pagué pero está mal la factura", "other", None, None),  # two intents
        ("pagué el 20", "paid", dt.date(2026, 9, 20), None),  # the last 20th
    ],
)
def test_classify(text, intent, day, amount):
    reply = classify(text, today=WED)
    assert (reply.intent, reply.date, reply.amount) == (intent, day, amount)


@pytest.mark.parametrize("button", ["paid", "promise", "dispute", "agent"])
def test_a_quick_reply_button_decides_by_itself(button):
    assert classify("cualquier cosa", today=WED, button=button).intent == button


def test_dates_across_the_year_end():
    dec = dt.date(2026, 12, 30)
    assert named_date("pago el 2", today=dec, future=True) == dt.date(2027, 1, 2)
    assert named_date("pagué el 31", today=dt.date(2027, 1, 1), future=False) == dec + dt.timedelta(
        days=1
    )
    # no 31 November: the next 31st
    assert named_date("pago el 31", today=dt.date(2026, 11, 5), future=True) == dt.date(
        2026, 12, 31
    )


def test_a_day_is_not_an_amount():
    assert named_amount("pago el 15") is None
    assert named_amount("pagué 1.250,00 el 15") == Decimal("1250.00")
