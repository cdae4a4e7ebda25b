"""Payment requests ("cobros"): the back office creates, sends, lists and cancels them;
the debtor opens ``/p/cobro/<token>/`` without logging in (the token is the key) and
pays the request's amount through the existing checkout flow."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cartera.customers.selectors import get_customer_for_user
from cartera.dunning.request_messages import (
    REQUEST_CHANNELS,
    local_expiry,
    reachable_channels,
    request_messages,
    resend_request,
    send_request,
)
from cartera.invoices.choices import InvoiceStatus
from cartera.lib.dates import local_today, parse_iso_date
from cartera.lib.forms import clean_ids
from cartera.lib.money import parse_amount
from cartera.orgs.access import Action, require
from cartera.orgs.decorators import org_member_required
from cartera.outreach.choices import MessageChannel
from cartera.payments import payment_requests as service
from cartera.payments.choices import OnlineMethod, OnlineProvider, PaymentRequestStatus
from cartera.payments.online import start_checkout
from cartera.payments.providers.base import ProviderError
from cartera.payments.providers.registry import provider_for_method

from . import access
from .views import not_found, too_many


def request_methods(portal_settings) -> list[str]:
    """Online methods a request may offer: the enabled ones that open a checkout (SPEI
    through STP pays the customer's CLABE, which no request can be told apart by)."""
    methods = list(portal_settings.online_methods)
    if portal_settings.spei_provider == OnlineProvider.STP and OnlineMethod.SPEI in methods:
        methods.remove(OnlineMethod.SPEI)
    return methods


def public_url(raw: str) -> str:
    return settings.BASE_URL + reverse("portal:payment_request", args=[raw])


# --- back office ---------------------------------------------------------------------------
@org_member_required
def request_list(request):
    rows = service.requests_visible_to(request.membership).select_related("customer")
    status = request.GET.get("status", "")
    if status in PaymentRequestStatus.values:
        rows = rows.filter(status=status)
    customer = clean_ids(request.GET.getlist("customer"))
    if customer:
        rows = rows.filter(customer_id__in=customer)
    return render(
        request,
        "portal/backoffice/requests.html",
        {
            "rows": rows.prefetch_related("invoices")[:200],
            "statuses": PaymentRequestStatus.choices,
            "status": status,
        },
    )


def _parse_form(post):
    amount_text = (post.get("amount") or "").strip()
    expires_text = (post.get("expires_on") or "").strip()
    try:
        amount = parse_amount(amount_text) if amount_text else None
    except (ValueError, ArithmeticError):
        raise ValidationError({"amount": _("Escriba un importe válido.")}) from None
    try:
        expires_on = parse_iso_date(expires_text) if expires_text else None
    except ValueError:
        raise ValidationError({"expires_on": _("Escriba una fecha válida (AAAA-MM-DD).")}) from None
    return amount, expires_on


@org_member_required
@require_http_methods(["GET", "POST"])
def request_create(request, customer_pk):
    require(request, Action.RECORD_PAYMENTS)
    source = request.POST if request.method == "POST" else request.GET
    customer = get_customer_for_user(request, customer_pk)
    organization = request.membership.organization
    enabled = request_methods(access.settings_for(organization))
    today = local_today(organization.timezone)
    open_invoices = list(
        customer.invoices.filter(status=InvoiceStatus.OPEN, balance__gt=0).order_by("due_date")
    )
    errors = []
    if request.method == "POST":
        ids = set(clean_ids(request.POST.getlist("invoices")))
        chosen = [i for i in customer.invoices.filter(pk__in=ids)]
        if len(chosen) != len(ids):
            errors.append(_("Las facturas deben ser de este cliente."))
        try:
            if errors:
                raise ValidationError(errors)
            amount, expires_on = _parse_form(request.POST)
            created, raw = service.create_request(
                user=request.user,
                customer=customer,
                invoices=chosen,
                methods=request.POST.getlist("methods"),
                enabled_methods=enabled,
                today=today,
                amount=amount,
                expires_on=expires_on,
            )
        except ValidationError as exc:
            errors = exc.messages
        else:
            sent = _send_channels(request, created, raw, request.POST.getlist("channels"))
            return _created_page(request, created, raw, sent)
    return render(
        request,
        "portal/backoffice/request_form.html",
        {
            "customer": customer,
            "invoices": open_invoices,
            "chosen": set(clean_ids(source.getlist("invoices") or source.getlist("invoice"))),
            "methods": [(m, OnlineMethod(m).label) for m in enabled],
            "channels": [(c, MessageChannel(c).label) for c in REQUEST_CHANNELS],
            "expires_value": request.POST.get("expires_on")
            or (today + dt.timedelta(days=service.DEFAULT_LIFETIME_DAYS)).isoformat(),
            "errors": errors,
            "posted": request.POST,
        },
    )


def _send_channels(request, payment_request, raw, channels) -> list[str]:
    sent = []
    for channel in dict.fromkeys(channels):
        try:
            send_request(
                user=request.user,
                request=payment_request,
                channel=channel,
                link=public_url(raw),
                now=timezone.now(),
            )
        except ValidationError as exc:
            messages.error(request, f"{channel}: " + " ".join(exc.messages))
        else:
            sent.append(channel)
    return sent


def _created_page(request, payment_request, raw, sent):
    return render(
        request,
        "portal/backoffice/request_created.html",
        {
            "payment_request": payment_request,
            "url": public_url(raw),
            "token": raw,
            "sent": sent,
            "channels": [(c, MessageChannel(c).label) for c in REQUEST_CHANNELS],
        },
    )


def _get_for_user(request, pk):
    found = service.requests_visible_to(request.membership).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@org_member_required
@require_POST
def request_send(request, pk):
    """Send from the page shown after creation: the raw token comes back from that page
    (it is not stored) and must match the request's."""
    require(request, Action.RECORD_PAYMENTS)
    payment_request = _get_for_user(request, pk)
    raw = request.POST.get("token", "")
    if not service.token_matches(payment_request, raw):
        return HttpResponseBadRequest(_("El enlace de esta solicitud ya no se puede enviar."))
    sent = _send_channels(request, payment_request, raw, request.POST.getlist("channels"))
    return _created_page(request, payment_request, raw, sent)


@org_member_required
def request_detail(request, pk):
    """One request: its amount, state, the messages that carried it and, for those who
    may send it, «Reenviar» on the channels the customer can be reached on."""
    payment_request = _get_for_user(request, pk)
    resendable = service.is_payable(payment_request, now=timezone.now())
    channels = reachable_channels(payment_request.customer) if resendable else []
    return render(
        request,
        "portal/backoffice/request_detail.html",
        {
            "payment_request": payment_request,
            "invoices": payment_request.invoices.order_by("due_date", "id"),
            "sent": request_messages(payment_request),
            "resendable": resendable,
            "channels": [(c, MessageChannel(c).label) for c in channels],
        },
    )


@org_member_required
@require_POST
def request_resend(request, pk):
    require(request, Action.RECORD_PAYMENTS)
    payment_request = _get_for_user(request, pk)
    channel = request.POST.get("channel", "")
    try:
        resend_request(
            user=request.user,
            request=payment_request,
            channel=channel,
            link_for=public_url,
            now=timezone.now(),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Solicitud reenviada por %(channel)s: quedó en la bandeja de salida.")
            % {"channel": MessageChannel(channel).label},
        )
    return redirect("payment_requests:detail", pk=payment_request.pk)


@org_member_required
@require_POST
def request_cancel(request, pk):
    require(request, Action.RECORD_PAYMENTS)
    payment_request = _get_for_user(request, pk)
    try:
        service.cancel_request(user=request.user, request=payment_request, now=timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Solicitud de pago cancelada."))
    return redirect("payment_requests:list")


# --- the debtor's page ---------------------------------------------------------------------
def _found(request, token):
    """The request of the link, or None (counted as a bad attempt, as portal links)."""
    if access.is_rate_limited(request):
        return None
    found = service.find_by_token(token)
    if found is None:
        access.count_bad_attempt(request)
    return found


def _debtor_page(request, payment_request, *, status=200):
    now = timezone.now()
    payable = service.is_payable(payment_request, now=now)
    shown_status = payment_request.status
    if payment_request.status == PaymentRequestStatus.OPEN and not payable:
        shown_status = PaymentRequestStatus.EXPIRED  # past expiry, the job has not run yet
    row = access.settings_for(payment_request.organization)
    enabled = request_methods(row)
    return render(
        request,
        "portal/payment_request.html",
        {
            "payment_request": payment_request,
            "organization": payment_request.organization,
            "has_logo": bool(row.logo),
            "invoices": payment_request.invoices.order_by("due_date", "id"),
            "status": shown_status,
            "payable": payable,
            "methods": [
                (m, OnlineMethod(m).label) for m in payment_request.methods if m in enabled
            ],
            "expires_on": local_expiry(payment_request),
            "paid": request.GET.get("pagado") == "1",
        },
        status=status,
    )


@never_cache
def debtor_request(request, token):
    found = _found(request, token)
    if found is None:
        return not_found(request)
    with translation.override(found.customer.language):
        response = _debtor_page(request, found)
    response.headers["Content-Language"] = found.customer.language
    return response


@never_cache
def debtor_request_logo(request, token):
    found = _found(request, token)
    logo = access.settings_for(found.organization).logo if found else None
    if not logo:
        return not_found(request)
    content_type = "image/png" if logo.name.endswith(".png") else "image/jpeg"
    return FileResponse(logo.open("rb"), content_type=content_type)


@never_cache
@require_POST
def debtor_request_pay(request, token):
    found = _found(request, token)
    if found is None:
        return not_found(request)
    if not access.allow_debtor_action(found.customer_id, "request"):
        return too_many(request)
    with translation.override(found.customer.language):
        return _pay(request, found, token)


def _pay(request, payment_request, token):
    page = reverse("portal:payment_request", args=[token])
    if not service.is_payable(payment_request, now=timezone.now()):
        return redirect(page)
    method = request.POST.get("method", "")
    row = access.settings_for(payment_request.organization)
    provider = provider_for_method(method, row)
    if method not in payment_request.methods or method not in request_methods(row) or not provider:
        return not_found(request)
    base = request.build_absolute_uri(page)
    try:
        session = start_checkout(
            provider=provider,
            customer=payment_request.customer,
            invoices=[],
            success_url=base + "?pagado=1",
            cancel_url=base,
            customer_email=access.code_recipient(payment_request.customer),
            method=method,
            now=timezone.now(),
            payment_request=payment_request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(page)
    except ProviderError:
        messages.error(request, _("El pago en línea no está disponible en este momento."))
        return redirect(page)
    if session.url:
        return redirect(session.url)
    return render(
        request,
        "portal/checkout.html",
        {
            "session": session,
            "method": session.method,
            "amount": session.amount,
            "currency": session.currency,
            "clabe": session.clabe,
            "organization": payment_request.organization,
            "back_url": page,
        },
    )
