"""Reading CSV and XLSX files into a header row and data rows.

CSV: encoding detected (UTF-8, UTF-8 with BOM, else Windows-1252 / Latin-1) and the
separator sniffed (``;``, ``,``, tab, ``|``). XLSX: openpyxl in read-only mode; date
cells arrive as real dates. Row numbers are the ones Excel shows.
"""

import csv
import io
from dataclasses import dataclass, field

from openpyxl import load_workbook

from .problem_text import gettext as _
from .values import cell_text, header_key

SEPARATORS = (";", ",", "\t", "|")


class FileError(ValueError):
    """The file cannot be read as a table."""


@dataclass
class Table:
    headers: list[str]
    header_row: int
    rows: list[tuple[int, list]] = field(default_factory=list)
    encoding: str = ""
    separator: str = ""


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Windows-1252 is a superset of Latin-1's printable range; undefined bytes fall back.
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def sniff_separator(text: str) -> str:
    lines = [line for line in text.splitlines()[:30] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for sep in SEPARATORS:
        counts = [len(next(csv.reader([line], delimiter=sep))) - 1 for line in lines]
        if not counts or max(counts) == 0:
            continue
        # Consistent, frequent separators win; the header line counts most.
        consistent = sum(1 for c in counts if c == counts[0]) / len(counts)
        score = counts[0] * consistent
        if score > best_score:
            best, best_score = sep, score
    return best


def _is_blank(cells) -> bool:
    return all(cell_text(c) == "" for c in cells)


def _pick_header(raw_rows: list[tuple[int, list]], known: set[str]) -> int:
    """Index in ``raw_rows`` of the header: the first of the first 15 rows with the most
    recognised names (title lines above the header are skipped)."""
    best, best_hits = None, 0
    for index, (_number, cells) in enumerate(raw_rows[:15]):
        hits = sum(1 for c in cells if header_key(cell_text(c)) in known)
        if hits > best_hits:
            best, best_hits = index, hits
    if best is not None:
        return best
    for index, (_number, cells) in enumerate(raw_rows):
        if not _is_blank(cells):
            return index
    raise FileError(_("El archivo está vacío."))


def _table(raw_rows: list[tuple[int, list]], known: set[str], **extra) -> Table:
    if not raw_rows:
        raise FileError(_("El archivo está vacío."))
    header_index = _pick_header(raw_rows, known)
    header_number, header_cells = raw_rows[header_index]
    headers = [cell_text(c) for c in header_cells]
    while headers and headers[-1] == "":
        headers.pop()
    width = len(headers)
    rows = []
    for number, cells in raw_rows[header_index + 1 :]:
        cells = list(cells[:width]) + [None] * (width - len(cells))
        rows.append((number, cells))
    return Table(headers=headers, header_row=header_number, rows=rows, **extra)


def read_csv(data: bytes, known: set[str]) -> Table:
    text, encoding = decode(data)
    separator = sniff_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    raw_rows = [(number, cells) for number, cells in enumerate(reader, start=1)]
    return _table(raw_rows, known, encoding=encoding, separator=separator)


def read_xlsx(data: bytes, known: set[str]) -> Table:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise FileError(_("No se pudo leer el archivo de Excel: %(e)s") % {"e": exc}) from None
    try:
        sheet = workbook.worksheets[0]
        first = sheet.min_row or 1
        raw_rows = [
            (number, list(cells))
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=first)
        ]
    finally:
        workbook.close()
    return _table(raw_rows, known, encoding="xlsx")


def read_table(data: bytes, file_name: str, known: set[str]) -> Table:
    """Read a CSV/TXT or XLSX file; ``known`` are folded header names (to find the header)."""
    if data[:4] == b"PK\x03\x04" or file_name.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx(data, known)
    if file_name.lower().endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileError(_("Los archivos .xls antiguos no se admiten; guárdelo como .xlsx o CSV."))
    return read_csv(data, known)
