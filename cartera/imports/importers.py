"""Spreadsheet importers: validate every row in Python, then write in bulk.

Each importer has ``analyse()`` (no writes; fills ``outcome`` with problems and the
created/updated/unchanged counts it *would* produce) and ``write(valid_only=...)``.
Invoices and customers are written with ``bulk_create``/``bulk_update`` in batches
so 100,000 rows import in seconds; payments go through the payments services (one
allocation at a time, the ledger rules enforced there).
"""

import datetime as dt
import hashlib
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cartera.customers.choices import ContactRole
from cartera.customers.models import Contact, Customer
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.models import Invoice
from cartera.lib.identifiers import IdentifierError, normalize_phone, normalize_tax_id
from cartera.lib.money import SUPPORTED_CURRENCIES, money_string, round_money
from cartera.orgs.models import Membership
from cartera.payments.choices import PaymentMethod, PaymentSource
from cartera.payments.models import Allocation, Payment
from cartera.timeline.choices import ActivityKind, ActorKind
from cartera.timeline.models import Activity

from .rows import CustomerIndex, Outcome, Problem, RowError, Sheet
from .values import fold, parse_int

BATCH = 2000
_UUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")


class BaseImporter:
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
            try:
                record = self.check_row(number, cells)
            except RowError as exc:
                self.error(number, exc.field_name, exc.value, exc.message)
                record = None
            if record is not None and number not in self.bad_rows:
                record["row"] = number
                self.records.append(record)
            if done % 2000 == 0:
                self.progress(done, len(rows))
        self.finish_analysis()
        self.records = [r for r in self.records if r["row"] not in self.bad_rows]
        for record in self.records:
            action = record["action"]
            if action == "create":
                self.outcome.created += 1
            elif action == "update":
                self.outcome.updated += 1
            else:
                self.outcome.unchanged += 1
        self.outcome.problems.sort(key=lambda p: (p.row is not None, p.row or 0))
        return self.outcome

    def prepare(self):
        pass

    def finish_analysis(self):
        pass

    def check_row(self, number, cells) -> dict | None:
        raise NotImplementedError

    def required_text(self, cells, field_name):
        value = self.sheet.text(cells, field_name)
        if not value:
            raise RowError(field_name, "", _("Falta el dato obligatorio."))
        return value

    def currency(self, cells):
        code = (
            self.sheet.text(cells, "currency").upper().strip() or self.organization.default_currency
        )
        code = {
            "PESOS": "MXN",
            "MN": "MXN",
            "M.N.": "MXN",
            "DOLARES": "USD",
            "DLS": "USD",
            "US$": "USD",
            "USD$": "USD",
        }.get(code, code)
        if code not in SUPPORTED_CURRENCIES:
            raise RowError(
                "currency", code, _("Moneda no reconocida (use un código ISO como MXN o USD).")
            )
        return code

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
                Activity(
                    organization=self.organization,
                    customer_id=customer_id,
                    actor_kind=ActorKind.USER if self.actor else ActorKind.SYSTEM,
                    actor_user=self.actor,
                    kind=ActivityKind.IMPORT,
                    summary=(
                        _("Importación de %(kind)s: %(parts)s")
                        % {"kind": self.kind_label(), "parts": ", ".join(parts)}
                    )[:500],
                    data={"batch_id": getattr(self.batch, "pk", None), **counts},
                )
            )
        Activity.objects.bulk_create(entries, batch_size=BATCH)

    def kind_label(self):
        return self.kind


def _check_email(value: str, field_name="email") -> str:
    value = (value or "").strip().lower()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise RowError(field_name, value, _("Correo electrónico no válido.")) from None
    return value


def _check_phone(value: str, country: str, field_name="phone") -> str:
    try:
        return normalize_phone(value, country)
    except IdentifierError:
        raise RowError(field_name, value, _("Teléfono no válido.")) from None


# ----------------------------------------------------------------------------- invoices


class InvoiceImporter(BaseImporter):
    kind = "invoices"
    key_fields = ("external_id", "number", "customer", "issue_date")
    amount_fields = ("total",)
    date_fields = ("issue_date", "due_date")
    COMPARED = (
        "customer_id",
        "number",
        "issue_date",
        "due_date",
        "currency",
        "total",
        "fiscal_uuid",
        "payment_method",
    )

    def kind_label(self):
        return _("facturas")

    def prepare(self):
        self.customers = CustomerIndex(self.organization)
        self.new_customers: dict[str, dict] = {}
        self.existing = {}
        self.by_uuid = {}
        fields = ("pk", "external_id", "status", *self.COMPARED)
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
            if name or tax_id or reference:
                message = _(
                    "Cliente desconocido. Puede crearse con los datos de esta fila "
                    "(opción «crear clientes desconocidos» / --create-customers)."
                )
            else:
                message = _("Cliente desconocido.")
            raise RowError("customer", reference or tax_id, message)
        country = self.organization.country
        if tax_id:
            try:
                tax_id = normalize_tax_id(tax_id, country)
            except IdentifierError as exc:
                raise RowError("customer_tax_id", tax_id, str(exc)) from None
        info = {
            "id": None,
            "key": key,
            "external_id": (reference or tax_id or name)[:64],
            "name": (name or reference or tax_id)[:200],
            "tax_id": tax_id,
            "country": country,
            "terms": None,
            "row": number,
        }
        self.new_customers[key] = info
        return info

    def check_row(self, number, cells):
        sheet = self.sheet
        series = sheet.text(cells, "series")
        folio = sheet.text(cells, "number")
        number_text = f"{series}-{folio}" if series and folio else folio
        external_id = sheet.text(cells, "external_id") or number_text
        if not external_id:
            raise RowError("number", "", _("Falta el folio de la factura."))
        if len(external_id) > 64:
            raise RowError(
                "external_id", external_id, _("La clave es demasiado larga (máximo 64).")
            )
        customer = self._customer(number, cells)
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
        total = sheet.money(cells, "total")
        if total is None:
            raise RowError("total", "", _("Falta el total."))
        currency = self.currency(cells)
        if total < 0:
            raise RowError(
                "total", sheet.text(cells, "total"), _("El total no puede ser negativo.")
            )
        total = round_money(total, currency)
        uuid = sheet.text(cells, "uuid").upper()
        if uuid and not _UUID.match(uuid):
            raise RowError("uuid", uuid, _("El UUID no tiene el formato de un folio fiscal."))
        method = sheet.text(cells, "payment_method").upper()[:3]
        if method and method not in ("PUE", "PPD"):
            raise RowError("payment_method", method, _("El método de pago debe ser PUE o PPD."))
        key = external_id.upper()
        if key in self.seen_ext:
            raise RowError(
                "external_id" if sheet.text(cells, "external_id") else "number",
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
        existing = self.existing.get(key) or (self.by_uuid.get(uuid) if uuid else None)
        values = {
            "customer": customer,
            "number": number_text or external_id,
            "issue_date": issue_date,
            "due_date": due_date,
            "currency": currency,
            "total": total,
            "fiscal_uuid": uuid,
            "payment_method": method,
        }
        if existing is None:
            if uuid and uuid in self.by_uuid:
                raise RowError("uuid", uuid, _("Ya existe otra factura con ese UUID."))
            if values["due_date"] is None:
                terms = customer.get("terms")
                values["due_date"] = issue_date + dt.timedelta(
                    days=terms if terms is not None else self.default_terms
                )
            return {"action": "create", "external_id": external_id, **values}
        return self._compare(number, existing, values, cells)

    def _compare(self, number, existing, values, cells):
        new = {
            "customer_id": values["customer"]["id"] if values["customer"]["id"] else None,
            "number": values["number"],
            "issue_date": values["issue_date"],
            "due_date": values["due_date"] or existing["due_date"],
            "currency": values["currency"],
            "total": values["total"],
            "fiscal_uuid": values["fiscal_uuid"] or existing["fiscal_uuid"],
            "payment_method": values["payment_method"] or existing["payment_method"],
        }
        if new["customer_id"] is None:
            raise RowError(
                "customer",
                self.sheet.text(cells, "customer"),
                _("La factura ya existe con otro cliente."),
            )
        changes = {f: new[f] for f in self.COMPARED if new[f] != existing[f]}
        if not changes:
            return {"action": "unchanged"}
        if new["due_date"] < new["issue_date"]:
            raise RowError(
                "issue_date", new["issue_date"], _("La emisión quedaría después del vencimiento.")
            )
        if existing["status"] == InvoiceStatus.VOID:
            raise RowError(
                "external_id",
                existing["external_id"],
                _("La factura está cancelada; no se modifica."),
            )
        # SQLite sums decimals loosely: bring the sum back to the currency's minor unit.
        applied = round_money(self.applied.get(existing["pk"]) or Decimal(0), existing["currency"])
        if "customer_id" in changes and applied:
            raise RowError(
                "customer",
                self.sheet.text(cells, "customer"),
                _("La factura tiene pagos aplicados; no se puede cambiar de cliente."),
            )
        if "currency" in changes and applied:
            raise RowError(
                "currency",
                new["currency"],
                _("La factura tiene pagos aplicados; no se puede cambiar la moneda."),
            )
        if new["total"] < applied:
            raise RowError(
                "total",
                self.sheet.text(cells, "total"),
                _("El nuevo total es menor que lo ya aplicado a la factura (%(applied)s).")
                % {"applied": money_string(applied, existing["currency"])},
            )
        if (
            new["fiscal_uuid"]
            and new["fiscal_uuid"] in self.by_uuid
            and self.by_uuid[new["fiscal_uuid"]]["pk"] != existing["pk"]
        ):
            raise RowError("uuid", new["fiscal_uuid"], _("Ya existe otra factura con ese UUID."))
        return {
            "action": "update",
            "pk": existing["pk"],
            "values": new,
            "applied": applied,
            "changes": sorted(changes),
        }

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

    def write(self):
        org = self.organization
        created_customers = []
        if self.new_customers:
            objs = [
                Customer(
                    organization=org,
                    external_id=c["external_id"],
                    name=c["name"],
                    tax_id=c["tax_id"],
                    country=c["country"],
                )
                for c in self.new_customers.values()
            ]
            Customer.objects.bulk_create(objs, batch_size=BATCH)
            for info, obj in zip(self.new_customers.values(), objs, strict=True):
                info["id"] = obj.pk
                created_customers.append(obj)
        per_customer: dict[int, dict] = {}
        new_objs = []
        for r in self.records:
            if r["action"] != "create":
                continue
            customer_id = r["customer"]["id"]
            new_objs.append(
                {
                    "organization_id": org.pk,
                    "customer_id": customer_id,
                    "external_id": r["external_id"],
                    "number": r["number"][:64],
                    "fiscal_uuid": r["fiscal_uuid"],
                    "issue_date": r["issue_date"],
                    "due_date": r["due_date"],
                    "currency": r["currency"],
                    "total": r["total"],
                    "balance": r["total"],
                    "status": InvoiceStatus.PAID if r["total"] == 0 else InvoiceStatus.OPEN,
                    "payment_method": r["payment_method"],
                }
            )
            per_customer.setdefault(customer_id, {"created": 0, "updated": 0})["created"] += 1
        _fast_insert(Invoice, new_objs, progress=self.progress)
        updates = []
        now = timezone.now()
        for r in self.records:
            if r["action"] != "update":
                continue
            values = r["values"]
            invoice = Invoice(pk=r["pk"], organization=org, updated_at=now, **values)
            invoice.balance = values["total"] - r["applied"]
            invoice.status = InvoiceStatus.OPEN if invoice.balance > 0 else InvoiceStatus.PAID
            updates.append(invoice)
            per_customer.setdefault(values["customer_id"], {"created": 0, "updated": 0})[
                "updated"
            ] += 1
        if updates:
            Invoice.objects.bulk_update(
                updates, [*self.COMPARED, "balance", "status", "updated_at"], batch_size=500
            )
        if created_customers:
            Activity.objects.bulk_create(
                [
                    Activity(
                        organization=org,
                        customer=c,
                        actor_kind=ActorKind.USER if self.actor else ActorKind.SYSTEM,
                        actor_user=self.actor,
                        kind=ActivityKind.CUSTOMER_CREATED,
                        summary=(
                            _("Cliente %(name)s creado desde una importación de facturas")
                            % {"name": c.name}
                        )[:500],
                        data={
                            "external_id": c.external_id,
                            "batch_id": getattr(self.batch, "pk", None),
                        },
                    )
                    for c in created_customers
                ],
                batch_size=BATCH,
            )
        self.summarize(per_customer)
        return [o["fiscal_uuid"] for o in new_objs if o["fiscal_uuid"]]


def _fast_insert(model, rows: list[dict], *, progress=None):
    """INSERT many rows (dicts of attname → value) with ``executemany``: several times
    faster than ``bulk_create`` for 100k rows. Values go through the backend's own field
    adapters, so it works on SQLite and PostgreSQL alike. No pks come back."""
    from django.db import connection, models

    ops = connection.ops
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = ops.adapt_datetimefield_value(timezone.now())
    adapters = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            adapters.append((f.attname, None, now))
        elif isinstance(f, models.DateTimeField):
            adapters.append((f.attname, ops.adapt_datetimefield_value, f.get_default()))
        elif isinstance(f, models.DateField):
            adapters.append((f.attname, ops.adapt_datefield_value, f.get_default()))
        elif isinstance(f, models.DecimalField):
            adapters.append(
                (
                    f.attname,
                    lambda v, f=f: ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places),
                    f.get_default(),
                )
            )
        else:
            adapters.append((f.attname, lambda v: v, f.get_default()))
    table = ops.quote_name(model._meta.db_table)
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"

    def values(row):
        out = []
        for attname, adapt, default in adapters:
            if adapt is None:
                out.append(default)
                continue
            value = row.get(attname, default)
            out.append(None if value is None else adapt(value))
        return out

    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH * 5):
            chunk = rows[start : start + BATCH * 5]
            cursor.executemany(sql, [values(r) for r in chunk])
            if progress:
                progress(start + len(chunk), len(rows))


# ---------------------------------------------------------------------------- customers


class CustomerImporter(BaseImporter):
    kind = "customers"
    key_fields = ("external_id", "name", "tax_id")
    amount_fields = ("credit_limit",)
    COMPARED = (
        "name",
        "legal_name",
        "tax_id",
        "country",
        "payment_terms_days",
        "credit_limit",
        "assigned_agent_id",
    )

    def kind_label(self):
        return _("clientes")

    def prepare(self):
        org = self.organization
        self.existing_by_ext, self.existing_by_tax = {}, {}
        for values in Customer.objects.filter(organization=org).values(
            "pk", "external_id", *self.COMPARED
        ):
            self.existing_by_ext[values["external_id"].upper()] = values
            if values["tax_id"]:
                self.existing_by_tax[values["tax_id"]] = values
        self.primary = {}
        for contact in Contact.objects.filter(organization=org).order_by(
            "customer_id", "-is_primary", "id"
        ):
            self.primary.setdefault(contact.customer_id, contact)
        self.agents = {}
        for membership in Membership.objects.filter(
            organization=org, is_active=True
        ).select_related("user"):
            user = membership.user
            for key in (user.username, user.email, user.get_full_name()):
                if key:
                    self.agents[fold(key)] = user.pk
        self.seen_ext, self.seen_tax = {}, {}

    def check_row(self, number, cells):
        sheet = self.sheet
        name = self.required_text(cells, "name")
        external_id = sheet.text(cells, "external_id")
        country = (sheet.text(cells, "country") or self.organization.country).upper()
        country = {
            "MEXICO": "MX",
            "MÉXICO": "MX",
            "MEX": "MX",
            "CHILE": "CL",
            "CHL": "CL",
            "ARGENTINA": "AR",
            "ARG": "AR",
        }.get(country, country)
        if len(country) != 2 or not country.isalpha():
            raise RowError(
                "country", country, _("País no válido (use el código de dos letras, p. ej. MX).")
            )
        tax_id = sheet.text(cells, "tax_id")
        try:
            tax_id = normalize_tax_id(tax_id, country)
        except IdentifierError as exc:
            raise RowError("tax_id", tax_id, str(exc)) from None
        email = _check_email(sheet.text(cells, "email"))
        phone = (
            _check_phone(sheet.text(cells, "phone"), country) if sheet.text(cells, "phone") else ""
        )
        terms_text = sheet.text(cells, "payment_terms_days")
        terms = None
        if terms_text:
            try:
                terms = parse_int(terms_text)
            except ValueError as exc:
                raise RowError("payment_terms_days", terms_text, str(exc)) from None
            if terms > 3650:
                raise RowError(
                    "payment_terms_days", terms_text, _("Plazo de crédito fuera de rango.")
                )
        limit = sheet.money(cells, "credit_limit")
        if limit is not None and limit < 0:
            raise RowError(
                "credit_limit",
                sheet.text(cells, "credit_limit"),
                _("El límite de crédito no puede ser negativo."),
            )
        agent_text = sheet.text(cells, "agent")
        agent_id = None
        if agent_text:
            agent_id = self.agents.get(fold(agent_text))
            if agent_id is None:
                raise RowError(
                    "agent", agent_text, _("El gestor no es usuario de esta organización.")
                )
        if external_id and external_id.upper() in self.seen_ext:
            raise RowError(
                "external_id",
                external_id,
                _("Cliente repetido en el archivo (también en la fila %(row)s).")
                % {"row": self.seen_ext[external_id.upper()]},
            )
        if tax_id and tax_id in self.seen_tax:
            raise RowError(
                "tax_id",
                tax_id,
                _("RFC/RUT/CUIT repetido en el archivo (también en la fila %(row)s).")
                % {"row": self.seen_tax[tax_id]},
            )
        if external_id:
            self.seen_ext[external_id.upper()] = number
        if tax_id:
            self.seen_tax[tax_id] = number
        existing = (self.existing_by_ext.get(external_id.upper()) if external_id else None) or (
            self.existing_by_tax.get(tax_id) if tax_id else None
        )
        values = {
            "name": name[:200],
            "legal_name": sheet.text(cells, "legal_name")[:300],
            "tax_id": tax_id,
            "country": country,
            "payment_terms_days": terms,
            "credit_limit": round_money(limit, "MXN") if limit is not None else None,
            "assigned_agent_id": agent_id,
        }
        contact = {"email": email, "mobile_phone": phone}
        if existing is None:
            return {
                "action": "create",
                "external_id": external_id,
                "values": values,
                "contact": contact,
            }
        if (
            tax_id
            and tax_id in self.existing_by_tax
            and self.existing_by_tax[tax_id]["pk"] != existing["pk"]
        ):
            raise RowError("tax_id", tax_id, _("Ese RFC/RUT/CUIT ya es de otro cliente."))
        # Blank optional cells keep what Cartera has.
        for name_ in (
            "legal_name",
            "tax_id",
            "payment_terms_days",
            "credit_limit",
            "assigned_agent_id",
        ):
            if values[name_] in ("", None):
                values[name_] = existing[name_]
        changes = [f for f in self.COMPARED if values[f] != existing[f]]
        primary = self.primary.get(existing["pk"])
        contact_change = any(
            contact[k] and (primary is None or getattr(primary, k) != contact[k]) for k in contact
        )
        if not changes and not contact_change:
            return {"action": "unchanged"}
        return {
            "action": "update",
            "pk": existing["pk"],
            "values": values,
            "contact": contact,
            "changes": changes,
            "contact_change": contact_change,
        }

    def write(self):
        org = self.organization
        new = [r for r in self.records if r["action"] == "create"]
        count = Customer.objects.filter(organization=org).count()
        taken = set(self.existing_by_ext)
        objs = []
        for r in new:
            ext = r["external_id"]
            if not ext:
                count += 1
                while f"C{count:05d}" in taken:
                    count += 1
                ext = f"C{count:05d}"
            taken.add(ext.upper())
            objs.append(Customer(organization=org, external_id=ext, **r["values"]))
        Customer.objects.bulk_create(objs, batch_size=BATCH)
        contacts = []
        for r, obj in zip(new, objs, strict=True):
            if r["contact"]["email"] or r["contact"]["mobile_phone"]:
                contacts.append(
                    Contact(
                        organization=org,
                        customer=obj,
                        name=obj.name[:200],
                        is_primary=True,
                        **r["contact"],
                    )
                )
        updates = []
        for r in self.records:
            if r["action"] != "update":
                continue
            updates.append(
                Customer(pk=r["pk"], organization=org, updated_at=timezone.now(), **r["values"])
            )
            if r["contact_change"]:
                primary = self.primary.get(r["pk"])
                if primary is None:
                    contacts.append(
                        Contact(
                            organization=org,
                            customer_id=r["pk"],
                            name=r["values"]["name"],
                            is_primary=True,
                            **r["contact"],
                        )
                    )
                else:
                    for k, v in r["contact"].items():
                        if v:
                            setattr(primary, k, v)
                    primary.save(update_fields=["email", "mobile_phone", "updated_at"])
        if updates:
            Customer.objects.bulk_update(updates, [*self.COMPARED, "updated_at"], batch_size=500)
        Contact.objects.bulk_create(contacts, batch_size=BATCH)
        actor_kind = ActorKind.USER if self.actor else ActorKind.SYSTEM
        Activity.objects.bulk_create(
            [
                Activity(
                    organization=org,
                    customer=o,
                    actor_kind=actor_kind,
                    actor_user=self.actor,
                    kind=ActivityKind.CUSTOMER_CREATED,
                    summary=(_("Cliente %(name)s creado por importación") % {"name": o.name})[:500],
                    data={"external_id": o.external_id},
                )
                for o in objs
            ]
            + [
                Activity(
                    organization=org,
                    customer_id=u.pk,
                    actor_kind=actor_kind,
                    actor_user=self.actor,
                    kind=ActivityKind.CUSTOMER_UPDATED,
                    summary=_("Datos del cliente actualizados por importación"),
                    data={"fields": r["changes"] + (["contacto"] if r["contact_change"] else [])},
                )
                for u, r in zip(
                    updates, [r for r in self.records if r["action"] == "update"], strict=True
                )
            ],
            batch_size=BATCH,
        )
        return []


# ----------------------------------------------------------------------------- contacts

ROLE_WORDS = {
    "pagos": ContactRole.PAYMENTS,
    "cuentas por pagar": ContactRole.PAYMENTS,
    "payments": ContactRole.PAYMENTS,
    "tesoreria": ContactRole.PAYMENTS,
    "cxp": ContactRole.PAYMENTS,
    "facturacion": ContactRole.BILLING,
    "billing": ContactRole.BILLING,
    "legal": ContactRole.LEGAL,
    "juridico": ContactRole.LEGAL,
    "otro": ContactRole.OTHER,
    "other": ContactRole.OTHER,
}


class ContactImporter(BaseImporter):
    kind = "contacts"
    key_fields = ("customer", "name")
    CHANGEABLE = ("name", "role", "email", "mobile_phone", "whatsapp")

    def kind_label(self):
        return _("contactos")

    def prepare(self):
        self.customers = CustomerIndex(self.organization)
        self.by_email, self.by_name, self.has_contacts = {}, {}, set()
        for c in Contact.objects.filter(organization=self.organization).values(
            "pk", "customer_id", *self.CHANGEABLE
        ):
            self.has_contacts.add(c["customer_id"])
            if c["email"]:
                self.by_email[(c["customer_id"], c["email"])] = c
            self.by_name.setdefault((c["customer_id"], fold(c["name"])), c)
        self.seen = {}

    def check_row(self, number, cells):
        sheet = self.sheet
        reference = self.required_text(cells, "customer")
        customer = self.customers.find(reference)
        if customer is None:
            raise RowError("customer", reference, _("Cliente desconocido."))
        name = self.required_text(cells, "name")
        role_text = sheet.text(cells, "role")
        role = ROLE_WORDS.get(fold(role_text), ContactRole.PAYMENTS if not role_text else None)
        if role is None:
            raise RowError(
                "role", role_text, _("Rol no reconocido (pagos, facturación, legal u otro).")
            )
        country = customer["country"]
        values = {
            "name": name[:200],
            "role": role,
            "email": _check_email(sheet.text(cells, "email")),
            "mobile_phone": _check_phone(sheet.text(cells, "phone"), country),
            "whatsapp": _check_phone(sheet.text(cells, "whatsapp"), country, "whatsapp"),
        }
        key = (customer["id"], values["email"] or fold(name))
        if key in self.seen:
            raise RowError(
                "email" if values["email"] else "name",
                values["email"] or name,
                _("Contacto repetido en el archivo (también en la fila %(row)s).")
                % {"row": self.seen[key]},
            )
        self.seen[key] = number
        existing = (
            self.by_email.get((customer["id"], values["email"])) if values["email"] else None
        ) or self.by_name.get((customer["id"], fold(name)))
        if existing is None:
            return {"action": "create", "customer_id": customer["id"], "values": values}
        for k in ("email", "mobile_phone", "whatsapp"):
            if not values[k]:
                values[k] = existing[k]
        if not role_text:
            values["role"] = existing["role"]
        if all(values[k] == existing[k] for k in self.CHANGEABLE):
            return {"action": "unchanged"}
        return {"action": "update", "pk": existing["pk"], "values": values}

    def write(self):
        org = self.organization
        objs = []
        primaried = set(self.has_contacts)
        for r in self.records:
            if r["action"] == "create":
                objs.append(
                    Contact(
                        organization=org,
                        customer_id=r["customer_id"],
                        is_primary=r["customer_id"] not in primaried,
                        **r["values"],
                    )
                )
                primaried.add(r["customer_id"])
        Contact.objects.bulk_create(objs, batch_size=BATCH)
        updates = [
            Contact(pk=r["pk"], updated_at=timezone.now(), **r["values"])
            for r in self.records
            if r["action"] == "update"
        ]
        if updates:
            Contact.objects.bulk_update(updates, [*self.CHANGEABLE, "updated_at"], batch_size=500)
        customer_ids = {o.customer_id for o in objs}
        ids = dict(
            Contact.objects.filter(pk__in=[u.pk for u in updates]).values_list("pk", "customer_id")
        )
        per_customer = {}
        for o in objs:
            per_customer.setdefault(o.customer_id, {"created": 0, "updated": 0})["created"] += 1
        for u in updates:
            per_customer.setdefault(ids[u.pk], {"created": 0, "updated": 0})["updated"] += 1
        del customer_ids
        self.summarize(per_customer)
        return []


# ----------------------------------------------------------------------------- payments

METHOD_WORDS = {
    "transferencia": PaymentMethod.TRANSFER,
    "spei": PaymentMethod.TRANSFER,
    "transfer": PaymentMethod.TRANSFER,
    "03": PaymentMethod.TRANSFER,
    "3": PaymentMethod.TRANSFER,
    "deposito": PaymentMethod.DEPOSIT,
    "deposit": PaymentMethod.DEPOSIT,
    "efectivo": PaymentMethod.CASH,
    "cash": PaymentMethod.CASH,
    "01": PaymentMethod.CASH,
    "1": PaymentMethod.CASH,
    "cheque": PaymentMethod.CHECK,
    "check": PaymentMethod.CHECK,
    "02": PaymentMethod.CHECK,
    "2": PaymentMethod.CHECK,
    "tarjeta": PaymentMethod.CARD,
    "card": PaymentMethod.CARD,
    "04": PaymentMethod.CARD,
    "28": PaymentMethod.CARD,
    "otro": PaymentMethod.OTHER,
    "other": PaymentMethod.OTHER,
}


class PaymentImporter(BaseImporter):
    kind = "payments"
    key_fields = ("external_id", "customer", "date")
    amount_fields = ("amount",)
    date_fields = ("date",)

    def kind_label(self):
        return _("pagos")

    def prepare(self):
        org = self.organization
        self.customers = CustomerIndex(org)
        self.existing = {
            p["external_id"].upper(): p
            for p in Payment.objects.filter(organization=org)
            .exclude(external_id="")
            .values(
                "pk",
                "external_id",
                "customer_id",
                "date",
                "amount",
                "currency",
                "method",
                "reference",
            )
        }
        self.invoices = {}
        for values in Invoice.objects.filter(organization=org).values(
            "pk", "external_id", "number", "customer_id", "currency", "status"
        ):
            self.invoices.setdefault((values["customer_id"], values["external_id"].upper()), values)
            self.invoices.setdefault((values["customer_id"], values["number"].upper()), values)
        self.seen = {}
        self.occurrences = {}

    def check_row(self, number, cells):
        sheet = self.sheet
        reference_text = self.required_text(cells, "customer")
        customer = self.customers.find(reference_text)
        if customer is None:
            raise RowError("customer", reference_text, _("Cliente desconocido."))
        date = sheet.date(cells, "date")
        if date is None:
            raise RowError("date", "", _("Falta la fecha del pago."))
        amount = sheet.money(cells, "amount")
        if amount is None:
            raise RowError("amount", "", _("Falta el importe."))
        currency = self.currency(cells)
        amount = round_money(amount, currency)
        if amount <= 0:
            raise RowError(
                "amount", sheet.text(cells, "amount"), _("El importe debe ser mayor que cero.")
            )
        method_text = sheet.text(cells, "method")
        method = METHOD_WORDS.get(
            fold(method_text), PaymentMethod.TRANSFER if not method_text else None
        )
        if method is None:
            raise RowError("method", method_text, _("Forma de pago no reconocida."))
        reference = sheet.text(cells, "reference")[:120]
        invoice_refs = [p.strip() for p in sheet.text(cells, "invoices").split("|") if p.strip()]
        targets = []
        for ref in invoice_refs:
            invoice = self.invoices.get((customer["id"], ref.upper()))
            if invoice is None:
                raise RowError(
                    "invoices",
                    ref,
                    _("La factura %(ref)s no existe para este cliente.") % {"ref": ref},
                )
            if invoice["currency"] != currency:
                raise RowError(
                    "invoices", ref, _("La factura %(ref)s está en otra moneda.") % {"ref": ref}
                )
            targets.append(invoice["pk"])
        external_id = sheet.text(cells, "external_id")
        if not external_id:
            # Without a key the row's own content is its identity, so re-importing the
            # same file finds it again.
            basis = f"{customer['id']}|{date}|{amount}|{currency}|{reference}"
            occurrence = self.occurrences.get(basis, 0) + 1
            self.occurrences[basis] = occurrence
            external_id = "IMP-" + hashlib.sha256(f"{basis}|{occurrence}".encode()).hexdigest()[:20]
        elif external_id.upper() in self.seen:
            raise RowError(
                "external_id",
                external_id,
                _("Pago repetido en el archivo (también en la fila %(row)s).")
                % {"row": self.seen[external_id.upper()]},
            )
        self.seen[external_id.upper()] = number
        existing = self.existing.get(external_id.upper())
        if existing is None:
            return {
                "action": "create",
                "external_id": external_id[:64],
                "customer_id": customer["id"],
                "date": date,
                "amount": amount,
                "currency": currency,
                "method": method,
                "reference": reference,
                "targets": targets,
            }
        same = (
            existing["customer_id"],
            existing["date"],
            existing["amount"],
            existing["currency"],
        ) == (customer["id"], date, amount, currency)
        if not same:
            raise RowError(
                "external_id",
                external_id,
                _(
                    "El pago ya se importó con otro cliente, fecha, importe o moneda; un pago registrado no se modifica."
                ),
            )
        if (existing["method"], existing["reference"]) == (
            method,
            reference or existing["reference"],
        ):
            return {"action": "unchanged"}
        return {
            "action": "update",
            "pk": existing["pk"],
            "method": method,
            "reference": reference or existing["reference"],
        }

    def write(self):
        from cartera.payments.services import allocate_oldest_first, record_payment

        customers = {
            c.pk: c
            for c in Customer.objects.filter(
                pk__in={r["customer_id"] for r in self.records if r["action"] == "create"}
            ).select_related("organization")
        }
        done = 0
        for r in self.records:
            if r["action"] == "update":
                Payment.objects.filter(pk=r["pk"]).update(
                    method=r["method"], reference=r["reference"]
                )
                continue
            if r["action"] != "create":
                continue
            payment = record_payment(
                customer=customers[r["customer_id"]],
                actor=self.actor,
                date=r["date"],
                amount=r["amount"],
                currency=r["currency"],
                method=r["method"],
                reference=r["reference"],
                external_id=r["external_id"],
                source=PaymentSource.IMPORT,
            )
            if r["targets"]:
                invoices = list(Invoice.objects.filter(pk__in=r["targets"]))
                invoices.sort(key=lambda i: r["targets"].index(i.pk))
                allocate_oldest_first(payment=payment, actor=self.actor, invoices=invoices)
            else:
                allocate_oldest_first(payment=payment, actor=self.actor)
            done += 1
            if done % 200 == 0:
                self.progress(done, len(self.records))
        return []


IMPORTERS = {
    "customers": CustomerImporter,
    "contacts": ContactImporter,
    "invoices": InvoiceImporter,
    "payments": PaymentImporter,
}
