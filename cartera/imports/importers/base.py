"""What every spreadsheet importer shares: ``analyse()`` validates every row in Python
(no writes) and fills ``outcome`` with problems and the created/updated/unchanged counts
it *would* produce; ``write()`` then writes the valid rows in bulk through the owners'
bulk services (``cartera.customers.bulk``, ``cartera.invoices.bulk``) or, for payments,
through the payments services one payment at a time."""

from abc import ABC, abstractmethod

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy

from cartera.lib.identifiers import IdentifierError, normalize_phone
from cartera.lib.money import SUPPORTED_CURRENCIES
from cartera.timeline.choices import ActivityKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import new_activity, record_activities

from ..problem_text import gettext as _
from ..rows import Outcome, Problem, RowError, Sheet

PROGRESS_EVERY = 2000
CURRENCY_WORDS = {
    "PESOS": "MXN",
    "MN": "MXN",
    "M.N.": "MXN",
    "DOLARES": "USD",
    "DLS": "USD",
    "US$": "USD",
    "USD$": "USD",
}


class BaseImporter(ABC):
    kind = ""
    key_fields: tuple = ()
    amount_fields: tuple = ()
    date_fields: tuple = ()

    def __init__(
        self,
        *,
        organization,
        actor,
        sheet: Sheet,
        create_customers=False,
        progress=None,
        batch=None,
    ):
        self.organization = organization
        self.actor = actor if getattr(actor, "pk", None) else None
        self.sheet = sheet
        self.create_customers = create_customers
        self.progress = progress or (lambda done, total: None)
        self.batch = batch
        self.outcome = Outcome()
        self.records = []  # valid rows: dicts with "row", "action" and the values
        self.bad_rows: set[int] = set()

    def error(self, row, field_name, value, message):
        self.bad_rows.add(row)
        self.outcome.problems.append(
            Problem(
                row,
                self.sheet.column(field_name) if field_name else "",
                str(value if value is not None else "")[:300],
                message,
            )
        )

    def analyse(self) -> Outcome:
        self.outcome.problems.extend(
            self.sheet.prepare_columns(
                date_fields=self.date_fields, money_fields=self.amount_fields
            )
        )
        self.prepare()
        rows = list(
            self.sheet.data_rows(
                self.outcome, key_fields=self.key_fields, amount_fields=self.amount_fields
            )
        )
        for done, (number, cells) in enumerate(rows, start=1):
            self._check(number, cells)
            if done % PROGRESS_EVERY == 0:
                self.progress(done, len(rows))
        self.finish_analysis()
        self.records = [r for r in self.records if r["row"] not in self.bad_rows]
        self._count_actions()
        self.outcome.problems.sort(key=lambda p: (p.row is not None, p.row or 0))
        return self.outcome

    def _check(self, number, cells) -> None:
        try:
            record = self.check_row(number, cells)
        except RowError as exc:
            self.error(number, exc.field_name, exc.value, exc.message)
            return
        if record is not None and number not in self.bad_rows:
            record["row"] = number
            self.records.append(record)

    def _count_actions(self) -> None:
        for record in self.records:
            action = record["action"]
            if action == "create":
                self.outcome.created += 1
            elif action == "update":
                self.outcome.updated += 1
            else:
                self.outcome.unchanged += 1

    def records_for(self, action: str) -> list[dict]:
        return [r for r in self.records if r["action"] == action]

    # Optional hooks around the row checks; most kinds need neither.
    def prepare(self):  # noqa: B027
        """Before the first row: load what the checks look up."""

    def finish_analysis(self):  # noqa: B027
        """After the last row: checks across rows."""

    @abstractmethod
    def check_row(self, number, cells) -> dict | None:
        """Check one row: the record to write, or None (its problems are on the outcome)."""

    @abstractmethod
    def write(self) -> list[str]:
        """Write the valid rows; return the fiscal UUIDs of new invoices (if any)."""

    def required_text(self, cells, field_name):
        value = self.sheet.text(cells, field_name)
        if not value:
            raise RowError(field_name, "", _("Falta el dato obligatorio."))
        return value

    def currency(self, cells):
        code = (
            self.sheet.text(cells, "currency").upper().strip() or self.organization.default_currency
        )
        code = CURRENCY_WORDS.get(code, code)
        if code not in SUPPORTED_CURRENCIES:
            raise RowError(
                "currency", code, _("Moneda no reconocida (use un código ISO como MXN o USD).")
            )
        return code

    def activity(self, **fields):
        """An unsaved timeline entry by this import's actor (``record_activities`` saves)."""
        return new_activity(organization=self.organization, actor=self.actor, **fields)

    def summarize(self, per_customer: dict[int, dict]):
        """One timeline entry per affected customer (bulk), besides the batch's own."""
        entries = []
        for customer_id, counts in per_customer.items():
            parts = []
            if counts.get("created"):
                parts.append(_("%(n)s creadas") % {"n": counts["created"]})
            if counts.get("updated"):
                parts.append(_("%(n)s actualizadas") % {"n": counts["updated"]})
            if not parts:
                continue
            entries.append(
                self.activity(
                    customer_id=customer_id,
                    kind=ActivityKind.IMPORT,
                    summary=sentence(
                        gettext_lazy("Importación de %(kind)s: %(parts)s"),
                        kind=self.kind_label(),
                        parts=", ".join(parts),
                    ),
                    data={"batch_id": getattr(self.batch, "pk", None), **counts},
                )
            )
        record_activities(entries)

    def kind_label(self):
        """What the timeline calls this import (a lazy translation, or the kind's code)."""
        return self.kind


def count_for(per_customer: dict, customer_id, action: str) -> None:
    per_customer.setdefault(customer_id, {"created": 0, "updated": 0})[action] += 1


def check_email(value: str, field_name="email") -> str:
    value = (value or "").strip().lower()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise RowError(field_name, value, _("Correo electrónico no válido.")) from None
    return value


def check_phone(value: str, country: str, field_name="phone") -> str:
    try:
        return normalize_phone(value, country)
    except IdentifierError:
        raise RowError(field_name, value, _("Teléfono no válido.")) from None
