"""The shared table writers: date-times in the table's time zone, real numbers in XLSX."""

import datetime as dt
import io
from decimal import Decimal

from django.utils import timezone, translation
from openpyxl import load_workbook

from cartera.lib import exports
from cartera.lib.charts import BarChart

D = Decimal

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
        "dd/mm/yyyy hh:mm",
        "#,##0.00",
        "0.0",
        "dd/mm/yyyy",
        "General",
    ]
    assert (sheet["B5"].value, sheet["B5"].number_format) == (250000, "#,##0")


def test_xlsx_dates_are_date_cells_in_the_language_style_and_money_is_rounded():
    table = _table()
    table.rows[0]["amount"] = Decimal("1234.505")
    table.rows[1]["amount"] = Decimal("250000.5")
    with translation.override("en"):
        sheet = load_workbook(io.BytesIO(exports.to_xlsx(table))).active
    first = sheet[3]
    assert [(c.is_date, c.number_format) for c in first][::3] == [
        (True, "mm/dd/yyyy hh:mm"),
        (True, "mm/dd/yyyy"),
    ]
    assert (first[1].data_type, first[1].value) == ("n", 1234.51)
    assert sheet["B4"].value == 250001  # CLP has no decimals


def test_pdf_cells_are_in_the_house_styles_and_csv_stays_machine_text():
    with translation.override("es-mx"):
        html = exports.pdf_html(_table())
        csv_text = exports.to_csv(_table()).decode("utf-8-sig")
    assert "<td>30/11/2026 12:30</td>" in html and "<td>01/12/2026</td>" in html
    assert '<td class="num">1,234.50\xa0MXN</td>' in html
    assert '<td class="num">250,000\xa0CLP</td>' in html
    assert "2026-12-01" not in html and "1234.50" not in html
    assert "2026-11-30 12:30:00,1234.50,12.3,2026-12-01,Ana" in csv_text
    with translation.override("en"):
        english = exports.pdf_html(_table())
    assert "<td>11/30/2026 12:30</td>" in english and "<td>12/01/2026</td>" in english


def test_the_pdf_carries_the_summaries_and_charts():
    chart = BarChart("Semanas · MXN", ["07/12/2026", "14/12/2026"], [("Esperado", [D(100), D(50)])])
    summary = exports.Table(
        "Semanas · MXN",
        [exports.Column("start", "Semana", exports.DATE)],
        [{"start": dt.date(2026, 12, 7)}],
    )
    with translation.override("es-mx"):
        html = exports.pdf_html(_table(summaries=[summary], charts=[chart]))
    assert html.count("<svg") == 1 and 'aria-label="Semanas · MXN"' in html
    assert ">07/12/2026</text>" in html and ">100.00\xa0MXN</text>" in html
    assert '<rect x="121.0" y="24.0" width="248.0" height="156.0" fill="#0b5cad"/>' in html
    assert '<rect x="431.0" y="102.0" width="248.0" height="78.0" fill="#0b5cad"/>' in html
    assert "<h2>Semanas · MXN</h2>" in html and "<td>07/12/2026</td>" in html
    assert html.index("<svg") < html.index("<h2>") < html.index("Fecha y hora")


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
