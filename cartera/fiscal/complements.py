"""The REP of a payment Cartera recorded: read the obligation (``payments.complements``),
the organisation's fiscal data and CSD, the customer's fiscal data and each invoice's own
stamped XML; build and sign it (``rep.build_rep``); hand the XML back to payments."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cartera.invoices.choices import AttachmentKind
from cartera.invoices.models import InvoiceAttachment
from cartera.payments.complements import (
    FORMA_PAGO,
    require_complement_manager,
    store_complement_xml,
)
from cartera.payments.models import PaymentComplement

from .csd import signer_for
from .rep import RepDocument, RepIssuer, RepPayment, RepReceiver, build_rep
from .selectors import fiscal_profile

SERIES = "REP"


def issuer_and_signer(organization):
    profile = fiscal_profile(organization)
    if profile is None or not profile.has_csd:
        raise ValidationError(
            _("Capture los datos fiscales y el CSD de la organización antes de emitir el REP.")
        )
    issuer = RepIssuer(
        rfc=profile.rfc,
        name=profile.legal_name,
        regime=profile.tax_regime,
        postal_code=profile.postal_code,
    )
    return issuer, signer_for(profile)


def receiver_of(customer) -> RepReceiver:
    missing = [
        label
        for label, value in (
            (_("RFC"), customer.tax_id),
            (_("código postal fiscal"), customer.fiscal_postal_code),
            (_("régimen fiscal"), customer.tax_regime),
        )
        if not value
    ]
    if missing:
        raise ValidationError(
            _("Al cliente %(name)s le falta: %(missing)s.")
            % {"name": customer.name, "missing": ", ".join(str(m) for m in missing)}
        )
    return RepReceiver(
        rfc=customer.tax_id,
        name=(customer.legal_name or customer.name).upper()[:254],
        postal_code=customer.fiscal_postal_code,
        regime=customer.tax_regime,
    )


def _invoice_xml(invoice) -> bytes | None:
    attachment = (
        InvoiceAttachment.objects.filter(invoice=invoice, kind=AttachmentKind.XML)
        .order_by("-id")
        .first()
    )
    if attachment is None:
        return None
    with attachment.file.open("rb") as handle:
        return handle.read()


def _documents(complement) -> list[RepDocument]:
    documents = []
    for line in complement.lines.select_related("invoice").order_by("id"):
        invoice = line.invoice
        if not invoice.fiscal_uuid:
            raise ValidationError(
                _("La factura %(n)s no tiene UUID fiscal.") % {"n": invoice.number}
            )
        documents.append(
            RepDocument(
                uuid=invoice.fiscal_uuid,
                currency=invoice.currency,
                installment=line.installment,
                previous_balance=line.previous_balance,
                amount_paid=line.amount_paid,
                invoice_xml=_invoice_xml(invoice),
                folio=invoice.number,
            )
        )
    return documents


def _rate(value) -> Decimal | None:
    if not value:
        return None
    try:
        rate = Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        rate = Decimal(0)
    if not rate.is_finite() or rate <= 0:
        raise ValidationError(_("El tipo de cambio debe ser un número mayor que cero."))
    return rate


def rep_for(complement: PaymentComplement, *, issued_at: dt.datetime, exchange_rate=None):
    """The signed REP (satcfdi ``CFDI``) for an obligation."""
    payment = complement.payment
    issuer, signer = issuer_and_signer(payment.organization)
    documents = _documents(complement)
    rep_payment = RepPayment(
        date=payment.date,
        form=FORMA_PAGO.get(payment.method, "99"),
        currency=payment.currency,
        amount=sum((d.amount_paid for d in documents), Decimal(0)),
        documents=documents,
        exchange_rate=_rate(exchange_rate),
        reference=payment.reference,
    )
    return build_rep(
        issuer=issuer,
        receiver=receiver_of(payment.customer),
        payment=rep_payment,
        series=SERIES,
        folio=str(complement.pk),
        issued_at=issued_at,
        signer=signer,
    )


def generate_rep(
    *, complement: PaymentComplement, actor, now: dt.datetime, exchange_rate=None
) -> PaymentComplement:
    """Build, sign and keep the REP XML of an obligation (not stamped yet)."""
    require_complement_manager(actor, complement.organization)
    rep = rep_for(complement, issued_at=now, exchange_rate=exchange_rate)
    return store_complement_xml(
        complement=complement, xml=rep.xml_bytes(pretty_print=True), actor=actor, now=now
    )
