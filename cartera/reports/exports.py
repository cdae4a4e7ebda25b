"""Export any report table to XLSX (real numbers and dates in the cells), CSV and PDF.

A report page builds a ``Table`` (title, columns, rows of Python values) once; the
three writers turn it into a file. Amounts stay Decimal all the way into the XLSX
cell (openpyxl writes Decimal as a number) with the currency's number format.
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.text import slugify

from cartera.lib.money import decimals_for

from . import fmt

TEXT, MONEY, DAYS, PERCENT, DATE, INT = "text", "money", "days", "percent", "date", "int"


@dataclass
class Column:
    key: str
    label: str
    kind: str = TEXT


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    subtitle: str = ""
    currency_key: str = "currency"  # the row key giving a money cell's currency
    default_currency: str = "MXN"

    def currency_of(self, row: dict) -> str:
        return row.get(self.currency_key) or self.default_currency


def _text(table: Table, column: Column, row: dict) -> str:
    value = row.get(column.key)
    if value is None:
        return ""
    if column.kind == MONEY:
        return fmt.amount(value, table.currency_of(row))
    if column.kind in (DAYS, PERCENT):
        return fmt.days(value)
    if column.kind == DATE:
        return value.isoformat()
    return str(value)


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([_text(table, c, row) for c in table.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = (slugify(str(table.title)) or "reporte")[:31]
    sheet.append([str(table.title)])
    sheet["A1"].font = Font(bold=True, size=13)
    if table.subtitle:
        sheet.append([str(table.subtitle)])
    sheet.append([str(c.label) for c in table.columns])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for row in table.rows:
        values = []
        for column in table.columns:
            value = row.get(column.key)
            if column.kind in (DAYS, PERCENT) and value is not None:
                value = fmt.one_decimal(value)
            elif column.kind == MONEY and value is not None:
                value = Decimal(value)
            elif column.kind == TEXT and value is not None:
                value = str(value)
            values.append(value)
        sheet.append(values)
        current = sheet.max_row
        for index, column in enumerate(table.columns, start=1):
            cell = sheet.cell(row=current, column=index)
            if column.kind == MONEY:
                places = decimals_for(table.currency_of(row))
                cell.number_format = "#,##0" + ("." + "0" * places if places else "")
            elif column.kind in (DAYS, PERCENT):
                cell.number_format = "0.0"
            elif column.kind == DATE:
                cell.number_format = "yyyy-mm-dd"
    for index, column in enumerate(table.columns, start=1):
        letter = sheet.cell(row=header_row, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, min(40, len(str(column.label)) + 4))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_pdf(table: Table) -> bytes:
    from weasyprint import HTML

    cells = [
        [(_text(table, c, row), c.kind not in (TEXT, DATE)) for c in table.columns]
        for row in table.rows
    ]
    html = render_to_string("reports/pages/export_pdf.html", {"table": table, "cells": cells})
    return HTML(string=html).write_pdf()


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
WRITERS = {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf}


def export_response(table: Table, kind: str, *, name: str, day: dt.date) -> HttpResponse:
    response = HttpResponse(WRITERS[kind](table), content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{name}-{day.isoformat()}.{kind}"'
    return response
