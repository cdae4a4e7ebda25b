"""Contacts of known customers from a spreadsheet, written through ``cartera.customers.bulk``."""

from django.utils.translation import gettext_lazy

from cartera.customers.bulk import create_contacts, update_contacts
from cartera.customers.choices import ContactRole
from cartera.customers.models import Contact

from ..problem_text import gettext as _
from ..rows import CustomerIndex, RowError
from ..values import fold
from .base import BaseImporter, check_email, check_phone, count_for

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
CHANNELS = ("email", "mobile_phone", "whatsapp")


class ContactImporter(BaseImporter):
    kind = "contacts"
    key_fields = ("customer", "name")
    CHANGEABLE = ("name", "role", *CHANNELS)

    def kind_label(self):
        return gettext_lazy("contactos")

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
            "email": check_email(sheet.text(cells, "email")),
            "mobile_phone": check_phone(sheet.text(cells, "phone"), country),
            "whatsapp": check_phone(sheet.text(cells, "whatsapp"), country, "whatsapp"),
        }
        self._not_repeated(number, customer["id"], values["email"], name)
        existing = (
            self.by_email.get((customer["id"], values["email"])) if values["email"] else None
        ) or self.by_name.get((customer["id"], fold(name)))
        if existing is None:
            return {"action": "create", "customer_id": customer["id"], "values": values}
        return self._compare(existing, values, keep_role=not role_text)

    def _not_repeated(self, number, customer_id, email, name) -> None:
        key = (customer_id, email or fold(name))
        if key in self.seen:
            raise RowError(
                "email" if email else "name",
                email or name,
                _("Contacto repetido en el archivo (también en la fila %(row)s).")
                % {"row": self.seen[key]},
            )
        self.seen[key] = number

    def _compare(self, existing, values, *, keep_role: bool):
        for k in CHANNELS:
            if not values[k]:
                values[k] = existing[k]
        if keep_role:
            values["role"] = existing["role"]
        if all(values[k] == existing[k] for k in self.CHANGEABLE):
            return {"action": "unchanged"}
        return {
            "action": "update",
            "pk": existing["pk"],
            "customer_id": existing["customer_id"],
            "values": values,
        }

    def write(self):
        new = self.records_for("create")
        create_contacts(
            organization=self.organization,
            rows=[{"customer_id": r["customer_id"], **r["values"]} for r in new],
            customers_with_contacts=self.has_contacts,
        )
        updates = self.records_for("update")
        update_contacts(changes=[(r["pk"], r["values"]) for r in updates], fields=self.CHANGEABLE)
        per_customer: dict[int, dict] = {}
        for r in new:
            count_for(per_customer, r["customer_id"], "created")
        for r in updates:
            count_for(per_customer, r["customer_id"], "updated")
        self.summarize(per_customer)
        return []
