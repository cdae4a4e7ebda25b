"""Bank statement files → ``cartera.payments.statements.ParsedStatement``.

``parse_statement`` reads CAMT.053/052/054, MT940, OFX 1.x/2.x, bank spreadsheets
(CSV/XLSX through a ``SheetPreset``) and SPEI CEP receipts (one XML or a zip of them). A broken file raises ``StatementError`` naming the
line and what was expected; nothing is returned for it. What to do with the movements
(storing, reconciling) is ``cartera.payments.bank``'s.
"""

import dataclasses

from django.utils.translation import gettext as _

from cartera.payments.statements import ParsedMovement, ParsedStatement, StatementError

from .camt import parse_camt
from .cep_statement import is_cep_file, parse_cep_statement
from .ofx import parse_ofx
from .presets import PRESETS, preset_for
from .sheets import SheetPreset, matches_header, parse_sheet, table_rows
from .swift import parse_mt940

__all__ = [
    "PRESETS",
    "ParsedMovement",
    "ParsedStatement",
    "SheetPreset",
    "StatementError",
    "detect_format",
    "detect_preset",
    "parse_statement",
    "preset_for",
]

FORMATS = ("camt", "mt940", "ofx", "csv", "cep")
EXTENSIONS = {"sta": "mt940", "940": "mt940", "mt940": "mt940", "ofx": "ofx", "qfx": "ofx"}
EXTENSIONS |= {"xml": "camt", "csv": "csv", "txt": "csv", "xlsx": "csv"}
HEADER_SCAN_ROWS = 20


def detect_format(data: bytes, filename: str = "") -> str:
    """``camt``, ``mt940``, ``ofx``, ``csv`` or ``cep``, judged by the content first and the
    file name's extension only when the content says nothing."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    upper = head.upper()
    if is_cep_file(data, filename):
        return "cep"
    if data.startswith(b"PK\x03\x04"):
        return "csv"
    if upper.startswith(b"OFXHEADER") or b"<OFX>" in upper:
        return "ofx"
    if head.startswith(b"<"):
        return "camt"
    if b":20:" in head and (b":25:" in head or b":60F:" in head):
        return "mt940"
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return EXTENSIONS.get(extension, "csv")


def detect_preset(data: bytes) -> SheetPreset | None:
    """The shipped preset whose header row is in the first rows of the file (the one
    naming most columns wins), with ``skip_rows`` set to where that header is."""
    rows = table_rows(data, SheetPreset(name="detect", delimiter="auto"))[:HEADER_SCAN_ROWS]
    best, best_size = None, 0
    for position, (_line, cells) in enumerate(rows):
        for preset in PRESETS.values():
            size = len(set(preset.named_columns()))
            if size > best_size and matches_header(cells, preset):
                best, best_size = dataclasses.replace(preset, skip_rows=position), size
    return best


def parse_statement(
    data: bytes, *, format: str = "auto", preset: SheetPreset | None = None, filename: str = ""
) -> ParsedStatement:
    """Read one bank file. ``format`` is ``auto`` or one of ``FORMATS``; ``preset`` is
    needed for spreadsheets whose header matches no shipped preset."""
    if not data or not data.strip():
        raise StatementError(_("el archivo está vacío"))
    kind = detect_format(data, filename) if format == "auto" else format
    if kind.startswith("camt"):
        return parse_camt(data)
    if kind == "mt940":
        return parse_mt940(data)
    if kind == "ofx":
        return parse_ofx(data)
    if kind == "cep":
        return parse_cep_statement(data)
    if kind != "csv":
        raise StatementError(
            _("formato «%(format)s» desconocido: se esperaba camt, mt940, ofx, csv o cep")
            % {"format": kind}
        )
    preset = preset or detect_preset(data)
    if preset is None:
        raise StatementError(
            _("no se reconoció el banco por los encabezados: elija una plantilla de banco")
        )
    return parse_sheet(data, preset)
