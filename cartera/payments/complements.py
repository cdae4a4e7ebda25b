"""Mexican payment complements (REP, "Complemento de Recepción de Pagos" 2.0).

A confirmed payment applied to PPD invoices obliges the issuer to send a CFDI of type
"P" by the 5th calendar day of the following month. ``create_obligation`` records
that obligation with one line per invoice (parcialidad, previous balance, amount paid,
remaining balance); ``build_complement_xml`` writes the unsigned CFDI 4.0 XML with
satcfdi and validates it against the SAT schemas bundled with satcfdi; the
organisation's stamping provider (PAC) signs it, and ``mark_stamped`` stores its UUID.
A complement imported from CFDI XML (source ``import``) already is the stamped
document, so it never creates an obligation; and when it documents a payment Cartera
recorded itself (reported in the portal, paid online, entered by an agent),
``satisfy_by_import`` marks that payment's pending obligation stamped instead of
recording the payment twice.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cartera.invoices.choices import PaymentMethodSAT
from cartera.lib.money import round_money
from cartera.timeline import events

from .choices import ComplementStatus, PaymentMethod, PaymentSource, PaymentStatus
from .models import Allocation, Payment, PaymentComplement, PaymentComplementLine

# c_FormaPago for our payment methods
FORMA_PAGO = {
    PaymentMethod.CASH: "01",
    PaymentMethod.CHECK: "02",
    PaymentMethod.TRANSFER: "03",
    PaymentMethod.CARD: "04",
    PaymentMethod.DEPOSIT: "03",
    PaymentMethod.OTHER: "99",
}
WARN_DAYS = 3


def deadline_for(payment_date: dt.date) -> dt.date:
    """The 5th calendar day of the month after the payment."""
    first_next = (payment_date.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_next.replace(day=5)


@transaction.atomic
def create_obligation(*, payment: Payment) -> PaymentComplement | None:
    """Record the REP owed for ``payment`` (None when no PPD invoice is involved, the
    payment came from an imported complement, or the obligation already exists)."""
    if payment.source == PaymentSource.IMPORT or payment.status != PaymentStatus.CONFIRMED:
        return None
    if payment.organization.country != "MX":
        return None
    allocations = list(
        Allocation.objects.filter(payment=payment, invoice__payment_method=PaymentMethodSAT.PPD)
        .select_related("invoice")
        .order_by("id")
    )
    if not allocations:
        return None
    complement, created = PaymentComplement.objects.get_or_create(
        payment=payment,
        defaults={"organization": payment.organization, "due_date": deadline_for(payment.date)},
    )
    if not created:
        return complement
    for allocation in allocations:
        invoice = allocation.invoice
        before = Allocation.objects.filter(invoice=invoice, id__lt=allocation.id).aggregate(
            s=Sum("amount")
        )["s"] or Decimal(0)
        installment = (
            Allocation.objects.filter(
                invoice=invoice, payment__isnull=False, id__lt=allocation.id
            ).count()
            + 1
        )
        previous = invoice.total - before
        PaymentComplementLine.objects.create(
            complement=complement,
            invoice=invoice,
            installment=installment,
            previous_balance=previous,
            amount_paid=allocation.amount,
            remaining_balance=previous - allocation.amount,
        )
    events.complement_owed(complement)
    return complement


def build_complement_xml(complement: PaymentComplement, *, issued_at: dt.datetime) -> bytes:
    """The unsigned CFDI 4.0 (type P) with the Pagos 2.0 complement, validated against the
    SAT XSDs bundled with satcfdi (the seal/certificate are the PAC's job)."""
    from satcfdi.create.cfd import cfdi40, pago20

    payment = complement.payment
    org = payment.organization
    customer = payment.customer
    documents = []
    for line in complement.lines.select_related("invoice"):
        invoice = line.invoice
        if not invoice.fiscal_uuid:
            raise ValidationError(
                _("La factura %(n)s no tiene UUID fiscal.") % {"n": invoice.number}
            )
        documents.append(
            pago20.DoctoRelacionado(
                id_documento=invoice.fiscal_uuid,
                moneda_dr=invoice.currency,
                num_parcialidad=line.installment,
                imp_saldo_ant=line.previous_balance,
                imp_pagado=line.amount_paid,
                objeto_imp_dr="01",
                equivalencia_dr=Decimal(1) if invoice.currency == payment.currency else None,
                folio=invoice.number[:40],
            )
        )
    fecha_pago = dt.datetime.combine(payment.date, dt.time(12, 0))
    complemento = pago20.Pagos(
        pago=[
            pago20.Pago(
                fecha_pago=fecha_pago,
                forma_de_pago_p=FORMA_PAGO.get(payment.method, "99"),
                moneda_p=payment.currency,
                docto_relacionado=documents,
                tipo_cambio_p=Decimal(1) if payment.currency == "MXN" else None,
                num_operacion=(payment.reference or None) and payment.reference[:100],
            )
        ]
    )
    postal_code = getattr(org, "fiscal_postal_code", "") or customer.fiscal_postal_code or "00000"
    comprobante = cfdi40.Comprobante.pago(
        emisor=cfdi40.Emisor(
            rfc=org.tax_id,
            nombre=org.name.upper()[:254],
            regimen_fiscal=getattr(org, "tax_regime", "") or "601",
        ),
        lugar_expedicion=postal_code,
        receptor=cfdi40.Receptor(
            rfc=customer.tax_id or "XAXX010101000",
            nombre=(customer.legal_name or customer.name).upper()[:254],
            domicilio_fiscal_receptor=customer.fiscal_postal_code or postal_code,
            regimen_fiscal_receptor=customer.tax_regime or "601",
            uso_cfdi="CP01",
        ),
        complemento_pago=complemento,
        serie="REP",
        folio=str(complement.pk),
        fecha=issued_at.replace(tzinfo=None, microsecond=0),
    )
    # NoCertificado, Certificado and Sello are filled by the seal (the PAC's job); the
    # rest of the document is validated against the XSD with a placeholder certificate
    # number, then written out unsigned.
    unsigned = {key: comprobante.get(key) for key in ("NoCertificado", "Certificado", "Sello")}
    comprobante["NoCertificado"] = "0" * 20
    comprobante.xml_bytes(validate=True)
    for key, value in unsigned.items():
        comprobante[key] = value
    return comprobante.xml_bytes(pretty_print=True)


@transaction.atomic
def generate_complement(*, complement: PaymentComplement, actor, now: dt.datetime | None = None):
    now = now or timezone.now()
    if complement.status == ComplementStatus.STAMPED:
        raise ValidationError(_("El complemento ya está timbrado."))
    xml = build_complement_xml(complement, issued_at=now)
    PaymentComplement.objects.filter(pk=complement.pk).update(
        xml=xml.decode(), status=ComplementStatus.GENERATED, generated_at=now
    )
    complement.refresh_from_db()
    events.complement_generated(complement, actor=actor)
    return complement


@transaction.atomic
def mark_stamped(*, complement: PaymentComplement, fiscal_uuid: str, actor) -> PaymentComplement:
    fiscal_uuid = (fiscal_uuid or "").strip().upper()
    if len(fiscal_uuid) != 36:
        raise ValidationError({"fiscal_uuid": _("El UUID debe tener 36 caracteres.")})
    PaymentComplement.objects.filter(pk=complement.pk).update(
        status=ComplementStatus.STAMPED, fiscal_uuid=fiscal_uuid, stamped_at=timezone.now()
    )
    complement.refresh_from_db()
    events.complement_stamped(complement, actor=actor, fiscal_uuid=fiscal_uuid)
    return complement


def pending_complements(organization, *, today: dt.date) -> list[dict]:
    """Not-yet-stamped complements with their alert: ``overdue``, ``due_soon`` or ``ok``."""
    rows = []
    for complement in (
        PaymentComplement.objects.filter(organization=organization)
        .exclude(status=ComplementStatus.STAMPED)
        .select_related("payment", "payment__customer")
        .order_by("due_date", "id")
    ):
        days_left = (complement.due_date - today).days
        alert = "overdue" if days_left < 0 else "due_soon" if days_left <= WARN_DAYS else "ok"
        rows.append({"complement": complement, "days_left": days_left, "alert": alert})
    return rows


MATCH_DAYS = 7  # an imported REP's FechaPago may differ a little from the recorded date


@transaction.atomic
def satisfy_by_import(
    *,
    organization,
    customer,
    fiscal_uuid: str,
    date: dt.date,
    amount: Decimal,
    currency: str,
    documents: list[dict],
    actor,
) -> tuple[PaymentComplement | None, bool]:
    """An imported, already stamped payment complement (CFDI type P) for a payment Cartera
    recorded itself satisfies that payment's pending obligation: same customer, currency
    and amount, and the same invoices (fiscal UUIDs) with the same amounts paid.

    The obligation is marked ``stamped`` with the imported UUID and the import must not
    record the payment a second time. Returns (complement or None, newly satisfied):
    importing the same CFDI again finds the already satisfied complement."""
    fiscal_uuid = fiscal_uuid.upper()
    wanted = sorted(
        (d["uuid"].upper(), round_money(Decimal(d["paid"] or 0), currency)) for d in documents
    )
    candidates = (
        PaymentComplement.objects.select_for_update()
        .filter(
            organization=organization,
            payment__customer=customer,
            payment__currency=currency,
            payment__amount=round_money(Decimal(amount), currency),
            payment__date__range=(
                date - dt.timedelta(days=MATCH_DAYS),
                date + dt.timedelta(days=MATCH_DAYS),
            ),
        )
        .select_related("payment")
        .order_by("id")
    )
    matches = []
    for complement in candidates:
        if complement.status == ComplementStatus.STAMPED and complement.fiscal_uuid != fiscal_uuid:
            continue
        lines = sorted(
            (line.invoice.fiscal_uuid.upper(), line.amount_paid)
            for line in complement.lines.select_related("invoice")
        )
        if lines == wanted:
            matches.append(complement)
    if not matches:
        return None, False
    already = [c for c in matches if c.fiscal_uuid == fiscal_uuid]
    if already:
        return already[0], False
    complement = min(matches, key=lambda c: (abs((c.payment.date - date).days), c.id))
    now = timezone.now()
    PaymentComplement.objects.filter(pk=complement.pk).update(
        status=ComplementStatus.STAMPED, fiscal_uuid=fiscal_uuid, stamped_at=now
    )
    complement.refresh_from_db()
    events.complement_imported(complement, actor=actor, fiscal_uuid=fiscal_uuid)
    return complement, True
