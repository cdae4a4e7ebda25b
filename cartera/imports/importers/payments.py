"""Payments from a spreadsheet: each one through ``cartera.payments.services`` (record,
then allocate), so every ledger rule is enforced there."""

import hashlib

from cartera.customers.models import Customer
from cartera.invoices.models import Invoice
from cartera.lib.money import round_money
from cartera.payments.choices import PaymentMethod, PaymentSource
from cartera.payments.models import Payment
from cartera.payments.services import allocate_oldest_first, record_payment

from ..problem_text import gettext as _
from ..rows import CustomerIndex, RowError
from ..values import fold
from .base import BaseImporter

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
PROGRESS_EVERY = 200


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

    # one row --------------------------------------------------------------------------
    def check_row(self, number, cells):
        sheet = self.sheet
        reference_text = self.required_text(cells, "customer")
        customer = self.customers.find(reference_text)
        if customer is None:
            raise RowError("customer", reference_text, _("Cliente desconocido."))
        date = sheet.date(cells, "date")
        if date is None:
            raise RowError("date", "", _("Falta la fecha del pago."))
        amount, currency = self._amount(cells)
        values = {
            "customer_id": customer["id"],
            "date": date,
            "amount": amount,
            "currency": currency,
            "method": self._method(cells),
            "reference": sheet.text(cells, "reference")[:120],
        }
        targets = self._targets(cells, customer["id"], currency)
        external_id = self._external_id(number, cells, values)
        existing = self.existing.get(external_id.upper())
        if existing is None:
            return {
                "action": "create",
                "external_id": external_id[:64],
                **values,
                "targets": targets,
            }
        return self._compare(existing, values, external_id)

    def _amount(self, cells):
        amount = self.sheet.money(cells, "amount")
        if amount is None:
            raise RowError("amount", "", _("Falta el importe."))
        currency = self.currency(cells)
        amount = round_money(amount, currency)
        if amount <= 0:
            raise RowError(
                "amount", self.sheet.text(cells, "amount"), _("El importe debe ser mayor que cero.")
            )
        return amount, currency

    def _method(self, cells):
        method_text = self.sheet.text(cells, "method")
        method = METHOD_WORDS.get(
            fold(method_text), PaymentMethod.TRANSFER if not method_text else None
        )
        if method is None:
            raise RowError("method", method_text, _("Forma de pago no reconocida."))
        return method

    def _targets(self, cells, customer_id, currency) -> list[int]:
        refs = [p.strip() for p in self.sheet.text(cells, "invoices").split("|") if p.strip()]
        targets = []
        for ref in refs:
            invoice = self.invoices.get((customer_id, ref.upper()))
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
        return targets

    def _external_id(self, number, cells, values) -> str:
        external_id = self.sheet.text(cells, "external_id")
        if not external_id:
            # Without a key the row's own content is its identity, so re-importing the
            # same file finds it again.
            basis = "|".join(
                str(values[k]) for k in ("customer_id", "date", "amount", "currency", "reference")
            )
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
        return external_id

    def _compare(self, existing, values, external_id):
        key = ("customer_id", "date", "amount", "currency")
        if any(existing[k] != values[k] for k in key):
            raise RowError(
                "external_id",
                external_id,
                _(
                    "El pago ya se importó con otro cliente, fecha, importe o moneda; un pago registrado no se modifica."
                ),
            )
        reference = values["reference"] or existing["reference"]
        if (existing["method"], existing["reference"]) == (values["method"], reference):
            return {"action": "unchanged"}
        return {
            "action": "update",
            "pk": existing["pk"],
            "method": values["method"],
            "reference": reference,
        }

    # writing --------------------------------------------------------------------------
    def write(self):
        customers = {
            c.pk: c
            for c in Customer.objects.filter(
                pk__in={r["customer_id"] for r in self.records_for("create")}
            ).select_related("organization")
        }
        for r in self.records_for("update"):
            Payment.objects.filter(pk=r["pk"]).update(method=r["method"], reference=r["reference"])
        for done, r in enumerate(self.records_for("create"), start=1):
            self._record(customers[r["customer_id"]], r)
            if done % PROGRESS_EVERY == 0:
                self.progress(done, len(self.records))
        return []

    def _record(self, customer, r) -> None:
        payment = record_payment(
            customer=customer,
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
