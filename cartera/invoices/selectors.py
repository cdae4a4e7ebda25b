"""Permission-scoped reads of invoices and credit notes."""

from django.http import Http404

from cartera.orgs.access import restricted_to_assigned

from .models import CreditNote, Invoice, InvoiceAttachment


def _scope(queryset, membership):
    if membership is None:
        return queryset.none()
    queryset = queryset.filter(organization_id=membership.organization_id)
    if restricted_to_assigned(membership):
        queryset = queryset.filter(customer__assigned_agent_id=membership.user_id)
    return queryset


def invoices_visible_to(membership):
    return _scope(Invoice.objects.all(), membership)


def credit_notes_visible_to(membership):
    return _scope(CreditNote.objects.all(), membership)


def get_invoice_for_user(request, pk) -> Invoice:
    invoice = (
        invoices_visible_to(getattr(request, "membership", None))
        .select_related("customer")
        .filter(pk=pk)
        .first()
    )
    if invoice is None:
        raise Http404
    return invoice


def get_credit_note_for_user(request, pk) -> CreditNote:
    note = credit_notes_visible_to(getattr(request, "membership", None)).filter(pk=pk).first()
    if note is None:
        raise Http404
    return note


def get_attachment_for_user(request, pk) -> InvoiceAttachment:
    visible = invoices_visible_to(getattr(request, "membership", None))
    attachment = InvoiceAttachment.objects.filter(pk=pk, invoice__in=visible).first()
    if attachment is None:
        raise Http404
    return attachment
