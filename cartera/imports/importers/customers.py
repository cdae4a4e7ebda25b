"""Customers (and their primary contact's email and phone) from a spreadsheet, written
through ``cartera.customers.bulk``."""

from django.utils.translation import gettext_lazy

from cartera.customers.bulk import (
    create_contacts,
    create_customers,
    update_contacts,
    update_customers,
)
from cartera.customers.models import Contact, Customer
from cartera.lib.identifiers import IdentifierError, normalize_tax_id
from cartera.lib.money import round_money
from cartera.orgs.models import Membership
from cartera.timeline.choices import ActivityKind
from cartera.timeline.sentences import sentence
from cartera.timeline.services import record_activities

from ..problem_text import gettext as _
from ..rows import RowError
from ..values import fold, parse_int
from .base import BaseImporter, check_email, check_phone

COUNTRY_WORDS = {
    "MEXICO": "MX",
    "MÉXICO": "MX",
    "MEX": "MX",
    "CHILE": "CL",
    "CHL": "CL",
    "ARGENTINA": "AR",
    "ARG": "AR",
}
MAX_TERMS_DAYS = 3650
CONTACT_CHANNELS = ("email", "mobile_phone")  # what a customers file says of its contact
# The postal address columns (optional), cut to the model's lengths.
ADDRESS_COLUMNS = {
    "address_street": 200,
    "address_exterior": 20,
    "address_interior": 20,
    "address_colonia": 120,
    "address_city": 120,
    "address_state": 120,
    "address_postal_code": 10,
}
# Blank optional cells keep what Cartera has.
KEPT_WHEN_BLANK = (
    *ADDRESS_COLUMNS,
    "legal_name",
    "tax_id",
    "payment_terms_days",
    "credit_limit",
    "assigned_agent_id",
)


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
        *ADDRESS_COLUMNS,
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

    # one row --------------------------------------------------------------------------
    def check_row(self, number, cells):
        sheet = self.sheet
        name = self.required_text(cells, "name")
        external_id = sheet.text(cells, "external_id")
        country = self._country(cells)
        tax_id = self._tax_id(cells, country)
        email = check_email(sheet.text(cells, "email"))
        phone = (
            check_phone(sheet.text(cells, "phone"), country) if sheet.text(cells, "phone") else ""
        )
        values = {
            "name": name[:200],
            "legal_name": sheet.text(cells, "legal_name")[:300],
            "tax_id": tax_id,
            "country": country,
            "payment_terms_days": self._terms(cells),
            "credit_limit": self._credit_limit(cells),
            "assigned_agent_id": self._agent(cells),
            **{name: sheet.text(cells, name)[:size] for name, size in ADDRESS_COLUMNS.items()},
        }
        self._not_repeated(number, external_id, tax_id)
        existing = (self.existing_by_ext.get(external_id.upper()) if external_id else None) or (
            self.existing_by_tax.get(tax_id) if tax_id else None
        )
        contact = {"email": email, "mobile_phone": phone}
        if existing is None:
            return {
                "action": "create",
                "external_id": external_id,
                "values": values,
                "contact": contact,
            }
        return self._compare(existing, values, contact)

    def _country(self, cells) -> str:
        country = (self.sheet.text(cells, "country") or self.organization.country).upper()
        country = COUNTRY_WORDS.get(country, country)
        if len(country) != 2 or not country.isalpha():
            raise RowError(
                "country", country, _("País no válido (use el código de dos letras, p. ej. MX).")
            )
        return country

    def _tax_id(self, cells, country) -> str:
        tax_id = self.sheet.text(cells, "tax_id")
        try:
            return normalize_tax_id(tax_id, country)
        except IdentifierError as exc:
            raise RowError("tax_id", tax_id, str(exc)) from None

    def _terms(self, cells):
        terms_text = self.sheet.text(cells, "payment_terms_days")
        if not terms_text:
            return None
        try:
            terms = parse_int(terms_text)
        except ValueError as exc:
            raise RowError("payment_terms_days", terms_text, str(exc)) from None
        if terms > MAX_TERMS_DAYS:
            raise RowError("payment_terms_days", terms_text, _("Plazo de crédito fuera de rango."))
        return terms

    def _credit_limit(self, cells):
        limit = self.sheet.money(cells, "credit_limit")
        if limit is None:
            return None
        if limit < 0:
            raise RowError(
                "credit_limit",
                self.sheet.text(cells, "credit_limit"),
                _("El límite de crédito no puede ser negativo."),
            )
        return round_money(limit, "MXN")

    def _agent(self, cells):
        agent_text = self.sheet.text(cells, "agent")
        if not agent_text:
            return None
        agent_id = self.agents.get(fold(agent_text))
        if agent_id is None:
            raise RowError("agent", agent_text, _("El gestor no es usuario de esta organización."))
        return agent_id

    def _not_repeated(self, number, external_id, tax_id) -> None:
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

    def _compare(self, existing, values, contact):
        tax_id = values["tax_id"]
        owner = self.existing_by_tax.get(tax_id) if tax_id else None
        if owner is not None and owner["pk"] != existing["pk"]:
            raise RowError("tax_id", tax_id, _("Ese RFC/RUT/CUIT ya es de otro cliente."))
        for name in KEPT_WHEN_BLANK:
            if values[name] in ("", None):
                values[name] = existing[name]
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

    # writing --------------------------------------------------------------------------
    def write(self):
        created = self._create()
        updates = self.records_for("update")
        update_customers(
            organization=self.organization,
            changes=[(r["pk"], r["values"]) for r in updates],
            fields=self.COMPARED,
        )
        self._update_contacts(updates)
        record_activities(
            [
                self.activity(
                    customer=c,
                    kind=ActivityKind.CUSTOMER_CREATED,
                    summary=sentence(
                        gettext_lazy("Cliente %(name)s creado por importación"), name=c.name
                    ),
                    data={"external_id": c.external_id},
                )
                for c in created
            ]
            + [
                self.activity(
                    customer_id=r["pk"],
                    kind=ActivityKind.CUSTOMER_UPDATED,
                    summary=sentence(
                        gettext_lazy("Datos del cliente actualizados por importación")
                    ),
                    data={"fields": r["changes"] + (["contacto"] if r["contact_change"] else [])},
                )
                for r in updates
            ]
        )
        return []

    def _create(self) -> list[Customer]:
        new = self.records_for("create")
        created = create_customers(
            organization=self.organization,
            rows=[{"external_id": r["external_id"], **r["values"]} for r in new],
        )
        create_contacts(
            organization=self.organization,
            rows=[
                {"customer_id": customer.pk, "name": customer.name[:200], **r["contact"]}
                for r, customer in zip(new, created, strict=True)
                if r["contact"]["email"] or r["contact"]["mobile_phone"]
            ],
        )
        return created

    def _update_contacts(self, updates) -> None:
        """A changed email or phone goes to the primary contact (created if none)."""
        missing, changed = [], []
        for r in updates:
            if not r["contact_change"]:
                continue
            primary = self.primary.get(r["pk"])
            if primary is None:
                missing.append(
                    {"customer_id": r["pk"], "name": r["values"]["name"], **r["contact"]}
                )
                continue
            values = {k: v or getattr(primary, k) for k, v in r["contact"].items()}
            changed.append((primary.pk, values))
        update_contacts(changes=changed, fields=CONTACT_CHANNELS)
        create_contacts(
            organization=self.organization,
            rows=missing,
            customers_with_contacts=set(self.primary),
        )
