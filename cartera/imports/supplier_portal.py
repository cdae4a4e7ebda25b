"""The export of a buyer's supplier portal (CSV or XLSX) → each invoice's status there,
through ``cartera.followup.supplier_portals.apply_portal_status`` (a rejection opens a
dispute, an approval or a scheduled payment with a date a promise; the same status again
changes nothing, so the same file can be imported twice).

Columns (found by their names, or given as ``mapping`` = ``{field: column index}``): the
invoice's folio or its fiscal UUID, the status, the date, and optionally the reason and
the payment date. Every row is checked first; an error names its row, column and value.
Nothing is written while a row has an error unless ``apply_valid`` is set. Rows whose
invoice is not found are listed in ``unknown`` (never dropped silently) and write nothing.
"""

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cartera.followup.supplier_portals import apply_portal_status
from cartera.invoices.choices import InvoiceStatus, PortalStatusSource, SupplierPortalState
from cartera.invoices.models import Invoice
from cartera.invoices.supplier_portal import check_portal_status

from .headers import FIELDS, detect_mapping, known_names, missing_required
from .rows import RowError, Sheet
from .tabular import FileError, read_table
from .values import fold

KIND = "supplier_portal"
# What buyers' portals call each status (folded: lower case, no accents).
STATUS_WORDS = {
    SupplierPortalState.UPLOADED: (
        "cargada",
        "subida",
        "enviada",
        "uploaded",
        "submitted",
        "registrada",
    ),
    SupplierPortalState.RECEIVED: ("recibida", "received", "en revision", "en proceso"),
    SupplierPortalState.APPROVED: (
        "aprobada",
        "autorizada",
        "aceptada",
        "validada",
        "approved",
        "accepted",
    ),
    SupplierPortalState.REJECTED: ("rechazada", "devuelta", "rejected", "no aceptada"),
    SupplierPortalState.SCHEDULED: (
        "programada",
        "programada para pago",
        "pago programado",
        "por pagar",
        "scheduled",
        "scheduled for payment",
    ),
    SupplierPortalState.PAID: ("pagada", "pago realizado", "liquidada", "paid"),
}
WORD_STATUS = {
    fold(word): status
    for status, words in STATUS_WORDS.items()
    for word in (*words, status.value, str(status.label))
}


@dataclass
class PortalImportResult:
    status: str = "done"  # done | invalid | error
    rows: int = 0
    applied: int = 0
    unchanged: int = 0
    disputes: int = 0
    promises: int = 0
    errors: list[dict] = field(default_factory=list)
    unknown: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def status_from_text(text: str) -> str | None:
    return WORD_STATUS.get(fold(text))


class _Reader:
    def __init__(self, organization, sheet: Sheet):
        self.sheet = sheet
        invoices = Invoice.objects.filter(organization=organization).exclude(
            status=InvoiceStatus.VOID
        )
        self.by_number: dict[str, list[int]] = {}
        self.by_uuid: dict[str, int] = {}
        for pk, number, uuid in invoices.values_list("pk", "number", "fiscal_uuid"):
            self.by_number.setdefault(number.strip().upper(), []).append(pk)
            if uuid:
                self.by_uuid[uuid.upper()] = pk

    def invoice_id(self, cells) -> int | None:
        uuid = self.sheet.text(cells, "uuid").upper()
        number = self.sheet.text(cells, "number").strip().upper()
        if not uuid and not number:
            raise RowError("number", "", _("Falta el folio o el UUID de la factura."))
        if uuid and uuid in self.by_uuid:
            return self.by_uuid[uuid]
        found = self.by_number.get(number, []) if number else []
        if len(found) > 1:
            raise RowError(
                "number",
                number,
                _("Hay varias facturas con ese folio; use la columna del UUID."),
            )
        return found[0] if found else None

    def row(self, cells) -> dict:
        sheet = self.sheet
        text = sheet.text(cells, "status")
        status = status_from_text(text)
        if status is None:
            raise RowError("status", text, _("Estado desconocido."))
        date = sheet.date(cells, "date")
        if date is None:
            raise RowError("date", "", _("Falta la fecha."))
        values = {
            "status": status,
            "date": date,
            "reason": sheet.text(cells, "reason")[:2000],
            "payment_date": sheet.date(cells, "payment_date"),
        }
        try:
            check_portal_status(
                status=status, reason=values["reason"], payment_date=values["payment_date"]
            )
        except ValidationError as exc:
            name, messages = next(iter(exc.message_dict.items()))
            raise RowError(name, "", " ".join(messages)) from None
        return values


def _problem(sheet: Sheet, number: int, exc: RowError) -> dict:
    return {
        "row": number,
        "column": sheet.column(exc.field_name),
        "value": str(exc.value or "")[:300],
        "message": exc.message,
    }


def _read_rows(organization, sheet: Sheet, result: PortalImportResult) -> list[tuple]:
    reader = _Reader(organization, sheet)
    good = []
    for number, cells in sheet.table.rows:
        if all(c in (None, "") for c in cells):
            continue
        result.rows += 1
        try:
            invoice_id = reader.invoice_id(cells)
            values = reader.row(cells)
        except RowError as exc:
            result.errors.append(_problem(sheet, number, exc))
            continue
        if invoice_id is None:
            result.unknown.append(
                {
                    "row": number,
                    "number": sheet.text(cells, "number"),
                    "uuid": sheet.text(cells, "uuid"),
                }
            )
            continue
        good.append((number, invoice_id, values))
    return good


def _apply(rows, *, actor, today: dt.date, result: PortalImportResult) -> None:
    invoices = Invoice.objects.in_bulk([invoice_id for _n, invoice_id, _v in rows])
    # Oldest first: the file's last word on an invoice is its current status.
    for number, invoice_id, values in sorted(rows, key=lambda r: (r[2]["date"], r[0])):
        try:
            with transaction.atomic():
                outcome = apply_portal_status(
                    invoice=invoices[invoice_id],
                    actor=actor,
                    today=today,
                    source=PortalStatusSource.IMPORT,
                    **values,
                )
        except ValidationError as exc:
            result.errors.append(
                {"row": number, "column": "", "value": "", "message": " ".join(exc.messages)}
            )
            continue
        if outcome.entry is None:
            result.unchanged += 1
            continue
        result.applied += 1
        result.disputes += outcome.dispute is not None
        result.promises += outcome.promise is not None


def import_supplier_portal(
    *,
    organization,
    data: bytes,
    filename: str,
    actor,
    today: dt.date,
    mapping: dict[str, int] | None = None,
    date_order: str = "dmy",
    apply_valid: bool = False,
) -> PortalImportResult:
    """Read the buyer portal's export and apply each row's status to its invoice."""
    result = PortalImportResult()
    try:
        table = read_table(data, filename, known_names(KIND))
    except FileError as exc:
        result.status = "error"
        result.errors.append({"row": None, "column": "", "value": "", "message": str(exc)})
        return result
    mapping = mapping if mapping is not None else detect_mapping(KIND, table.headers)
    missing = missing_required(KIND, mapping)
    if "number" not in mapping and "uuid" not in mapping:
        missing.append("number")
    if missing:
        result.status = "error"
        sheet = Sheet(table, mapping, date_order=date_order)
        for name in missing:
            result.errors.append(
                {
                    "row": table.header_row,
                    "column": sheet.column(name),
                    "value": "",
                    "message": _("Falta la columna."),
                }
            )
        return result
    sheet = Sheet(table, mapping, date_order=date_order)
    result.errors.extend(
        {"row": p.row, "column": p.column, "value": p.value, "message": p.message}
        for p in sheet.prepare_columns(date_fields=("date", "payment_date"), money_fields=())
        if p.severity == "error"
    )
    rows = _read_rows(organization, sheet, result)
    if result.errors and not apply_valid:
        result.status = "invalid"
        return result
    _apply(rows, actor=actor, today=today, result=result)
    return result


def mapping_from_names(headers: list[str], names: dict[str, str]) -> dict[str, int]:
    """The detected mapping with the columns the user named (by header) in its place;
    a ValidationError on the field whose column is not in the file."""
    mapping = detect_mapping(KIND, headers)
    folded = [fold(h) for h in headers]
    errors = {}
    for name, header in names.items():
        if not header:
            continue
        if fold(header) not in folded:
            errors[name] = _("El archivo no tiene la columna «%(h)s».") % {"h": header}
            continue
        index = folded.index(fold(header))
        mapping = {f: i for f, i in mapping.items() if i != index}
        mapping[name] = index
    if errors:
        raise ValidationError(errors)
    return mapping


def file_headers(data: bytes, filename: str) -> list[str]:
    return read_table(data, filename, known_names(KIND)).headers


MAPPED_FIELDS = tuple(FIELDS[KIND])
