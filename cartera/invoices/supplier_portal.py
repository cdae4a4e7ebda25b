"""An invoice's status in the buyer's own supplier portal (portal de proveedores): many
large buyers pay only invoices uploaded, received and approved there.

``record_portal_status`` writes one history row (``SupplierPortalStatus``) and the
invoice's current ``portal_status``, with its timeline entry. Its effects on collection (a
rejection opens a dispute, an approval or a scheduled payment with a date becomes a
promise to pay) belong to apps above this one: ``cartera.followup.supplier_portals``
composes them with this service.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cartera.timeline import events

from .choices import InvoiceStatus, PortalStatusSource, SupplierPortalState
from .models import Invoice, SupplierPortalStatus


def check_portal_status(
    *, status: str, reason: str = "", payment_date: dt.date | None = None
) -> None:
    """What a status needs: a known status, a reason for a rejection, a date for a
    scheduled payment (a ValidationError naming the field)."""
    if status not in SupplierPortalState.values:
        raise ValidationError({"status": _("Estado del portal desconocido.")})
    if status == SupplierPortalState.REJECTED and not (reason or "").strip():
        raise ValidationError({"reason": _("Indique el motivo del rechazo.")})
    if status == SupplierPortalState.SCHEDULED and payment_date is None:
        raise ValidationError({"payment_date": _("Indique la fecha de pago programada.")})


def latest_portal_status(invoice: Invoice) -> SupplierPortalStatus | None:
    return SupplierPortalStatus.objects.filter(invoice=invoice).order_by("-date", "-id").first()


@transaction.atomic
def record_portal_status(
    *,
    invoice: Invoice,
    status: str,
    date: dt.date,
    actor,
    source: str = PortalStatusSource.MANUAL,
    reason: str = "",
    payment_date: dt.date | None = None,
) -> SupplierPortalStatus | None:
    """Record the invoice's new status in the buyer's portal. The same status again (same
    payment date and reason as the latest) changes nothing and returns None."""
    reason = (reason or "").strip()
    check_portal_status(status=status, reason=reason, payment_date=payment_date)
    if source not in PortalStatusSource.values:
        raise ValueError(f"unknown portal status source {source!r}")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status == InvoiceStatus.VOID:
        raise ValidationError(_("Una factura cancelada no se puede modificar."))
    latest = latest_portal_status(invoice)
    if latest is not None and (latest.status, latest.payment_date, latest.reason) == (
        status,
        payment_date,
        reason,
    ):
        return None
    entry = SupplierPortalStatus.objects.create(
        organization=invoice.organization,
        invoice=invoice,
        status=status,
        date=date,
        reason=reason[:2000],
        payment_date=payment_date,
        source=source,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    # The current status is the latest by date (an older status entered late is history).
    Invoice.objects.filter(pk=invoice.pk).update(portal_status=latest_portal_status(invoice).status)
    events.supplier_portal_status(entry, actor=actor)
    return entry
