"""The bytes of a bulletin file, per country. Which parts follow a public source and which
do not is documented field by field in docs/credit-bulletins.md; nothing here is an
official specification.

- ``MX``: the segment layout (HD, EM, CR, DE, TS; each field a two-digit tag and a fixed
  width) of the Buró de Crédito file for companies ("personas morales"), as a public
  third-party implementation writes it. Segments AC (shareholders) and AV (guarantors)
  are not written.
- ``CL``: no public layout of the Boletín Comercial or of DICOM was found: a documented
  CSV of our own with the facts such a registration carries.
"""

import csv
import datetime as dt
import io
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Row:
    """One invoice in a file: published (``removal`` False) or removed after payment."""

    tax_id: str
    name: str
    street: str
    colonia: str
    city: str
    state: str
    postal_code: str
    number: str
    issue_date: dt.date
    due_date: dt.date
    currency: str
    total: Decimal
    balance: Decimal
    days_overdue: int
    removal: bool = False
    paid_on: dt.date | None = None


def _ascii_upper(value: str) -> str:
    """Upper case without accents (Ñ kept as N): the character set of the public sources'
    examples; the bureau's own rule was not available."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def text(value: str, width: int) -> str:
    """Alphanumeric field: left-aligned, space-padded, cut at ``width``."""
    return _ascii_upper(value)[:width].ljust(width)


def number(value, width: int) -> str:
    """Numeric field: right-aligned, zero-padded."""
    digits = str(value)
    if len(digits) > width:
        raise ValueError(f"{value} does not fit in {width} digits")
    return digits.rjust(width, "0")


def whole(amount: Decimal) -> int:
    """Amounts are whole currency units (half up): the public source writes integers."""
    return int(Decimal(amount).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def ddmmyyyy(day: dt.date | None) -> str:
    return day.strftime("%d%m%Y") if day else "00000000"


def tagged(segment: str, fields: list[tuple[str, str]]) -> str:
    return segment + "".join(tag + value for tag, value in fields)


# --- Mexico --------------------------------------------------------------------------------

MX_INSTITUTION = "0000"  # header field 01, as the public source writes it
MX_INSTITUTION_TYPE = "005"  # header field 02, as the public source writes it
MX_FORMAT = "1"  # header field 03, as the public source writes it
MX_CURRENCY = {"MXN": "001"}  # CR field 08: only the peso's code is in the public source


def mx_header(*, member_code: str, day: dt.date) -> str:
    return tagged(
        "HDBNCPM",
        [
            ("00", number(member_code or "0", 4)),
            ("01", MX_INSTITUTION),
            ("02", MX_INSTITUTION_TYPE),
            ("03", MX_FORMAT),
            ("04", ddmmyyyy(day)),
            ("05", day.strftime("%m%Y")),
            ("06", " " * 53),
        ],
    )


def mx_company(row: Row) -> str:
    """EM: the debtor company. Fields without a value in Cartera are blank."""
    blank = [("01", 18), ("02", 10)]
    names = [("04", 75), ("05", 75), ("06", 25), ("07", 25)]
    return tagged(
        "EMEM",
        [("00", text(row.tax_id.replace("-", ""), 13))]
        + [(tag, " " * width) for tag, width in blank]
        + [("03", text(row.name, 75))]
        + [(tag, " " * width) for tag, width in names]
        + [
            ("08", "MX"),
            ("09", "  "),  # calificación de cartera: the catalogue was not available
            ("10", " " * 11),  # Banxico activity codes: not available
            ("11", " " * 11),
            ("12", " " * 11),
            ("13", text(row.street, 40)),
            ("14", " " * 40),
            ("15", text(row.colonia, 60)),
            ("16", text(row.city, 40)),
            ("17", " " * 40),
            ("18", text(row.state, 4)),
            ("19", text(row.postal_code, 10)),
            ("20", " " * 11),
            ("21", " " * 8),
            ("22", " " * 11),
            ("23", " "),  # tipo de cliente: the catalogue was not available
            ("24", " " * 40),
            ("25", "MX"),
        ],
    )


def mx_credit(row: Row) -> str:
    """CR: the invoice as a credit. A removal reports a zero balance, the day it was
    settled and observation key CC, as the public source does for settled accounts."""
    term_days = max((row.due_date - row.issue_date).days, 0)
    return tagged(
        "CRCR",
        [
            ("00", text(row.tax_id.replace("-", ""), 13)),
            ("01", " " * 6),
            ("02", text(row.number, 25)),
            ("03", " " * 25),
            ("04", ddmmyyyy(row.issue_date)),
            ("05", number(term_days, 5)),
            ("06", "0000"),  # Banxico credit type: the catalogue was not available
            ("07", number(whole(row.total), 20)),
            ("08", MX_CURRENCY[row.currency]),
            ("09", number(1, 4)),
            ("10", number(term_days, 3) if term_days < 1000 else "999"),
            ("11", number(0 if row.removal else whole(row.balance), 20)),
            ("12", ddmmyyyy(row.paid_on if row.removal else None)),
            ("13", "00000000"),
            ("14", number(0, 20)),
            ("15", ddmmyyyy(row.paid_on if row.removal else None)),
            ("16", number(0, 20)),
            ("17", number(0, 20)),
            ("18", number(0, 20)),
            ("19", text("CC" if row.removal else "", 4)),
            ("20", " "),
        ],
    )


def mx_detail(row: Row) -> str:
    """DE: the overdue amount and its days past due (0 and 0 for a removal)."""
    days = 0 if row.removal else min(row.days_overdue, 999)
    amount = 0 if row.removal else whole(row.balance)
    return tagged(
        "DEDE",
        [
            ("00", text(row.tax_id.replace("-", ""), 13)),
            ("01", text(row.number, 25)),
            ("02", number(days, 3)),
            ("03", number(amount, 20)),
            ("04", " " * 75),
        ],
    )


def mx_trailer(rows: list[Row]) -> str:
    companies = len({row.tax_id for row in rows})
    total = sum(0 if row.removal else whole(row.balance) for row in rows)
    return tagged(
        "TSTS", [("00", number(companies, 7)), ("01", number(total, 30)), ("02", " " * 53)]
    )


def mexico_file(rows: list[Row], *, member_code: str, day: dt.date) -> bytes:
    """One segment a line (LF): HD, then per company EM and per invoice CR + DE, then TS."""
    lines = [mx_header(member_code=member_code, day=day)]
    by_company: dict[str, list[Row]] = {}
    for row in rows:
        by_company.setdefault(row.tax_id, []).append(row)
    for company_rows in by_company.values():
        lines.append(mx_company(company_rows[0]))
        for row in company_rows:
            lines += [mx_credit(row), mx_detail(row)]
    lines.append(mx_trailer(rows))
    return ("\n".join(lines) + "\n").encode("ascii")


# --- Chile ---------------------------------------------------------------------------------

CL_COLUMNS = (
    "tipo_registro",  # PUBLICACION or ACLARACION
    "rut_deudor",
    "razon_social",
    "tipo_documento",
    "numero_documento",
    "fecha_emision",
    "fecha_vencimiento",
    "moneda",
    "monto_impago",
    "fecha_pago",
)


def chile_file(rows: list[Row], *, day: dt.date) -> bytes:
    """Our own documented CSV (semicolon, UTF-8, dates dd-mm-yyyy, whole pesos)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(CL_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                "ACLARACION" if row.removal else "PUBLICACION",
                row.tax_id,
                row.name,
                "FACTURA",
                row.number,
                row.issue_date.strftime("%d-%m-%Y"),
                row.due_date.strftime("%d-%m-%Y"),
                row.currency,
                0 if row.removal else whole(row.balance),
                row.paid_on.strftime("%d-%m-%Y") if row.removal and row.paid_on else "",
            ]
        )
    return out.getvalue().encode("utf-8")


def file_name(country: str, day: dt.date) -> str:
    extension = "txt" if country == "MX" else "csv"
    return f"boletin-{country.lower()}-{day.isoformat()}.{extension}"


def build(country: str, rows: list[Row], *, member_code: str, day: dt.date) -> bytes:
    if country == "MX":
        return mexico_file(rows, member_code=member_code, day=day)
    return chile_file(rows, day=day)
