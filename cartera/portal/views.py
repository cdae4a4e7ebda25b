"""The debtor portal. No login: access comes from the link (see ``access``); every
object is fetched through ``get_customer_for_debtor`` / ``get_invoice_for_debtor``."""

import functools

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cartera.agreements.negotiation import offers_for_debtor
from cartera.agreements.selectors import plans_for_debtor
from cartera.agreements.services import settings_for as agreement_settings_for
from cartera.fiscal.rep_pdf import rep_filename, rep_pdf
from cartera.followup import reviews
from cartera.followup.choices import PromiseSource
from cartera.followup.promises import make_promise
from cartera.invoices import factoring
from cartera.invoices.models import Invoice, InvoiceAttachment
from cartera.lib.dates import local_today
from cartera.lib.forms import add_service_errors
from cartera.outreach.choices import MessagePurpose
from cartera.outreach.events import record_event
from cartera.outreach.models import Message
from cartera.outreach.notices import notify_debtor
from cartera.payments.choices import (
    ComplementStatus,
    OnlineMethod,
    OnlineProvider,
    PaymentSource,
)
from cartera.payments.instructions import virtual_clabe
from cartera.payments.models import CheckoutSession, PaymentComplement
from cartera.payments.online import amount_due, start_checkout
from cartera.payments.providers.base import ProviderError
from cartera.payments.providers.registry import provider_for_method
from cartera.timeline import events
from cartera.timeline.choices import ActorKind

from . import access
from .forms import CodeForm, DisputeForm, PromiseForm, ReportPaymentForm
from .pdf import statement_pdf
from .selectors import statement


def not_found(request):
    response = render(request, "portal/not_found.html", status=404)
    response["Cache-Control"] = "no-store"
    return response


def debtor_view(view):
    """Resolve the session's customer (404 otherwise), speak the customer's language."""

    @functools.wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        try:
            customer = access.get_customer_for_debtor(request)
        except Http404:
            data = access.portal_session(request)
            if data and not data.get("verified"):
                return redirect("portal:code")
            return not_found(request)
        language = request.session.get("portal_language") or customer.language
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, customer, *args, **kwargs)
        # LocaleMiddleware would label the page with the back office's language.
        response.headers["Content-Language"] = language
        return response

    return wrapper


def too_many(request):
    response = render(request, "portal/limited.html", status=429)
    response["Retry-After"] = str(access.DEBTOR_ACTION_WINDOW)
    return response


def limited(action: str):
    """Count each POST of a debtor action against the customer's hourly limit."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, customer, *args, **kwargs):
            if request.method == "POST" and not access.allow_debtor_action(customer.pk, action):
                return too_many(request)
            return view(request, customer, *args, **kwargs)

        return wrapper

    return decorate


def _today(customer):
    return local_today(customer.effective_timezone)


@never_cache
def enter(request, token):
    if access.is_rate_limited(request):
        return not_found(request)
    found = access.find_token(token, now=timezone.now())
    if found is None:
        access.count_bad_attempt(request)
        return not_found(request)
    access.grant(request, customer=found.customer, token=found, via="link")
    type(found).objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return redirect("portal:statement")


@never_cache
def from_message(request, token):
    """A per-message signed link: records the click, then opens the portal."""
    if access.is_rate_limited(request):
        return not_found(request)
    value = access.load_message_link(token)
    message = None
    if value:
        message = (
            Message.objects.select_related("customer", "organization")
            .filter(organization_id=value["o"], key=value["k"])
            .first()
        )
    return _open_from_message(request, message)


@never_cache
def from_short_link(request, code):
    """A message's short link (SMS, ``/l/<code>``): the same as its signed link."""
    if access.is_rate_limited(request):
        return not_found(request)
    return _open_from_message(request, access.load_short_link(code, now=timezone.now()))


def _open_from_message(request, message):
    """Record the click, then open the portal for the message's customer."""
    if message is None:
        access.count_bad_attempt(request)
        return not_found(request)
    if not access.access_is_open(message.customer_id, now=timezone.now()):
        return not_found(request)
    record_event(
        message=message, kind="clicked", at=timezone.now(), source="portal", data={"url": "portal"}
    )
    access.grant(request, customer=message.customer, token=None, via=f"message:{message.pk}")
    return redirect("portal:statement")


@never_cache
@require_http_methods(["GET", "POST"])
def code(request):
    try:
        customer = access.get_customer_for_debtor(request, verified=False)
    except Http404:
        return not_found(request)
    with translation.override(customer.language):
        now = timezone.now()
        form = CodeForm(request.POST if request.POST.get("action") == "verify" else None)
        if request.method == "POST" and request.POST.get("action") == "send":
            if not access.allow_debtor_action(customer.pk, "code"):
                return too_many(request)
            created = access.create_code(customer=customer, now=now)
            if created is None:
                messages.error(request, _("No hay un correo registrado; comuníquese con nosotros."))
            else:
                row, raw = created
                notify_debtor(
                    customer=customer,
                    key=f"portal-code:{row.pk}",
                    purpose=MessagePurpose.ACCESS_CODE,
                    subject=_("Su código de acceso"),
                    body=_(
                        "Su código para ver su estado de cuenta es %(code)s. Vence en 15 minutos."
                    )
                    % {"code": raw},
                )
                messages.success(
                    request,
                    _("Enviamos un código a %(email)s.")
                    % {"email": access.mask_email(row.sent_to)},
                )
            return redirect("portal:code")
        if request.method == "POST" and form.is_valid():
            if access.verify_code(customer=customer, raw=form.cleaned_data["code"], now=now):
                access.mark_verified(request)
                return redirect("portal:statement")
            form.add_error("code", _("El código no es correcto o ya venció."))
        return render(request, "portal/code.html", {"form": form})


@debtor_view
def statement_page(request, customer):
    context = statement(customer, today=_today(customer))
    context["customer"] = customer
    context["organization"] = customer.organization
    context["plans"] = plans_for_debtor(customer)[:10]
    context["offers"] = offers_for_debtor(customer, today=_today(customer))
    context["portal_plans"] = agreement_settings_for(customer.organization).portal_plans
    documents = list(access.documents_for_debtor(customer))
    context["documents_owed"] = sum(1 for document in documents if document.is_owed)
    context["has_documents"] = bool(documents)
    return render(request, "portal/statement.html", context)


@debtor_view
def statement_download(request, customer):
    pdf = statement_pdf(customer, today=_today(customer))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="estado-de-cuenta-{_today(customer)}.pdf"'
    )
    return response


@debtor_view
def rep_download(request, customer, pk, kind):
    """The stamped REP of one of the customer's own payments, as XML or PDF."""
    complement = PaymentComplement.objects.filter(
        payment__pk=pk, payment__customer=customer, status=ComplementStatus.STAMPED
    ).first()
    if complement is None:
        return not_found(request)
    if kind == "xml":
        body, content_type = complement.xml.encode(), "application/xml"
    else:
        body, content_type = rep_pdf(complement), "application/pdf"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{rep_filename(complement, kind)}"'
    return response


@debtor_view
def invoice_file(request, customer, pk):
    visible = factoring.visible_to_debtor(
        Invoice.objects.filter(customer=customer), organization=customer.organization
    )
    attachment = InvoiceAttachment.objects.filter(
        pk=pk, invoice__in=visible, kind__in=["pdf", "xml"]
    ).first()
    if attachment is None:
        return not_found(request)
    # Logged: the debtor's download is part of the proof that the CFDI was delivered.
    events.invoice_file_downloaded(attachment, actor=ActorKind.DEBTOR, via="portal")
    return FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name
    )


def _chosen(request, customer):
    ids = (
        request.POST.getlist("invoices")
        if request.method == "POST"
        else request.GET.getlist("invoice")
    )
    return access.invoices_for_debtor(customer, ids)


def _open_rows(customer):
    return statement(customer, today=_today(customer))["rows"]


@debtor_view
@require_http_methods(["GET", "POST"])
@limited("report")
def report_payment(request, customer):
    form = ReportPaymentForm(
        request.POST or None, request.FILES or None, initial={"date": _today(customer)}
    )
    chosen = _chosen(request, customer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            reviews.report_payment(
                customer=customer,
                actor=ActorKind.DEBTOR,
                source=PaymentSource.PORTAL,
                invoices=chosen,
                date=data["date"],
                method=data["method"],
                reference=data["reference"],
                proof=data["proof"],
                amount=data["amount"],
                today=_today(customer),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Gracias. Registramos su pago; lo revisaremos y le confirmaremos por correo."),
            )
            return redirect("portal:statement")
    return render(
        request,
        "portal/report.html",
        {
            "form": form,
            "rows": _open_rows(customer),
            "chosen": {i.pk for i in chosen},
        },
    )


@debtor_view
@require_http_methods(["GET", "POST"])
@limited("promise")
def promise(request, customer):
    form = PromiseForm(request.POST or None)
    chosen = _chosen(request, customer)
    max_days = access.settings_for(customer.organization).max_promise_days
    if request.method == "POST" and form.is_valid():
        try:
            make_promise(
                customer=customer,
                invoices=chosen,
                promised_date=form.cleaned_data["promised_date"],
                amount=form.cleaned_data["amount"],
                source=PromiseSource.PORTAL,
                actor=ActorKind.DEBTOR,
                today=_today(customer),
                max_days=max_days,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Gracias. Registramos su promesa de pago."))
            return redirect("portal:statement")
    return render(
        request,
        "portal/promise.html",
        {
            "form": form,
            "rows": _open_rows(customer),
            "chosen": {i.pk for i in chosen},
            "max_days": max_days,
        },
    )


@debtor_view
@require_http_methods(["GET", "POST"])
@limited("dispute")
def dispute(request, customer, pk):
    invoice = access.get_invoice_for_debtor(customer, pk)
    form = DisputeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        files = [form.cleaned_data["attachment"]] if form.cleaned_data["attachment"] else []
        try:
            reviews.open_dispute(
                invoice=invoice,
                reason_code=form.cleaned_data["reason"],
                text=form.cleaned_data["text"],
                files=files,
                actor=ActorKind.DEBTOR,
                today=_today(customer),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Recibimos su aclaración. Un gestor la revisará."))
            return redirect("portal:statement")
    return render(request, "portal/dispute.html", {"form": form, "invoice": invoice})


@debtor_view
@require_POST
@limited("pay")
def pay_online(request, customer):
    row = access.settings_for(customer.organization)
    method = request.POST.get("method") or OnlineMethod.CARD
    if method == OnlineMethod.SPEI and row.spei_provider == OnlineProvider.STP:
        return _stp_transfer(request, customer, row)
    provider = provider_for_method(method, row)
    if provider is None:
        return not_found(request)
    base = request.build_absolute_uri(reverse("portal:statement"))
    try:
        session = start_checkout(
            provider=provider,
            customer=customer,
            invoices=_chosen(request, customer),
            success_url=base + "?pagado=1",
            cancel_url=base,
            customer_email=access.code_recipient(customer),
            method=method,
            now=timezone.now(),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("portal:statement")
    except ProviderError:
        messages.error(request, _("El pago en línea no está disponible en este momento."))
        return redirect("portal:statement")
    if session.url:
        return redirect(session.url)
    return redirect("portal:checkout", pk=session.pk)


def _stp_transfer(request, customer, row):
    """SPEI through STP: the customer's own virtual CLABE and the amount to send."""
    if OnlineMethod.SPEI not in row.online_methods:
        return not_found(request)
    try:
        _invoices, currency, amount = amount_due(_chosen(request, customer))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("portal:statement")
    clabe = virtual_clabe(prefix=row.clabe_prefix, customer_id=customer.pk)
    return render(
        request,
        "portal/checkout.html",
        {"method": OnlineMethod.SPEI, "amount": amount, "currency": currency, "clabe": clabe},
    )


@debtor_view
def checkout_page(request, customer, pk):
    """The voucher (OXXO) or transfer reference (SPEI) of one of the customer's checkouts."""
    session = CheckoutSession.objects.filter(customer=customer, pk=pk).first()
    if session is None:
        return not_found(request)
    return render(
        request,
        "portal/checkout.html",
        {
            "session": session,
            "method": session.method,
            "amount": session.amount,
            "currency": session.currency,
            "clabe": session.clabe,
        },
    )


@require_POST
def language(request):
    if access.portal_session(request) is None:
        return not_found(request)
    chosen = request.POST.get("language")
    if chosen in ("es-mx", "en"):
        request.session["portal_language"] = chosen
    return redirect("portal:statement")
