"""Invoices from a spreadsheet: new ones through ``cartera.invoices.bulk.insert_invoices``
(the fast path), changed ones through ``update_invoices``; the ledger rules (balance,
status, refusals) are the invoices app's; contact columns add contacts to the
customers (``invoice_contacts``)."""

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils.translation import gettext_lazy

from cartera.customers.bulk import add_contacts, create_customers, update_contacts
from cartera.invoices.bulk import insert_invoices, update_invoices
from cartera.invoices.models import Invoice
from cartera.invoices.purchase_orders import OrderIndex, match_order
from cartera.invoices.services import Refusal, change_refusal, due_after_terms
from cartera.lib.identifiers import IdentifierError, normalize_tax_id
from cartera.lib.money import money_string, round_money
from cartera.payments.models import Allocation
from cartera.timeline.choices import ActivityKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activities

from ..problem_text import gettext as _
from ..rows import CustomerIndex, RowError
from ..values import parse_int
from .base import BaseImporter, count_for
from .invoice_contacts import CHANNELS, ContactPlan, contact_from_row

_UUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
COMPARED = (
    "customer_id",
    "number",
    "issue_date",
    "due_date",
    "currency",
    "total",
    "fiscal_uuid",
    "payment_method",
    "purchase_order",
)


class InvoiceImporter(BaseImporter):
    kind = "invoices"
    key_fields = ("external_id", "number", "customer", "issue_date")
    amount_fields = ("total",)
    date_fields = ("issue_date", "due_date")
    COMPARED = COMPARED

    def kind_label(self):
        return gettext_lazy("facturas")

    def prepare(self):
        self.customers = CustomerIndex(self.organization)
        self.new_customers: dict[str, dict] = {}
        self.existing = {}
        self.by_uuid = {}
        fields = ("pk", "external_id", "status", *COMPARED)
        for values in (
            Invoice.objects.filter(organization=self.organization)
            .values(*fields)
            .iterator(chunk_size=5000)
        ):
            self.existing[values["external_id"].upper()] = values
            if values["fiscal_uuid"]:
                self.by_uuid[values["fiscal_uuid"]] = values
        self.applied = dict(
            Allocation.objects.filter(organization=self.organization)
            .values("invoice_id")
            .annotate(s=Sum("amount"))
            .values_list("invoice_id", "s")
        )
        self.seen_ext: dict[str, int] = {}
        self.seen_uuid: dict[str, int] = {}
        self.default_terms = self.organization.default_payment_terms_days
        self.contacts = ContactPlan(self.organization)
        self.orders = OrderIndex(self.organization)

    # customers ------------------------------------------------------------------------
    def _customer(self, number, cells):
        reference = self.sheet.text(cells, "customer")
        name = self.sheet.text(cells, "customer_name")
        tax_id = self.sheet.text(cells, "customer_tax_id")
        found = self.customers.find(reference) or (tax_id and self.customers.find(tax_id))
        if found:
            return found
        key = (reference or tax_id or name).upper()
        if key in self.new_customers:
            return self.new_customers[key]
        if not reference and not tax_id and not name:
            raise RowError("customer", "", _("Falta el cliente."))
        if not self.create_customers:
            raise RowError(
                "customer",
                reference or tax_id,
                _(
                    "Cliente desconocido. Puede crearse con los datos de esta fila "
                    "(opción «crear clientes desconocidos» / --create-customers)."
                ),
            )
        info = self._new_customer(number, key, reference, name, tax_id)
        self.new_customers[key] = info
        return info

    def _new_customer(self, number, key, reference, name, tax_id) -> dict:
        country = self.organization.country
        if tax_id:
            try:
                tax_id = normalize_tax_id(tax_id, country)
            except IdentifierError as exc:
                raise RowError("customer_tax_id", tax_id, str(exc)) from None
        return {
            "id": None,
            "key": key,
            "external_id": (reference or tax_id or name)[:64],
            "name": (name or reference or tax_id)[:200],
            "tax_id": tax_id,
            "country": country,
            "terms": None,
            "row": number,
        }

    # one row --------------------------------------------------------------------------
    def check_row(self, number, cells):
        number_text, external_id = self._keys(cells)
        customer = self._customer(number, cells)
        contact = contact_from_row(self.sheet, cells, customer)
        issue_date, due_date = self._dates(cells)
        total = self._total(cells)
        currency = self.currency(cells)
        if total < 0:
            raise RowError(
                "total", self.sheet.text(cells, "total"), _("El total no puede ser negativo.")
            )
        total = round_money(total, currency)
        uuid, method = self._fiscal(cells)
        self._not_repeated(number, cells, external_id, uuid)
        values = {
            "customer": customer,
            "number": number_text or external_id,
            "issue_date": issue_date,
            "due_date": due_date,
            "currency": currency,
            "total": total,
            "fiscal_uuid": uuid,
            "payment_method": method,
            "purchase_order": self._purchase_order(cells),
        }
        existing = self.existing.get(external_id.upper()) or (
            self.by_uuid.get(uuid) if uuid else None
        )
        if values["purchase_order"] is None:
            values["purchase_order"] = existing["purchase_order"] if existing else ""
        self._order_currency(values, existing, cells)
        if existing is None:
            record = self._create(external_id, values)
        else:
            record = self._compare(existing, values, cells)
        if contact is not None:
            record["contact"] = contact
        return record

    def _keys(self, cells) -> tuple[str, str]:
        series = self.sheet.text(cells, "series")
        folio = self.sheet.text(cells, "number")
        number_text = f"{series}-{folio}" if series and folio else folio
        external_id = self.sheet.text(cells, "external_id") or number_text
        if not external_id:
            raise RowError("number", "", _("Falta el folio de la factura."))
        if len(external_id) > 64:
            raise RowError(
                "external_id", external_id, _("La clave es demasiado larga (máximo 64).")
            )
        return number_text, external_id

    def _dates(self, cells):
        sheet = self.sheet
        issue_date = sheet.date(cells, "issue_date")
        if issue_date is None:
            raise RowError("issue_date", "", _("Falta la fecha de emisión."))
        due_date = sheet.date(cells, "due_date")
        terms_text = sheet.text(cells, "terms_days")
        if due_date is None and terms_text:
            try:
                due_date = issue_date + dt.timedelta(days=parse_int(terms_text))
            except ValueError as exc:
                raise RowError("terms_days", terms_text, str(exc)) from None
        if due_date is not None and due_date < issue_date:
            raise RowError(
                "due_date",
                sheet.text(cells, "due_date"),
                _("El vencimiento es anterior a la fecha de emisión."),
            )
        return issue_date, due_date

    def _total(self, cells):
        total = self.sheet.money(cells, "total")
        if total is None:
            raise RowError("total", "", _("Falta el total."))
        return total

    def _fiscal(self, cells) -> tuple[str, str]:
        uuid = self.sheet.text(cells, "uuid").upper()
        if uuid and not _UUID.match(uuid):
            raise RowError("uuid", uuid, _("El UUID no tiene el formato de un folio fiscal."))
        method = self.sheet.text(cells, "payment_method").upper()[:3]
        if method and method not in ("PUE", "PPD"):
            raise RowError("payment_method", method, _("El método de pago debe ser PUE o PPD."))
        return uuid, method

    def _purchase_order(self, cells) -> str | None:
        """The row's purchase-order number; None when the file has no such column (an
        existing invoice keeps its own)."""
        if "purchase_order" not in self.sheet.mapping:
            return None
        text = self.sheet.text(cells, "purchase_order")
        if len(text) > 64:
            raise RowError(
                "purchase_order", text, _("La orden de compra es demasiado larga (máximo 64).")
            )
        return text

    def _order_currency(self, values, existing, cells) -> None:
        """The purchase-order rule of the invoices app (``match_order``): an order in
        another currency is refused, reported against this row."""
        customer_id = values["customer"]["id"] or (existing or {}).get("customer_id")
        try:
            match_order(
                self.orders,
                customer_id=customer_id,
                number=values["purchase_order"],
                currency=values["currency"],
            )
        except ValidationError as exc:
            raise RowError(
                "purchase_order",
                self.sheet.text(cells, "purchase_order"),
                " ".join(exc.message_dict["purchase_order"]),
            ) from None

    def _not_repeated(self, number, cells, external_id, uuid) -> None:
        key = external_id.upper()
        if key in self.seen_ext:
            raise RowError(
                "external_id" if self.sheet.text(cells, "external_id") else "number",
                external_id,
                _("Factura repetida en el archivo (también en la fila %(row)s).")
                % {"row": self.seen_ext[key]},
            )
        if uuid and uuid in self.seen_uuid:
            raise RowError(
                "uuid",
                uuid,
                _("UUID repetido en el archivo (también en la fila %(row)s).")
                % {"row": self.seen_uuid[uuid]},
            )
        self.seen_ext[key] = number
        if uuid:
            self.seen_uuid[uuid] = number

    def _create(self, external_id, values):
        uuid = values["fiscal_uuid"]
        if uuid and uuid in self.by_uuid:
            raise RowError("uuid", uuid, _("Ya existe otra factura con ese UUID."))
        if values["due_date"] is None:
            values["due_date"] = due_after_terms(
                values["issue_date"], values["customer"].get("terms"), self.default_terms
            )
        return {"action": "create", "external_id": external_id, **values}

    def _compare(self, existing, values, cells):
        new = {
            "customer_id": values["customer"]["id"] if values["customer"]["id"] else None,
            "number": values["number"],
            "issue_date": values["issue_date"],
            "due_date": values["due_date"] or existing["due_date"],
            "currency": values["currency"],
            "total": values["total"],
            "fiscal_uuid": values["fiscal_uuid"] or existing["fiscal_uuid"],
            "payment_method": values["payment_method"] or existing["payment_method"],
            "purchase_order": values["purchase_order"],
        }
        if new["customer_id"] is None:
            raise RowError(
                "customer",
                self.sheet.text(cells, "customer"),
                _("La factura ya existe con otro cliente."),
            )
        changes = {f: new[f] for f in COMPARED if new[f] != existing[f]}
        if not changes:
            return {"action": "unchanged"}
        if new["due_date"] < new["issue_date"]:
            raise RowError(
                "issue_date", new["issue_date"], _("La emisión quedaría después del vencimiento.")
            )
        # SQLite sums decimals loosely: bring the sum back to the currency's minor unit.
        applied = round_money(self.applied.get(existing["pk"]) or Decimal(0), existing["currency"])
        self._allowed(existing, new, changes, applied, cells)
        return {
            "action": "update",
            "pk": existing["pk"],
            "status": existing["status"],
            "currency": existing["currency"],
            "values": new,
            "applied": applied,
            "changes": sorted(changes),
        }

    def _allowed(self, existing, new, changes, applied, cells) -> None:
        """The invoices app's refusals, reported against this row's cells."""
        refusal = change_refusal(
            status=existing["status"],
            currency_changed="currency" in changes,
            total=new["total"],
            applied=applied,
        )
        if refusal == Refusal.VOID:
            raise RowError(
                "external_id",
                existing["external_id"],
                _("La factura está cancelada; no se modifica."),
            )
        if "customer_id" in changes and applied:
            raise RowError(
                "customer",
                self.sheet.text(cells, "customer"),
                _("La factura tiene pagos aplicados; no se puede cambiar de cliente."),
            )
        if refusal == Refusal.CURRENCY:
            raise RowError(
                "currency",
                new["currency"],
                _("La factura tiene pagos aplicados; no se puede cambiar la moneda."),
            )
        if refusal == Refusal.TOTAL_BELOW_APPLIED:
            raise RowError(
                "total",
                self.sheet.text(cells, "total"),
                _("El nuevo total es menor que lo ya aplicado a la factura (%(applied)s).")
                % {"applied": money_string(applied, existing["currency"])},
            )
        uuid = new["fiscal_uuid"]
        if uuid and uuid in self.by_uuid and self.by_uuid[uuid]["pk"] != existing["pk"]:
            raise RowError("uuid", uuid, _("Ya existe otra factura con ese UUID."))

    def finish_analysis(self):
        # An invoice whose new customer row failed must not create that customer.
        used = {
            r["customer"]["key"]
            for r in self.records
            if r["action"] == "create"
            and r["row"] not in self.bad_rows
            and r["customer"]["id"] is None
        }
        self.new_customers = {k: v for k, v in self.new_customers.items() if k in used}
        for record in self.records:
            if record["row"] not in self.bad_rows and "contact" in record:
                self.contacts.add(record["contact"])
        self.outcome.contacts_created = len(self.contacts.new)
        self.outcome.contacts_updated = len(self.contacts.filled)

    # writing --------------------------------------------------------------------------
    def write(self):
        self._create_customers()
        add_contacts(organization=self.organization, rows=self.contacts.rows_to_create())
        update_contacts(changes=list(self.contacts.filled.items()), fields=CHANNELS)
        per_customer: dict[int, dict] = {}
        rows = [self._new_row(r, per_customer) for r in self.records_for("create")]
        insert_invoices(
            organization=self.organization, rows=rows, progress=self.progress, actor=self.actor
        )
        changes = []
        for r in self.records_for("update"):
            changes.append(
                {
                    "pk": r["pk"],
                    "status": r["status"],
                    "currency": r["currency"],
                    "values": r["values"],
                    "applied": r["applied"],
                }
            )
            count_for(per_customer, r["values"]["customer_id"], "updated")
        update_invoices(
            organization=self.organization, changes=changes, fields=COMPARED, actor=self.actor
        )
        self.summarize(per_customer)
        return [row["fiscal_uuid"] for row in rows if row["fiscal_uuid"]]

    @staticmethod
    def _new_row(record, per_customer) -> dict:
        customer_id = record["customer"]["id"]
        count_for(per_customer, customer_id, "created")
        return {
            "customer_id": customer_id,
            "external_id": record["external_id"],
            "number": record["number"][:64],
            "fiscal_uuid": record["fiscal_uuid"],
            "issue_date": record["issue_date"],
            "due_date": record["due_date"],
            "currency": record["currency"],
            "total": record["total"],
            "payment_method": record["payment_method"],
            "purchase_order": record["purchase_order"],
        }

    def _create_customers(self) -> None:
        if not self.new_customers:
            return
        infos = list(self.new_customers.values())
        created = create_customers(
            organization=self.organization,
            rows=[
                {
                    "external_id": c["external_id"],
                    "name": c["name"],
                    "tax_id": c["tax_id"],
                    "country": c["country"],
                }
                for c in infos
            ],
        )
        for info, customer in zip(infos, created, strict=True):
            info["id"] = customer.pk
        record_activities(
            [
                self.activity(
                    customer=c,
                    kind=ActivityKind.CUSTOMER_CREATED,
                    summary=sentence(
                        gettext_lazy("Cliente %(name)s creado desde una importación de facturas"),
                        name=c.name,
                    ),
                    data={
                        "external_id": c.external_id,
                        "batch_id": getattr(self.batch, "pk", None),
                    },
                )
                for c in created
            ]
        )
