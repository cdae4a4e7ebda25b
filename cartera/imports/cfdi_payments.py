"""CFDI payment complements (Pagos 1.0 and 2.0): each ``Pago`` becomes a payment (or
satisfies the complement of one Cartera already has), allocated to the documents it
names; a document not in Cartera yet waits as a ``PendingAllocation``."""

from decimal import Decimal

from cartera.invoices.models import Invoice
from cartera.lib.money import SUPPORTED_CURRENCIES, round_money
from cartera.payments.choices import PaymentMethod, PaymentSource
from cartera.payments.complements import satisfy_by_import
from cartera.payments.models import Payment
from cartera.payments.services import record_payment

from .cfdi_reader import CfdiProblem
from .models import PendingAllocation
from .pending import apply_document
from .problem_text import gettext as _

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
            if self._already_recorded(external_id, pago):
                continue
            if self._satisfies_existing(doc, customer, pago):
                continue
            self._record(doc, customer, pago, external_id)
            created_any = True
        if created_any:
            self.run.outcome.created += 1
        else:
            self.run.outcome.unchanged += 1
            self.run.mark(doc, "unchanged")

    def _already_recorded(self, external_id, pago) -> bool:
        keys = [external_id] + [
            f"{external_id}-{currency}" for currency in _foreign_currencies(pago)
        ]
        return Payment.objects.filter(organization=self.organization, external_id__in=keys).exists()

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
        """One payment in the payment's currency for the documents in that currency (and
        what is left over); one payment per other currency for the documents paid across
        currencies, of what the complement says each document received (ImpPagado, in
        the document's currency), so every invoice is paid in its own currency."""
        currency = pago["currency"]
        if currency not in SUPPORTED_CURRENCIES:
            raise CfdiProblem(_("Moneda del pago «%(c)s» no soportada.") % {"c": currency})
        own = [d for d in pago["documents"] if (d["currency"] or currency) == currency]
        foreign = _foreign_currencies(pago)
        left = round_money(
            pago["amount"]
            - sum(_in_payment_currency(d) for d in pago["documents"] if d not in own),
            currency,
        )
        if left > 0 or not foreign:
            payment = self._payment(doc, customer, pago, external_id, left, currency)
            for document in own:
                self._allocate(doc, payment, document)
        for other in foreign:
            documents = [d for d in pago["documents"] if d["currency"] == other]
            amount = round_money(sum(d["paid"] for d in documents), other)
            payment = self._payment(
                doc, customer, pago, f"{external_id}-{other}", amount, other, paid_in=currency
            )
            for document in documents:
                self._allocate(doc, payment, document)

    def _payment(self, doc, customer, pago, external_id, amount, currency, paid_in=""):
        notes = ""
        if paid_in:
            notes = _(
                "Pagado en %(p)s: %(amount)s en total (CFDI de pago %(uuid)s); aquí el "
                "equivalente en %(c)s de los documentos en esa moneda."
            ) % {"p": paid_in, "amount": pago["amount"], "uuid": doc.uuid, "c": currency}
        return record_payment(
            customer=customer,
            actor=self.actor,
            date=pago["date"],
            amount=amount,
            currency=currency,
            method=FORMA_TO_METHOD.get(pago["form"], PaymentMethod.OTHER),
            reference=(pago["reference"] or doc.number)[:120],
            external_id=external_id[:64],
            source=PaymentSource.CFDI,
            notes=notes,
        )

    def _allocate(self, doc, payment, document) -> None:
        paid = round_money(document["paid"] or Decimal(0), payment.currency)
        invoice = Invoice.objects.filter(
            organization=self.organization, fiscal_uuid=document["uuid"]
        ).first()
        if invoice is None:
            self._wait(doc, payment, document, paid)
            return
        if invoice.currency != payment.currency:
            raise CfdiProblem(
                _(
                    "El complemento dice que el documento %(uuid)s está en %(dr)s, pero la "
                    "factura %(n)s está en %(inv)s."
                )
                % {
                    "uuid": document["uuid"],
                    "dr": payment.currency,
                    "n": invoice.number,
                    "inv": invoice.currency,
                }
            )
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


def _foreign_currencies(pago) -> list[str]:
    """Currencies of the documents a payment pays across currencies, each one checked."""
    currencies = []
    for document in pago["documents"]:
        other = document["currency"]
        if not other or other == pago["currency"] or other in currencies:
            continue
        if other not in SUPPORTED_CURRENCIES:
            raise CfdiProblem(
                _("El documento %(uuid)s está en la moneda «%(c)s», que Cartera no maneja.")
                % {"uuid": document["uuid"], "c": other}
            )
        currencies.append(other)
    return currencies


def _in_payment_currency(document) -> Decimal:
    """What a document in another currency took of the payment (ImpPagado divided by
    EquivalenciaDR/TipoCambioDR, the document's units per unit of the payment)."""
    if not document["equivalence"]:
        raise CfdiProblem(
            _(
                "El documento %(uuid)s está en otra moneda que el pago y el complemento no trae "
                "EquivalenciaDR (TipoCambioDR en Pagos 1.0)."
            )
            % {"uuid": document["uuid"]}
        )
    if document["paid"] is None:
        raise CfdiProblem(
            _("El complemento no dice cuánto se pagó del documento %(uuid)s (ImpPagado).")
            % {"uuid": document["uuid"]}
        )
    return document["paid"] / document["equivalence"]
