"""CFDI payment complements (Pagos 1.0 and 2.0): each ``Pago`` becomes a payment (or
satisfies the complement of one Cartera already has), allocated to the documents it
names; a document not in Cartera yet waits as a ``PendingAllocation``."""

from decimal import Decimal

from django.utils.translation import gettext as _

from cartera.invoices.models import Invoice
from cartera.lib.money import SUPPORTED_CURRENCIES, round_money
from cartera.payments.choices import PaymentMethod, PaymentSource
from cartera.payments.complements import satisfy_by_import
from cartera.payments.models import Payment
from cartera.payments.services import record_payment

from .cfdi_reader import CfdiProblem
from .models import PendingAllocation
from .pending import apply_document

FORMA_TO_METHOD = {
    "01": PaymentMethod.CASH,
    "02": PaymentMethod.CHECK,
    "03": PaymentMethod.TRANSFER,
    "04": PaymentMethod.CARD,
    "28": PaymentMethod.CARD,
}


class PaymentComplements:
    """Applies the payment CFDIs of one import (``run`` is the ``CfdiImport``)."""

    def __init__(self, run):
        self.run = run
        self.organization = run.organization
        self.actor = run.actor

    def apply(self, doc) -> None:
        if not doc.payments:
            raise CfdiProblem(_("El CFDI de pago no tiene complemento de pagos."))
        customer = self.run.customers[doc.receptor_rfc]
        created_any = False
        for index, pago in enumerate(doc.payments, start=1):
            external_id = doc.uuid if len(doc.payments) == 1 else f"{doc.uuid}-{index}"
            if Payment.objects.filter(
                organization=self.organization, external_id=external_id
            ).exists():
                continue
            if self._satisfies_existing(doc, customer, pago):
                continue
            self._record(doc, customer, pago, external_id)
            created_any = True
        if created_any:
            self.run.outcome.created += 1
        else:
            self.run.outcome.unchanged += 1

    def _satisfies_existing(self, doc, customer, pago) -> bool:
        """The REP of a payment Cartera already has satisfies that payment's obligation."""
        complement, satisfied = satisfy_by_import(
            organization=self.organization,
            customer=customer,
            fiscal_uuid=doc.uuid,
            date=pago["date"],
            amount=pago["amount"] or Decimal(0),
            currency=pago["currency"],
            documents=pago["documents"],
            actor=self.actor,
        )
        if complement is None:
            return False
        self.run.outcome.updated += satisfied
        return True

    def _record(self, doc, customer, pago, external_id) -> None:
        if pago["currency"] not in SUPPORTED_CURRENCIES:
            raise CfdiProblem(_("Moneda %(c)s no soportada.") % {"c": pago["currency"]})
        payment = record_payment(
            customer=customer,
            actor=self.actor,
            date=pago["date"],
            amount=pago["amount"],
            currency=pago["currency"],
            method=FORMA_TO_METHOD.get(pago["form"], PaymentMethod.OTHER),
            reference=(pago["reference"] or doc.number)[:120],
            external_id=external_id,
            source=PaymentSource.IMPORT,
        )
        for document in pago["documents"]:
            self._allocate(doc, payment, document)

    def _allocate(self, doc, payment, document) -> None:
        if document["currency"] != payment.currency:
            self.run.problem(
                doc,
                _(
                    "El documento %(uuid)s está en %(dr)s y el pago en %(p)s; el importe "
                    "queda como saldo a favor."
                )
                % {"uuid": document["uuid"], "dr": document["currency"], "p": payment.currency},
                "warning",
            )
            return
        paid = round_money(document["paid"] or Decimal(0), payment.currency)
        invoice = Invoice.objects.filter(
            organization=self.organization, fiscal_uuid=document["uuid"]
        ).first()
        if invoice is None:
            self._wait(doc, payment, document, paid)
            return
        for message in apply_document(
            payment, invoice, paid, document["before"], document["after"], self.actor
        ):
            self.run.problem(doc, message, "warning")

    def _wait(self, doc, payment, document, paid) -> None:
        PendingAllocation.objects.create(
            organization=self.organization,
            batch=self.run.batch,
            payment=payment,
            invoice_uuid=document["uuid"],
            amount=paid,
            currency=payment.currency,
            previous_balance=document["before"],
            remaining_balance=document["after"],
            installment=document["installment"],
        )
        self.run.problem(
            doc,
            _(
                "La factura %(uuid)s aún no está en Cartera; el pago queda en espera "
                "y se aplicará cuando se importe."
            )
            % {"uuid": document["uuid"]},
            "warning",
        )
