"""Shared machinery for spreadsheet imports: problems, row access, totals/blank rows,
per-column date order and decimal-comma detection, customer lookup."""

from dataclasses import dataclass, field

from cartera.customers.models import Customer

from .headers import LABELS
from .problem_text import gettext as _
from .problem_text import message_of
from .tabular import Table
from .values import cell_text, date_parts, detect_decimal_comma, fold, parse_date, parse_money

TOTAL_WORDS = {
    "total",
    "totales",
    "gran total",
    "total general",
    "suma",
    "sumas",
    "subtotal",
    "grand total",
    "totals",
    "sum",
}


@dataclass
class Problem:
    row: int | None
    column: str
    value: str
    message: str
    severity: str = "error"
    file_name: str = ""


@dataclass
class Outcome:
    """What an import found and (unless it was a dry run or invalid) did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    total_rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)  # headers no field takes
    # Contacts an invoice file adds to its customers (the counts above are invoices).
    contacts_created: int = 0
    contacts_updated: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


class RowError(Exception):
    def __init__(self, field_name: str, value, message: str):
        super().__init__(message)
        self.field_name, self.value, self.message = field_name, value, message


class Sheet:
    """A table plus its mapping, with helpers to read a field of a row."""

    def __init__(self, table: Table, mapping: dict[str, int], *, date_order: str):
        self.table = table
        self.mapping = {
            f: i for f, i in mapping.items() if i is not None and i < len(table.headers)
        }
        self.date_order = date_order
        self.column_orders: dict[str, str] = {}
        self.decimal_comma: dict[str, bool | None] = {}

    def column(self, field_name: str) -> str:
        index = self.mapping.get(field_name)
        if index is None:
            return str(LABELS.get(field_name, field_name))
        return self.table.headers[index] or str(LABELS.get(field_name, field_name))

    def raw(self, cells, field_name: str):
        index = self.mapping.get(field_name)
        return None if index is None else cells[index]

    def text(self, cells, field_name: str) -> str:
        return cell_text(self.raw(cells, field_name))

    def date(self, cells, field_name: str):
        raw = self.raw(cells, field_name)
        if cell_text(raw) == "":
            return None
        order = self.column_orders.get(field_name, self.date_order)
        try:
            return parse_date(raw, order=order)
        except ValueError as exc:
            raise RowError(field_name, raw, message_of(exc)) from None

    def money(self, cells, field_name: str):
        raw = self.raw(cells, field_name)
        if cell_text(raw) == "":
            return None
        try:
            return parse_money(raw, decimal_comma=self.decimal_comma.get(field_name))
        except ValueError as exc:
            raise RowError(field_name, raw, message_of(exc)) from None

    def prepare_columns(self, *, date_fields, money_fields) -> list[Problem]:
        """Decide each date column's day/month order and each amount column's decimal
        separator from all its values; report columns that mix formats."""
        problems = []
        for name in date_fields:
            if name in self.mapping:
                problem = self._date_order_of(name)
                if problem is not None:
                    problems.append(problem)
        for name in money_fields:
            if name in self.mapping:
                self.decimal_comma[name] = detect_decimal_comma(self._amount_samples(name))
        return problems

    def _date_votes(self, index: int) -> tuple[int, int]:
        """How many cells can only be day-first, and how many only month-first."""
        day_first = month_first = 0
        for _number, cells in self.table.rows:
            parts = date_parts(cells[index])
            if parts is None:
                continue
            first, second, _year = parts
            if first > 12 >= second:
                day_first += 1
            elif second > 12 >= first:
                month_first += 1
        return day_first, month_first

    def _date_order_of(self, name: str) -> Problem | None:
        day_first, month_first = self._date_votes(self.mapping[name])
        if day_first and month_first:
            message = _(
                "La columna mezcla fechas día/mes y mes/día; las ambiguas se leyeron como "
                "%(order)s y las imposibles se marcan como error."
            ) % {"order": _("día/mes") if self.date_order == "dmy" else _("mes/día")}
        elif month_first and self.date_order == "dmy":
            self.column_orders[name] = "mdy"
            message = _("La columna usa fechas mes/día/año; se leyeron así.")
        elif day_first and self.date_order == "mdy":
            self.column_orders[name] = "dmy"
            message = _("La columna usa fechas día/mes/año; se leyeron así.")
        else:
            return None
        return Problem(None, self.column(name), "", message, severity="warning")

    def _amount_samples(self, name: str, limit: int = 5000) -> list[str]:
        index = self.mapping[name]
        samples = []
        for _number, cells in self.table.rows:
            value = cells[index]
            if isinstance(value, str) and value.strip():
                samples.append(value)
                if len(samples) >= limit:
                    break
        return samples

    def data_rows(self, outcome: Outcome, *, key_fields, amount_fields):
        """Yield (row number, cells) of real data rows; blank rows and totals rows are
        skipped and reported."""
        blanks = []
        amount_indexes = {self.mapping[f] for f in amount_fields if f in self.mapping}
        key_indexes = [self.mapping[f] for f in key_fields if f in self.mapping]
        for number, cells in self.table.rows:
            texts = [cell_text(c) for c in cells]
            if not any(texts):
                blanks.append(number)
                continue
            if blanks:  # blank rows in the middle: reported together with the rest
                pass
            if self._is_totals(texts, amount_indexes, key_indexes):
                outcome.skipped += 1
                outcome.problems.append(
                    Problem(
                        number,
                        "",
                        " ".join(t for t in texts if t)[:300],
                        _("Fila de totales; se ignoró."),
                        severity="warning",
                    )
                )
                continue
            outcome.total_rows += 1
            yield number, cells
        if blanks:
            outcome.skipped += len(blanks)
            first, last = blanks[0], blanks[-1]
            outcome.problems.append(
                Problem(
                    first,
                    "",
                    "",
                    _("%(n)s fila(s) vacía(s) ignorada(s) (filas %(first)s a %(last)s).")
                    % {"n": len(blanks), "first": first, "last": last},
                    severity="warning",
                )
            )

    @staticmethod
    def _is_totals(texts, amount_indexes, key_indexes) -> bool:
        for index, text in enumerate(texts):
            if (
                text
                and text[0] in "TtSsGg"
                and index not in amount_indexes
                and fold(text) in TOTAL_WORDS
            ):
                return True
        if key_indexes and all(not texts[i] for i in key_indexes):
            return any(texts[i] for i in amount_indexes)
        return False


class CustomerIndex:
    """Find an organisation's customers by external id, tax id or name, in memory."""

    def __init__(self, organization):
        self.by_ext, self.by_tax, self.by_name = {}, {}, {}
        rows = Customer.objects.filter(organization=organization).values_list(
            "pk", "external_id", "tax_id", "name", "country", "payment_terms_days"
        )
        for pk, ext, tax, name, country, terms in rows.iterator(chunk_size=5000):
            info = {"id": pk, "external_id": ext, "country": country, "terms": terms, "name": name}
            self.by_ext[ext.strip().upper()] = info
            if tax:
                self.by_tax[tax.upper()] = info
            self.by_name.setdefault(fold(name), info)

    def find(self, reference: str):
        key = (reference or "").strip()
        if not key:
            return None
        return (
            self.by_ext.get(key.upper())
            or self.by_tax.get(key.upper().replace("-", "").replace(" ", ""))
            or self.by_tax.get(key.upper())
            or self.by_name.get(fold(key))
        )
