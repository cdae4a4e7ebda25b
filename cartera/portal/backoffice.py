"""Back-office side of the portal: review reported payments, resolve disputes, record a
promise, issue portal links, and the list of pending payment complements (REP)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cartera.customers.selectors import get_customer_for_user
from cartera.fiscal.complements import generate_rep
from cartera.fiscal.pac import cancel_rep, stamp_rep
from cartera.fiscal.selectors import pac_name
from cartera.followup import reviews
from cartera.followup.choices import PromiseSource
from cartera.followup.promises import make_promise
from cartera.invoices import factoring
from cartera.invoices.choices import DisputeStatus, InvoiceStatus
from cartera.invoices.disputes import action_for_outcome
from cartera.invoices.models import Dispute
from cartera.invoices.selectors import get_dispute_for_user, invoices_visible_to
from cartera.lib.dates import local_today, parse_iso_date
from cartera.lib.forms import add_service_errors, clean_ids
from cartera.lib.money import parse_amount
from cartera.orgs.access import Action, can, require
from cartera.orgs.decorators import org_member_required
from cartera.outreach import notices
from cartera.payments.choices import PaymentStatus
from cartera.payments.complements import mark_stamped, pending_complements
from cartera.payments.selectors import (
    get_complement_for_user,
    get_payment_for_user,
    get_proof_for_user,
    payments_visible_to,
)

from . import access, services
from .forms import PortalSettingsForm


def _today(request):
    return local_today(request.membership.organization.timezone)


@org_member_required
def review_list(request):
    membership = request.membership
    reported = (
        payments_visible_to(membership)
        .filter(status=PaymentStatus.REPORTED)
        .select_related("customer")
        .prefetch_related("reported_invoices", "proofs")
        .order_by("date", "id")
    )
    disputes = (
        Dispute.objects.filter(
            status=DisputeStatus.OPEN, invoice__in=invoices_visible_to(membership)
        )
        .select_related("invoice", "invoice__customer")
        .order_by("opened_at")
    )
    complements = [
        row
        for row in pending_complements(membership.organization, today=_today(request))
        if payments_visible_to(membership).filter(pk=row["complement"].payment_id).exists()
    ]
    return render(
        request,
        "portal/backoffice/review.html",
        {
            "reported": reported,
            "disputes": disputes,
            "complements": complements,
            "pac_name": pac_name(membership.organization),
            "can_configure": can(membership, Action.MANAGE_ORGANIZATION),
        },
    )


@org_member_required
@require_POST
def payment_review(request, pk):
    require(request, Action.CONFIRM_PAYMENTS)
    payment = get_payment_for_user(request, pk)
    try:
        with transaction.atomic():
            if request.POST.get("decision") == "accept":
                reviews.accept_reported_payment(payment=payment, actor=request.user)
                notices.payment_received_notice(payment)
                messages.success(request, _("Pago aceptado y aplicado."))
            else:
                payment = reviews.reject_reported_payment(
                    payment=payment, actor=request.user, reason=request.POST.get("reason", "")
                )
                notices.payment_rejected_notice(payment)
                messages.success(request, _("Pago rechazado; se avisó al cliente."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("portal_admin:review")


@org_member_required
def proof_download(request, pk):
    proof = get_proof_for_user(request, pk)
    # A debtor's upload never runs in the back office's browser: always a download.
    return FileResponse(
        proof.file.open("rb"),
        as_attachment=True,
        filename=proof.original_name,
        content_type=proof.content_type,
    )


@org_member_required
@require_POST
def dispute_resolve(request, pk):
    outcome = request.POST.get("outcome", "")
    require(request, action_for_outcome(outcome))
    dispute = get_dispute_for_user(request, pk)
    note = request.POST.get("note", "")
    try:
        with transaction.atomic():
            dispute = reviews.resolve_dispute(
                dispute=dispute,
                outcome=outcome,
                actor=request.user,
                note=note,
                today=_today(request),
            )
            notices.dispute_resolved_notice(dispute, outcome=outcome, note=note)
        messages.success(request, _("Disputa resuelta."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("portal_admin:review")


@org_member_required
@require_http_methods(["GET", "POST"])
def promise_create(request, customer_pk):
    require(request, Action.ADD_NOTES)
    customer = get_customer_for_user(request, customer_pk)
    invoices = (
        invoices_visible_to(request.membership)
        .filter(customer=customer, status=InvoiceStatus.OPEN, balance__gt=0)
        .order_by("due_date", "id")
    )
    error = None
    if request.method == "POST":
        chosen = list(invoices.filter(pk__in=clean_ids(request.POST.getlist("invoices"))))
        try:
            make_promise(
                customer=customer,
                invoices=chosen,
                promised_date=parse_iso_date(request.POST.get("promised_date", "")),
                amount=parse_amount(request.POST.get("amount", "0") or "0"),
                source=PromiseSource.AGENT,
                actor=request.user,
                today=_today(request),
                notes=request.POST.get("notes", ""),
                max_days=access.settings_for(customer.organization).max_promise_days,
            )
        except (ValidationError, ValueError) as exc:
            error = " ".join(getattr(exc, "messages", [str(exc)]))
        else:
            messages.success(request, _("Promesa registrada."))
            return redirect("customers:detail", customer.pk)
    return render(
        request,
        "portal/backoffice/promise.html",
        {"customer": customer, "invoices": invoices, "error": error},
    )


@org_member_required
@require_POST
def portal_link(request, customer_pk):
    require(request, Action.EDIT_CUSTOMERS)
    customer = get_customer_for_user(request, customer_pk)
    raw = access.issue_token(customer=customer, actor=request.user)
    return render(
        request,
        "portal/backoffice/link.html",
        {"customer": customer, "url": access.portal_url(raw)},
    )


@org_member_required
@require_POST
def complement_action(request, pk):
    require(request, Action.MANAGE_COMPLEMENTS)
    complement = get_complement_for_user(request, pk)
    try:
        if request.POST.get("action") == "pac":
            stamp_rep(
                complement=complement,
                actor=request.user,
                now=timezone.now(),
                exchange_rate=request.POST.get("exchange_rate") or None,
            )
            messages.success(request, _("Complemento timbrado."))
        elif request.POST.get("action") == "cancel":
            cancel_rep(
                complement=complement,
                reason=request.POST.get("reason", ""),
                substitution_uuid=request.POST.get("substitution_uuid", ""),
                actor=request.user,
                now=timezone.now(),
            )
            messages.success(request, _("Complemento cancelado ante el SAT."))
            return redirect("payments:detail", complement.payment_id)
        elif request.POST.get("action") == "stamp":
            mark_stamped(
                complement=complement, fiscal_uuid=request.POST.get("uuid", ""), actor=request.user
            )
            messages.success(request, _("Complemento marcado como timbrado."))
        else:
            generate_rep(
                complement=complement,
                actor=request.user,
                now=timezone.now(),
                exchange_rate=request.POST.get("exchange_rate") or None,
            )
            messages.success(request, _("XML generado."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("portal_admin:review")


@org_member_required
def complement_xml(request, pk):
    complement = get_complement_for_user(request, pk)
    if not complement.xml:
        raise Http404
    response = HttpResponse(complement.xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="rep-{complement.pk}.xml"'
    return response


@org_member_required
@require_http_methods(["GET", "POST"])
def portal_settings(request):
    """The organisation's portal options (owners)."""
    require(request, Action.MANAGE_ORGANIZATION)
    organization = request.membership.organization
    current = access.settings_for(organization)
    initial = {
        "require_code": current.require_code,
        "max_promise_days": current.max_promise_days,
        "bank_accounts": current.bank_accounts,
        "clabe_prefix": current.clabe_prefix,
        "brand_color": current.brand_color,
        "factored_invoices": factoring.factored_display(organization),
        "card_provider": current.card_provider or "off",
        "cash_provider": current.cash_provider or "off",
        "spei_provider": current.spei_provider or "off",
        "conekta_webhook_public_key": current.conekta_webhook_public_key,
        "stp_empresa": current.stp_empresa,
        "stp_allowed_ips": current.stp_allowed_ips,
        "stp_unknown_clabe": current.stp_unknown_clabe,
    }
    form = PortalSettingsForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_portal_settings(
                organization=organization, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Configuración del portal guardada."))
            return redirect("portal_admin:settings")
    urls = {
        name: request.build_absolute_uri(
            reverse("portal:webhook", kwargs={"provider": name, "slug": organization.slug})
        )
        for name in ("stripe", "mercadopago", "conekta")
    }
    urls["stp"] = request.build_absolute_uri(
        reverse("stp_abono", kwargs={"slug": organization.slug})
    )
    return render(
        request,
        "portal/backoffice/settings.html",
        {"form": form, "current": current, "webhook_url": urls["stripe"], "urls": urls},
    )


@org_member_required
def portal_logo(request):
    """The organisation's own logo, for the settings page preview."""
    logo = access.settings_for(request.membership.organization).logo
    if not logo:
        raise Http404
    content_type = "image/png" if logo.name.endswith(".png") else "image/jpeg"
    return FileResponse(logo.open("rb"), content_type=content_type)
