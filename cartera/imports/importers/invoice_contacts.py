"""The contact columns of an invoice file (e-mail, phone, WhatsApp, contact name): which
contacts they add to the invoices' customers, and which blank contact points they fill.

The rule (docs/import.md, "Contacts in invoice files"): a contact point the customer
already has (same e-mail, phone or WhatsApp) is never added twice; a different one is
added as an extra contact (the customer's first contact becomes primary, see
``cartera.customers.bulk``); an existing contact only gets its blank points filled,
never a value overwritten."""

from cartera.customers.models import Contact

from .base import check_email, check_phone

CHANNELS = ("email", "mobile_phone", "whatsapp")


def contact_from_row(sheet, cells, customer: dict) -> dict | None:
    """The validated contact a row names (None when its e-mail, phone and WhatsApp cells
    are blank: a name alone reaches nobody)."""
    country = customer.get("country") or ""
    values = {
        "email": check_email(sheet.text(cells, "email")),
        "mobile_phone": check_phone(sheet.text(cells, "phone"), country),
        "whatsapp": check_phone(sheet.text(cells, "whatsapp"), country, "whatsapp"),
    }
    if not any(values.values()):
        return None
    name = sheet.text(cells, "contact_name") or customer.get("name") or ""
    return {"customer": customer, "name": name[:200], **values}


class ContactPlan:
    """The contacts an invoice file adds or completes, decided row by row (no writes)."""

    def __init__(self, organization):
        self.points: dict[tuple, dict] = {}  # (customer, channel, value) → contact
        self.new: list[dict] = []
        self.filled: dict[int, dict] = {}  # existing contact pk → its completed points
        for contact in Contact.objects.filter(organization=organization).values(
            "pk", "customer_id", *CHANNELS
        ):
            self._index(contact["customer_id"], contact)

    def _index(self, customer_key, contact: dict) -> None:
        for channel in CHANNELS:
            if contact[channel]:
                self.points.setdefault((customer_key, channel, contact[channel]), contact)

    @staticmethod
    def _customer_key(customer: dict):
        # New customers have no id yet; their info dict is shared by all their rows.
        return customer["id"] if customer["id"] else f"new:{customer['key']}"

    def add(self, contact: dict) -> None:
        key = self._customer_key(contact["customer"])
        found = next(
            (
                self.points[(key, c, contact[c])]
                for c in CHANNELS
                if contact[c] and (key, c, contact[c]) in self.points
            ),
            None,
        )
        if found is None:
            self.new.append(contact)
            self._index(key, contact)
            return
        blanks = [c for c in CHANNELS if contact[c] and not found[c]]
        if not blanks:
            return
        for channel in blanks:
            found[channel] = contact[channel]
        self._index(key, found)
        if "pk" in found:
            self.filled[found["pk"]] = {c: found[c] for c in CHANNELS}

    def rows_to_create(self) -> list[dict]:
        """Rows for ``cartera.customers.bulk.add_contacts`` (customers created by then)."""
        return [
            {
                "customer_id": c["customer"]["id"],
                "name": c["name"],
                **{channel: c[channel] for channel in CHANNELS},
            }
            for c in self.new
        ]
