"""“Enviar recordatorio” by hand, from a customer's page or one of its invoices: choose
the channel and the type, see the message as it will go (htmx preview), send it through
the outbox (``dunning.by_hand``), or copy the customer's portal link instead.

Served here because it composes the dunning service with the portal's link."""

from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from cartera.customers.selectors import get_customer_for_user
from cartera.dunning.by_hand import (
    ByHandChannel,
    ByHandKind,
    link_allowed,
    new_submission,
    preview_by_hand,
    send_by_hand,
)
from cartera.invoices.selectors import get_invoice_for_user
from cartera.lib.forms import BackOfficeForm, add_service_errors, is_id
from cartera.orgs.access import Action, require
from cartera.orgs.decorators import org_member_required
from cartera.portal import access as portal_access


class ByHandForm(BackOfficeForm):
    channel = forms.ChoiceField(
        label=gettext_lazy("Canal"),
        choices=ByHandChannel.choices,
        initial=ByHandChannel.EMAIL,
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Tipo de mensaje"),
        choices=ByHandKind.choices,
        initial=ByHandKind.REMINDER,
    )
    submission = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, invoice=None, **kwargs):
        super().__init__(*args, **kwargs)
        if invoice is None:  # the invoice is attached from its own page only
            self.fields["kind"].choices = [
                choice for choice in ByHandKind.choices if choice[0] != ByHandKind.SEND_INVOICE
            ]


def _targets(request, pk):
    """The customer (404 outside the member's scope) and the invoice chosen, if any (404
    unless it is one of that customer's, visible to the member)."""
    require(request, Action.ADD_NOTES)
    customer = get_customer_for_user(request, pk)
    raw = request.POST.get("invoice") or request.GET.get("invoice") or ""
    if not raw:
        return customer, None
    if not is_id(raw):
        raise Http404
    invoice = get_invoice_for_user(request, raw)
    if invoice.customer_id != customer.pk:
        raise Http404
    return customer, invoice


def _moment(preview_or_message, zone: str) -> str:
    local = timezone.localtime(preview_or_message.scheduled_for, timezone=ZoneInfo(zone))
    return f"{date_format(local, 'SHORT_DATE_FORMAT')} {local:%H:%M} ({zone})"


def _sms_line(sms: dict) -> str:
    return ngettext(
        "%(n)s segmento SMS (%(encoding)s, %(units)s de %(capacity)s caracteres).",
        "%(n)s segmentos SMS (%(encoding)s, %(units)s de %(capacity)s caracteres).",
        sms["segments"],
    ) % {
        "n": sms["segments"],
        "encoding": sms["encoding"],
        "units": sms["units"],
        "capacity": sms["capacity"],
    }


def _back(customer, invoice):
    if invoice is not None:
        return redirect("invoices:detail", invoice.pk)
    return redirect("customers:detail", customer.pk)


def _page(request, *, customer, invoice, form, link: str = ""):
    return render(
        request,
        "web/send_by_hand.html",
        {"customer": customer, "invoice": invoice, "form": form, "link": link},
    )


def _copy_link(request, *, customer, invoice, form):
    """A new portal link for the customer, shown to copy (the previous one stops working,
    as with «Enlace del portal»); nothing is queued, the timeline records it."""
    require(request, Action.EDIT_CUSTOMERS)
    try:
        link_allowed(customer=customer, actor=request.user)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _page(request, customer=customer, invoice=invoice, form=form)
    raw = portal_access.issue_token(customer=customer, actor=request.user)
    return _page(
        request, customer=customer, invoice=invoice, form=form, link=portal_access.portal_url(raw)
    )


@org_member_required
@require_http_methods(["GET", "POST"])
def send_by_hand_view(request, pk):
    customer, invoice = _targets(request, pk)
    if request.method == "GET":
        form = ByHandForm(invoice=invoice, initial={"submission": new_submission()})
        return _page(request, customer=customer, invoice=invoice, form=form)
    form = ByHandForm(request.POST, invoice=invoice)
    if not form.is_valid():
        return _page(request, customer=customer, invoice=invoice, form=form)
    data = form.cleaned_data
    if data["channel"] == ByHandChannel.LINK:
        return _copy_link(request, customer=customer, invoice=invoice, form=form)
    try:
        sent = send_by_hand(
            customer=customer,
            invoices=[invoice] if invoice else [],
            channel=data["channel"],
            kind=data["kind"],
            actor=request.user,
            now=timezone.now(),
            submission=data["submission"],
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _page(request, customer=customer, invoice=invoice, form=form)
    if sent.deferred:
        messages.info(
            request,
            _("Mensaje en cola: fuera del horario permitido, sale el %(moment)s.")
            % {"moment": _moment(sent.message, customer.effective_timezone)},
        )
    else:
        messages.success(request, _("Mensaje en cola: sale en un momento."))
    return _back(customer, invoice)


@org_member_required
@require_POST
def send_by_hand_preview(request, pk):
    """htmx: the message as it will go for the chosen channel and type (nothing queued)."""
    customer, invoice = _targets(request, pk)
    channel, kind = request.POST.get("channel", ""), request.POST.get("kind", "")
    context = {"channel": channel}
    if channel == ByHandChannel.LINK:
        context["link_note"] = True
        return render(request, "web/_by_hand_preview.html", context)
    try:
        preview = preview_by_hand(
            customer=customer,
            invoices=[invoice] if invoice else [],
            channel=channel,
            kind=kind,
            actor=request.user,
            now=timezone.now(),
        )
    except ValidationError as exc:
        context["errors"] = exc.messages
        return render(request, "web/_by_hand_preview.html", context)
    context.update(
        preview=preview,
        moment=_moment(preview, customer.effective_timezone),
        sms_line=_sms_line(preview.sms) if preview.sms else "",
    )
    return render(request, "web/_by_hand_preview.html", context)
