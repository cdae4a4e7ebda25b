"""Export any table to XLSX (real numbers and dates in the cells), CSV and PDF.

A page builds a ``Table`` (title, columns, rows of Python values) once; the three
writers turn it into a file. Date-times are written in the table's time zone (the
organisation's, see ``Table.time_zone``), never as raw UTC.

- XLSX: amounts are numbers rounded to the currency's decimals with its number format;
  dates and date-times are date cells shown in the language's short style (dd/mm/yyyy).
- CSV: machine text (ISO dates ``2026-12-01``, amounts ``1234.50``): what a spreadsheet in
  any locale and a re-import read without guessing (``lib.fmt``).
- PDF: for people, in the house styles (``03/12/2026``, ``1,234.50 MXN``), with the
  table's summaries and server-drawn charts above it (``Table.summaries``, ``charts``).
"""

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.styles import Font

from . import fmt
from .charts import BarChart, bar_chart_svg
from .dates import short_date, spreadsheet_date_format
from .money import decimals_for, format_money, round_money

TEXT, MONEY, DAYS, PERCENT, DATE, INT, DATETIME = (
    "text",
    "money",
    "days",
    "percent",
    "date",
    "int",
    "datetime",
)
DATETIME_TEXT = "%Y-%m-%d %H:%M:%S"
NUMBER_FORMATS = {DAYS: "0.0", PERCENT: "0.0"}


@dataclass
class Column:
    key: str
    label: str
    kind: str = TEXT
    # A money column of one currency (one column per currency, e.g. "Vencido MXN"); empty:
    # each row's own currency (``Table.currency_key``).
    currency: str = ""


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    subtitle: str = ""
    currency_key: str = "currency"  # the row key giving a money cell's currency
    default_currency: str = "MXN"
    # IANA name the DATETIME cells are written in; empty means the active time zone
    # (the organisation's during a request, see orgs.middleware).
    time_zone: str = ""
    # Only the PDF prints these, above the rows: smaller tables (e.g. the forecast's weeks)
    # and charts (the page's own, drawn as SVG).
    summaries: list["Table"] = field(default_factory=list)
    charts: list[BarChart] = field(default_factory=list)

    def currency_of(self, row: dict, column: Column | None = None) -> str:
        if column is not None and column.currency:
            return column.currency
        return row.get(self.currency_key) or self.default_currency

    def local(self, value: dt.datetime) -> dt.datetime:
        """An aware date-time as a naive one on the wall clock of the table's zone."""
        if timezone.is_naive(value):
            return value
        zone = ZoneInfo(self.time_zone) if self.time_zone else timezone.get_current_timezone()
        return value.astimezone(zone).replace(tzinfo=None)


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP: prefix a quote).

    User text such as a customer named ``=HYPERLINK(...)`` would otherwise become a live
    formula when the file is opened in Excel or LibreOffice.
    """
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _text(table: Table, column: Column, row: dict) -> str:
    value = row.get(column.key)
    if value is None:
        return ""
    if column.kind == MONEY:
        return fmt.amount(value, table.currency_of(row, column))
    if column.kind in (DAYS, PERCENT):
        return fmt.days(value)
    if column.kind == DATE:
        return value.isoformat()
    if column.kind == DATETIME:
        return table.local(value).strftime(DATETIME_TEXT)
    return neutralise(str(value))


def _display(table: Table, column: Column, row: dict) -> str:
    """A PDF cell: the house styles of the active language."""
    value = row.get(column.key)
    if value is None:
        return ""
    if column.kind == MONEY:
        return format_money(value, table.currency_of(row, column))
    if column.kind == DATE:
        return short_date(value)
    if column.kind == DATETIME:
        local = table.local(value)
        return f"{short_date(local.date())} {local:%H:%M}"
    return _text(table, column, row)


Progress = Callable[[int, int], None]
PROGRESS_EVERY = 500  # rows between two progress reports of a writer


def _rows(table: Table, progress: Progress | None):
    """The table's rows, reporting (done, total) every few hundred rows and at the end."""
    total = len(table.rows)
    for done, row in enumerate(table.rows, start=1):
        yield row
        if progress and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)


def to_csv(table: Table, progress: Progress | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(c.label) for c in table.columns])
    for row in _rows(table, progress):
        writer.writerow([_text(table, c, row) for c in table.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8


def _cell_value(table: Table, column: Column, row: dict):
    """The Python value openpyxl stores: numbers stay numbers, dates stay dates."""
    value = row.get(column.key)
    if value is None:
        return None
    if column.kind in (DAYS, PERCENT):
        return fmt.one_decimal(value)
    if column.kind == MONEY:
        return round_money(Decimal(value), table.currency_of(row, column))
    if column.kind == DATETIME:
        return table.local(value)  # openpyxl refuses aware date-times
    if column.kind == TEXT:
        return str(value)
    return value


def keep_as_text(cell) -> None:
    """openpyxl stores a string starting with ``=`` as a formula and ``#N/A`` as an error;
    user text stays text."""
    if cell.data_type in ("f", "e"):
        cell.data_type = "s"


def _number_format(table: Table, column: Column, row: dict) -> str | None:
    if column.kind == MONEY:
        places = decimals_for(table.currency_of(row, column))
        return "#,##0" + ("." + "0" * places if places else "")
    if column.kind == DATE:
        return spreadsheet_date_format()
    if column.kind == DATETIME:
        return spreadsheet_date_format() + " hh:mm"
    return NUMBER_FORMATS.get(column.kind)


def _write_header(sheet, table: Table) -> int:
    sheet.append([str(table.title)])
    sheet["A1"].font = Font(bold=True, size=13)
    if table.subtitle:
        sheet.append([str(table.subtitle)])
    sheet.append([str(c.label) for c in table.columns])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for line in sheet.iter_rows(max_row=header_row):
        for cell in line:
            keep_as_text(cell)
    return header_row


def _write_row(sheet, table: Table, row: dict) -> None:
    sheet.append([_cell_value(table, c, row) for c in table.columns])
    for cell in sheet[sheet.max_row]:
        keep_as_text(cell)
    current = sheet.max_row
    for index, column in enumerate(table.columns, start=1):
        number_format = _number_format(table, column, row)
        if number_format:
            sheet.cell(row=current, column=index).number_format = number_format


def to_xlsx(table: Table, progress: Progress | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = (slugify(str(table.title)) or "reporte")[:31]
    header_row = _write_header(sheet, table)
    for row in _rows(table, progress):
        _write_row(sheet, table, row)
    for index, column in enumerate(table.columns, start=1):
        letter = sheet.cell(row=header_row, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, min(40, len(str(column.label)) + 4))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _pdf_cells(table: Table, rows) -> list[list[tuple[str, bool]]]:
    return [
        [(_display(table, c, row), c.kind not in (TEXT, DATE, DATETIME)) for c in table.columns]
        for row in rows
    ]


def pdf_html(table: Table, progress: Progress | None = None) -> str:
    """The HTML WeasyPrint turns into the PDF (tests read it: PDFs compress their text)."""
    summaries = [(summary, _pdf_cells(summary, summary.rows)) for summary in table.summaries]
    return render_to_string(
        "lib/export_pdf.html",
        {
            "table": table,
            "cells": _pdf_cells(table, _rows(table, progress)),
            "summaries": summaries,
            "charts": [bar_chart_svg(chart) for chart in table.charts],
        },
    )


def to_pdf(table: Table, progress: Progress | None = None) -> bytes:
    html = pdf_html(table, progress)
    # Imported here: WeasyPrint takes seconds and tens of MB to load, and every process that
    # shows a report page imports this module; only PDF exports need it.
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
WRITERS = {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf}


def export_filename(name: str, day: dt.date, kind: str) -> str:
    return f"{name}-{day.isoformat()}.{kind}"


def export_response(table: Table, kind: str, *, name: str, day: dt.date) -> HttpResponse:
    response = HttpResponse(WRITERS[kind](table), content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{export_filename(name, day, kind)}"'
    return response
