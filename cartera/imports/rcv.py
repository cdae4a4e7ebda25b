"""Reading an export of the SII's Registro de Compras y Ventas (RCV, CSV with ``;``): per
DTE the day the buyer received it and, when known, accepted it (acuse de recibo) or
claimed against it (reclamo). No writes here; ``cartera.imports.dte`` applies the rows.

The sales register ("venta": ``Rut cliente``, ``Fecha Acuse Recibo``) lists the
organisation's own DTEs; the purchase register ("compra": ``RUT Proveedor``) is the
buyer's, and only its rows whose supplier is the organisation concern it."""

import datetime as dt
from dataclasses import dataclass

from .cfdi_reader import CfdiProblem
from .dte_reader import INVOICE_TYPES, compact_rut, dte_key
from .problem_text import gettext as _
from .tabular import FileError, read_table
from .values import cell_text, header_key, parse_date

TYPE, FOLIO = header_key("Tipo Doc"), header_key("Folio")
CUSTOMER, SUPPLIER = header_key("Rut cliente"), header_key("RUT Proveedor")
RECEIVED = header_key("Fecha Recepcion")
ACCEPTED = header_key("Fecha Acuse Recibo")
CLAIMED = header_key("Fecha Reclamo")
KNOWN = {TYPE, FOLIO, CUSTOMER, SUPPLIER, RECEIVED, ACCEPTED, CLAIMED}
EMPTY = {"", "null", "-"}


def is_rcv(name: str) -> bool:
    return name.lower().endswith((".csv", ".xlsx"))


@dataclass
class RcvRow:
    row: int
    tipo: str
    folio: str
    counterpart_rut: str  # compact: the customer (venta) or the supplier (compra)
    received_on: dt.date | None
    accepted_on: dt.date | None
    claimed_on: dt.date | None

    @property
    def key(self) -> str:
        return dte_key(self.tipo, self.folio)


@dataclass
class RcvFile:
    name: str
    register: str  # "venta" or "compra"
    rows: list[RcvRow]
    problems: list[tuple[int, str]]  # (row, message): rows that could not be read


def read_rcv(name: str, data: bytes) -> RcvFile:
    try:
        table = read_table(data, name, KNOWN)
    except FileError as exc:
        raise CfdiProblem(str(exc)) from None
    columns = {header_key(h): i for i, h in enumerate(table.headers)}
    missing = [label for key, label in _REQUIRED if key not in columns]
    register = "venta" if CUSTOMER in columns else "compra" if SUPPLIER in columns else ""
    if missing or not register or RECEIVED not in columns:
        raise CfdiProblem(
            _(
                "No es una exportación del Registro de Compras y Ventas del SII: faltan las "
                "columnas %(cols)s."
            )
            % {"cols": ", ".join(missing or ["Rut cliente / RUT Proveedor", "Fecha Recepcion"])}
        )
    rows, problems = [], []
    for number, cells in table.rows:
        if not cell_text(cells[columns[TYPE]]) and not cell_text(cells[columns[FOLIO]]):
            continue
        try:
            row = _row(number, cells, columns, register)
        except (CfdiProblem, ValueError) as exc:
            problems.append((number, getattr(exc, "message", None) or str(exc)))
            continue
        if row is not None:
            rows.append(row)
    return RcvFile(name=name, register=register, rows=rows, problems=problems)


_REQUIRED = ((TYPE, "Tipo Doc"), (FOLIO, "Folio"), (CLAIMED, "Fecha Reclamo"))


def _row(number, cells, columns, register) -> RcvRow | None:
    """One register line; None for a line without a folio (a continuation of the one
    above, listing more taxes or references)."""

    def text(key):
        return cell_text(cells[columns[key]]).strip() if key in columns else ""

    if not cell_text(cells[0]).strip() and not text(RECEIVED):
        return None
    tipo, folio = text(TYPE), text(FOLIO)
    if tipo not in INVOICE_TYPES:
        return None  # notes, boletas, liquidaciones…: no Ley 19.983 claim window
    if not folio.isdigit():
        raise CfdiProblem(_("Folio no válido: «%(value)s».") % {"value": folio})
    rut_column = CUSTOMER if register == "venta" else SUPPLIER
    return RcvRow(
        row=number,
        tipo=tipo,
        folio=str(int(folio)),
        counterpart_rut=compact_rut(text(rut_column), "RUT"),
        received_on=_day(text(RECEIVED), "Fecha Recepcion"),
        accepted_on=_day(text(ACCEPTED), "Fecha Acuse Recibo"),
        claimed_on=_day(text(CLAIMED), "Fecha Reclamo"),
    )


def _day(value: str, column: str) -> dt.date | None:
    """'05/06/2019 21:58:49' → 2019-06-05; empty or 'null' → None."""
    if value.lower() in EMPTY:
        return None
    try:
        return parse_date(value.split(" ")[0], order="dmy")
    except ValueError:
        raise CfdiProblem(
            _("Fecha no válida en %(field)s: «%(value)s».") % {"field": column, "value": value}
        ) from None
