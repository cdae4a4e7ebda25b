"""The shared table writers: date-times in the table's time zone, real numbers in XLSX."""

import datetime as dt
import io
from decimal import Decimal

from django.utils import timezone
from openpyxl import load_workbook

from cartera.lib import exports

AT_UTC = dt.datetime(2026, 11, 30, 18, 30, tzinfo=dt.UTC)


def _table(time_zone="America/Monterrey", **extra):  # Monterrey: UTC−6 all year
    return exports.Table(
        title="Bitácora",
        time_zone=time_zone,
        columns=[
            exports.Column("when", "Fecha y hora", exports.DATETIME),
            exports.Column("amount", "Importe", exports.MONEY),
            exports.Column("days", "Días", exports.DAYS),
            exports.Column("due", "Vence", exports.DATE),
            exports.Column("who", "Quién"),
        ],
        rows=[
            {
                "when": AT_UTC,
                "amount": Decimal("1234.5"),
                "currency": "MXN",
                "days": Decimal("12.25"),
                "due": dt.date(2026, 12, 1),
                "who": "Ana",
            },
            {"when": None, "amount": Decimal("250000"), "currency": "CLP", "who": None},
        ],
        **extra,
    )


def test_csv_writes_local_time_and_machine_amounts():
    text = exports.to_csv(_table()).decode("utf-8-sig")
    assert text.splitlines() == [
        "Fecha y hora,Importe,Días,Vence,Quién",
        "2026-11-30 12:30:00,1234.50,12.3,2026-12-01,Ana",
        ",250000,,,",
    ]


def test_xlsx_cells_keep_types_and_formats():
    book = load_workbook(io.BytesIO(exports.to_xlsx(_table(subtitle="Noviembre"))))
    sheet = book.active
    assert [c.value for c in sheet[1]][:1] == ["Bitácora"]
    assert [c.value for c in sheet[2]][:1] == ["Noviembre"]
    assert [c.value for c in sheet[3]] == ["Fecha y hora", "Importe", "Días", "Vence", "Quién"]
    first = sheet[4]
    assert [c.value for c in first] == [
        dt.datetime(2026, 11, 30, 12, 30),
        Decimal("1234.5"),
        12.3,  # openpyxl reads numbers back as floats
        dt.datetime(2026, 12, 1),
        "Ana",
    ]
    assert [c.number_format for c in first] == [
        "yyyy-mm-dd hh:mm:ss",
        "#,##0.00",
        "0.0",
        "yyyy-mm-dd",
        "General",
    ]
    assert (sheet["B5"].value, sheet["B5"].number_format) == (250000, "#,##0")


def test_without_a_time_zone_the_active_one_is_used():
    table = _table(time_zone="")
    with timezone.override("America/Santiago"):  # UTC−3 in November (summer time)
        assert table.local(AT_UTC) == dt.datetime(2026, 11, 30, 15, 30)


HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "#N/A"]


def _hostile_table():
    return exports.Table(
        title="=cmd|' /C calc'!A0",
        columns=[
            exports.Column("who", "Quién"),
            exports.Column("amount", "Importe", exports.MONEY),
        ],
        rows=[{"who": text, "amount": Decimal("-5"), "currency": "MXN"} for text in HOSTILE],
    )


def test_csv_cells_never_start_a_formula():
    text = exports.to_csv(_hostile_table()).decode("utf-8-sig").splitlines()
    names = [line.rsplit(",", 1)[0].strip('"') for line in text[1:] if line]
    assert names[:4] == ['\'=HYPERLINK(""http://x"",""y"")', "'+1+1", "'-2+3", "'@SUM(A1)"]
    assert exports.neutralise("Ana") == "Ana" and exports.neutralise("") == ""


def test_xlsx_keeps_user_text_as_text_not_formulas():
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(_hostile_table()))).active
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    types = [row[0].data_type for row in sheet.iter_rows()]
    assert values[0] == "=cmd|' /C calc'!A0"
    assert HOSTILE[0] in values and "#N/A" in values
    assert "f" not in types and "e" not in types
    amounts = [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert amounts == [-5] * len(HOSTILE)  # numbers stay numbers
