"""Bank spreadsheets (CSV or XLSX) read through a ``SheetPreset``: which encoding,
separator, number and date formats, which rows to skip and which column holds what.

Columns are named by their header text (compared folded: accents, case and punctuation
ignored) or by a 0-based index (0 is the first column) for files without a header row.
A preset is plain data (``to_dict``/``from_dict``) so an organisation can keep an edited
copy; the presets shipped for Mexican banks are in ``presets.py``.
"""

import csv
import datetime as dt
import io
import re
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from cartera.payments.statements import ParsedMovement, ParsedStatement, StatementError

from ..tabular import sniff_separator
from ..values import cell_text, header_key
from .common import balance_warnings

Column = str | int | None
COLUMN_FIELDS = ("date", "reference", "bank_reference", "counterparty")
COLUMN_FIELDS += ("counterparty_account", "amount", "debit", "credit", "type_column", "balance")
AMOUNT_MODES = ("signed", "debit_credit", "amount_and_type")
XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class SheetPreset:
    name: str
    label: str = ""
    encoding: str = "utf-8"  # tried first; windows-1252 (then latin-1) if it fails
    delimiter: str = ","  # "auto": sniffed
    decimal: str = "."
    thousands: str = ","  # "" when the bank never groups digits
    date_formats: list[str] = field(default_factory=lambda: ["%d/%m/%Y"])
    skip_rows: int = 0  # rows (titles, account data) before the header or the first movement
    has_header: bool = True
    skip_footer_rows: int = 0  # totals and notes after the last movement
    strip: str = "'\""  # characters around values (Santander writes '01072023')
    date: Column = None
    description: list[str | int] = field(default_factory=list)  # joined with " "
    reference: Column = None
    bank_reference: Column = None
    counterparty: Column = None
    counterparty_account: Column = None
    amount_mode: str = "signed"
    amount: Column = None  # signed / amount_and_type
    debit: Column = None  # debit_credit
    credit: Column = None  # debit_credit
    type_column: Column = None  # amount_and_type: CARGO / ABONO
    credit_values: list[str] = field(default_factory=lambda: ["ABONO"])
    debit_values: list[str] = field(default_factory=lambda: ["CARGO"])
    balance: Column = None
    inverse_sign: bool = False  # the bank writes money in as negative
    currency: str = "MXN"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SheetPreset":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown preset fields: {sorted(unknown)}")
        preset = cls(**data)
        if preset.amount_mode not in AMOUNT_MODES:
            raise ValueError(f"amount_mode must be one of {AMOUNT_MODES}")
        return preset

    def named_columns(self) -> list[str]:
        """Header texts this preset expects (for auto-detection)."""
        columns = [self.date, self.reference, self.bank_reference, self.counterparty]
        columns += [self.counterparty_account, self.amount, self.debit, self.credit]
        columns += [self.type_column, self.balance, *self.description]
        return [c for c in columns if isinstance(c, str)]


def is_xlsx(data: bytes) -> bool:
    return data.startswith(XLSX_MAGIC)


def decode(data: bytes, encoding: str) -> str:
    for candidate in (encoding, "windows-1252", "latin-1"):
        try:
            text = data.decode("utf-8-sig" if candidate.lower() in ("utf-8", "utf8") else candidate)
        except (UnicodeDecodeError, LookupError):
            continue
        return text
    raise StatementError(_("no se pudo leer el texto del archivo"))  # pragma: no cover


def csv_rows(data: bytes, preset: SheetPreset) -> list[tuple[int, list]]:
    """(line number, cells) of every non-blank line."""
    text = decode(data, preset.encoding)
    delimiter = sniff_separator(text) if preset.delimiter == "auto" else preset.delimiter
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise StatementError(
            _("CSV ilegible: %(error)s") % {"error": exc}, line=reader.line_num
        ) from exc
    return rows


def xlsx_rows(data: bytes) -> list[tuple[int, list]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise StatementError(_("no es un archivo XLSX legible")) from exc
    try:
        sheet = book.worksheets[0]
        return [
            (number, list(cells))
            for number, cells in enumerate(sheet.iter_rows(values_only=True), 1)
            if any(cell_text(c) for c in cells)
        ]
    finally:
        book.close()


def table_rows(data: bytes, preset: SheetPreset) -> list[tuple[int, list]]:
    return xlsx_rows(data) if is_xlsx(data) else csv_rows(data, preset)


def matches_header(cells: list, preset: SheetPreset) -> bool:
    wanted = {header_key(c) for c in preset.named_columns()}
    return bool(wanted) and wanted <= {header_key(cell_text(c)) for c in cells}


class Sheet:
    """A table and a preset: resolves columns and turns rows into movements."""

    def __init__(self, rows: list[tuple[int, list]], preset: SheetPreset):
        self.preset = preset
        rows = rows[preset.skip_rows :]
        if preset.skip_footer_rows:
            rows = rows[: -preset.skip_footer_rows]
        self.headers: dict[str, int] = {}
        if preset.has_header:
            if not rows:
                raise StatementError(_("el archivo no trae la fila de encabezados"))
            number, cells = rows[0]
            self.header_line = number
            self.headers = {header_key(cell_text(c)): i for i, c in enumerate(cells)}
            rows = rows[1:]
        self.rows = rows
        self.amount_pattern = _amount_pattern(preset)

    def index(self, column: Column) -> int | None:
        if column is None or isinstance(column, int):
            return column
        found = self.headers.get(header_key(column))
        if found is None:
            raise StatementError(
                _("falta la columna «%(name)s» en los encabezados") % {"name": column},
                line=getattr(self, "header_line", None),
            )
        return found

    def movements(self) -> list[ParsedMovement]:
        p = self.preset
        columns = {name: self.index(getattr(p, name)) for name in COLUMN_FIELDS}
        if columns["date"] is None:
            raise StatementError(_("la plantilla no dice qué columna trae la fecha"))
        descriptions = [self.index(c) for c in p.description]
        return [self._movement(n, cells, columns, descriptions) for n, cells in self.rows]

    def _cell(self, cells: list, index: int | None):
        if index is None or index >= len(cells):
            return ""
        value = cells[index]
        return value.strip().strip(self.preset.strip).strip() if isinstance(value, str) else value

    def _movement(self, line, cells, columns, descriptions) -> ParsedMovement:
        def text(key: str) -> str:
            return cell_text(self._cell(cells, columns[key]))

        balance = self._cell(cells, columns["balance"])
        return ParsedMovement(
            booking_date=self._date(self._cell(cells, columns["date"]), line),
            amount=self._signed_amount(cells, columns, line),
            currency=self.preset.currency,
            description=" ".join(
                t for t in (cell_text(self._cell(cells, i)) for i in descriptions) if t
            ),
            reference=text("reference"),
            bank_reference=text("bank_reference"),
            counterparty_name=text("counterparty"),
            counterparty_account=text("counterparty_account"),
            balance_after=self._amount(balance, line, _("saldo")) if cell_text(balance) else None,
            line=line,
        )

    def _date(self, value, line: int) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        raw = cell_text(value)
        for pattern in self.preset.date_formats:
            try:
                return dt.datetime.strptime(raw, pattern).date()
            except ValueError:
                continue
        raise StatementError(
            _("fecha «%(value)s» no coincide con el formato %(formats)s")
            % {"value": raw, "formats": _(" o ").join(map(human_format, self.preset.date_formats))},
            line=line,
        )

    def _amount(self, value, line: int, label: str) -> Decimal:
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return Decimal(str(value))
        raw = cell_text(value)
        cleaned = raw.replace("$", "").replace(" ", "").replace("\u00a0", "")
        negative = cleaned.startswith("(") and cleaned.endswith(")")
        cleaned = cleaned.strip("()")
        if cleaned.endswith("-"):
            negative, cleaned = True, cleaned[:-1]
        if not self.amount_pattern.fullmatch(cleaned):
            raise StatementError(
                _("%(label)s «%(value)s» no es un número") % {"label": label, "value": raw},
                line=line,
            )
        if self.preset.thousands:
            cleaned = cleaned.replace(self.preset.thousands, "")
        number = Decimal(cleaned.replace(self.preset.decimal, "."))
        return -number if negative else number

    def _signed_amount(self, cells, columns, line: int) -> Decimal:
        mode = self.preset.amount_mode
        if mode == "debit_credit":
            amount = self._debit_credit(cells, columns, line)
        else:
            raw = self._cell(cells, columns["amount"])
            if not cell_text(raw):
                raise StatementError(_("falta el importe"), line=line)
            amount = self._amount(raw, line, _("importe"))
            if mode == "amount_and_type":
                amount = abs(amount) * self._type_sign(cells, columns, line)
        return -amount if self.preset.inverse_sign else amount

    def _debit_credit(self, cells, columns, line: int) -> Decimal:
        debit = self._cell(cells, columns["debit"])
        credit = self._cell(cells, columns["credit"])
        if not cell_text(debit) and not cell_text(credit):
            raise StatementError(_("falta el importe: cargo y abono están vacíos"), line=line)
        amount = Decimal(0)
        if cell_text(credit):
            amount += abs(self._amount(credit, line, _("abono")))
        if cell_text(debit):
            amount -= abs(self._amount(debit, line, _("cargo")))
        return amount

    def _type_sign(self, cells, columns, line: int) -> int:
        kind = _kind(cell_text(self._cell(cells, columns["type_column"])))
        if kind in {_kind(v) for v in self.preset.credit_values}:
            return 1
        if kind in {_kind(v) for v in self.preset.debit_values}:
            return -1
        raw = cell_text(self._cell(cells, columns["type_column"]))
        raise StatementError(
            _("tipo de movimiento «%(value)s»: se esperaba %(expected)s")
            % {
                "value": raw,
                "expected": _(" o ").join(self.preset.credit_values + self.preset.debit_values),
            },
            line=line,
        )


def _kind(value: str) -> str:
    """Type values compared folded ("Abono" = "ABONO"); signs ("+", "-") as they are."""
    return header_key(value) or value.strip()


def human_format(pattern: str) -> str:
    """``%d/%m/%Y`` → ``DD/MM/AAAA``, as a person reads a date format."""
    for code, shown in (("%d", "DD"), ("%m", "MM"), ("%Y", "AAAA"), ("%y", "AA"), ("%b", "MMM")):
        pattern = pattern.replace(code, shown)
    return pattern


def _amount_pattern(preset: SheetPreset) -> re.Pattern:
    """Digits grouped by the thousands separator (or not at all), one decimal part."""
    dec, sep = re.escape(preset.decimal), re.escape(preset.thousands)
    grouped = rf"\d{{1,3}}({sep}\d{{3}})+" if preset.thousands else r"(?!)"
    return re.compile(rf"[+-]?({grouped}|\d+)({dec}\d+)?")


def parse_sheet(data: bytes, preset: SheetPreset) -> ParsedStatement:
    sheet = Sheet(table_rows(data, preset), preset)
    movements = sheet.movements()
    if not movements:
        raise StatementError(_("el archivo no trae ningún movimiento"))
    return ParsedStatement(
        format=f"csv:{preset.name}",
        movements=movements,
        currency=preset.currency,
        warnings=balance_warnings(movements, None, None),
    )
