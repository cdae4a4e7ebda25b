import base64

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cartera.customers.documents import document_row, owed_documents
from cartera.customers.selectors import customers_visible_to, get_customer_for_user
from cartera.lib.dates import local_today
from cartera.lib.forms import add_service_errors
from cartera.orgs.access import Action, can, require
from cartera.orgs.decorators import org_member_required

from .branding import with_logo_data
from .channels.email.transport import outbox_only
from .channels.sms.gsm import segment_info, to_gsm7
from .choices import MessageChannel, MessageStatus
from .eligibility import open_with_balance_q
from .forms import LANGUAGE_CHOICES, NewTemplateForm
from .message_templates import create_template, edit_template
from .rendering import (
    TemplateRenderError,
    agent_context,
    build_context,
    check_template,
    customer_payment,
    invoice_rows,
    organization_context,
    sample_context,
)
from .rendering import render as render_template
from .selectors import (
    get_message_for_user,
    get_template_for_user,
    messages_visible_to,
    templates_visible_to,
)
from .tracking import record_click, record_open, unsubscribe
from .variables import variables_for

# 1×1 transparent GIF
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@require_GET
def track_open(request, token):
    record_open(token, at=timezone.now())
    response = HttpResponse(_PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def track_click(request, token):
    target = record_click(token, at=timezone.now())
    if target is None:
        raise Http404
    return HttpResponseRedirect(target)


@csrf_exempt  # RFC 8058 one-click unsubscribe is a POST from the mail client
def unsubscribe_view(request, token):
    if request.method == "POST":
        message = unsubscribe(token, at=timezone.now())
        if message is None:
            raise Http404
        return render(request, "outreach/unsubscribed.html", {"message": message})
    return render(request, "outreach/unsubscribe_confirm.html", {"token": token})


# --- back office -----------------------------------------------------------------------


@org_member_required
def outbox(request):
    queryset = messages_visible_to(request.membership).select_related("customer")
    status = request.GET.get("status", "")
    if status in MessageStatus.values:
        queryset = queryset.filter(status=status)
    page = Paginator(queryset.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "outreach/outbox.html",
        {
            "page_obj": page,
            "status": status,
            "statuses": MessageStatus.choices,
            "outbox_only": outbox_only(),
        },
    )


@org_member_required
def message_detail(request, pk):
    message = get_message_for_user(request, pk)
    return render(
        request,
        "outreach/message_detail.html",
        {
            "message": message,
            "events": message.events.all(),
            "invoices": message.invoices.all(),
            "decisions": message.decisions.select_related("step", "invoice"),
        },
    )


@org_member_required
def message_html(request, pk):
    """The rendered HTML body, served sandboxed (no scripts, no outside requests)."""
    message = get_message_for_user(request, pk)
    html = with_logo_data(message.body_html or "", message.organization)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    )
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@org_member_required
def template_list(request):
    """Templates per channel and language, each with "copiar"; and "nueva"."""
    templates = templates_visible_to(request.membership)
    channel = request.GET.get("channel", "")
    language = request.GET.get("language", "")
    if channel:
        templates = templates.filter(channel=channel)
    if language:
        templates = templates.filter(language=language)
    return render(
        request,
        "outreach/template_list.html",
        {
            "templates": templates,
            "can_edit": can(request.membership, Action.MANAGE_STRATEGIES),
            "channels": MessageChannel.choices,
            "languages": LANGUAGE_CHOICES,
            "channel": channel,
            "language": language,
        },
    )


def _copy_initial(request) -> dict:
    """A copy starts from the source's content with a new key (``?copy=<id>``)."""
    source_pk = request.GET.get("copy", "")
    if not source_pk.isdigit():
        return {"channel": MessageChannel.EMAIL, "language": "es-mx"}
    source = get_template_for_user(request, int(source_pk))
    return {
        "key": f"{source.key}-copia",
        "name": _("%(name)s (copia)") % {"name": source.name},
        **{
            field: getattr(source, field)
            for field in ("kind", "channel", "language", "subject", "body_text", "body_html")
        },
    }


@org_member_required
@require_http_methods(["GET", "POST"])
def template_new(request):
    require(request, Action.MANAGE_STRATEGIES)
    form = NewTemplateForm(request.POST or None, initial=_copy_initial(request))
    if request.method == "POST" and form.is_valid():
        try:
            template = create_template(
                organization=request.membership.organization,
                actor=request.user,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            flash.success(request, _("Plantilla creada."))
            return redirect("outreach:template_edit", pk=template.pk)
    return render(request, "outreach/template_new.html", {"form": form})


def _preview(request, *, subject, body_text, body_html, customer):
    today = local_today(request.membership.organization.timezone)
    rows = invoice_rows(customer.invoices.filter(open_with_balance_q()))
    overdue = [row for row in rows if row["due_date"] <= today] or rows
    contact = customer.contacts.first()
    context = build_context(
        organization=organization_context(request.membership.organization),
        customer={
            "name": customer.name,
            "legal_name": customer.legal_name,
            "tax_id": customer.tax_id,
            "external_id": customer.external_id,
        },
        contact={"name": contact.name, "email": contact.email} if contact else None,
        invoices=overdue,
        statement=rows,
        agent=agent_context(customer.assigned_agent),
        as_of=today,
        language=customer.language,
        payment=customer_payment(request.membership.organization, customer.pk),
        documents=[
            document_row(document)
            for document in owed_documents(customer.organization)
            .filter(customer=customer)
            .select_related("kind")
        ],
    )
    return render_template(
        subject=subject, body_text=body_text, body_html=body_html, context=context
    )


def _sms_hint(text: str) -> dict:
    """How many segments ``text`` takes as it will go (GSM-7 where it can)."""
    return segment_info(to_gsm7(text))


def _sample_render(template, values) -> tuple[str, str, str]:
    """The edited parts rendered by the real renderer on the sample debtor."""
    return render_template(
        subject=values["subject"],
        body_text=values["body_text"],
        body_html=values["body_html"],
        context=sample_context(template.language),
    )


@org_member_required
@require_http_methods(["GET", "POST"])
def template_edit(request, pk):
    require(request, Action.MANAGE_STRATEGIES)
    template = get_template_for_user(request, pk)
    customers = customers_visible_to(request.membership).order_by("name")[:200]
    errors: dict[str, list[str]] = {}
    values = {
        "subject": template.subject,
        "body_text": template.body_text,
        "body_html": template.body_html,
    }
    if request.method == "POST":
        values = {key: request.POST.get(key, "") for key in values}
        try:
            edit_template(template=template, actor=request.user, **values)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"body_text": exc.messages}
        else:
            flash.success(request, _("Plantilla guardada."))
            if template.channel == MessageChannel.SMS:
                hint = _sms_hint(_sample_render(template, values)[1])
                flash.info(request, _sms_message(hint))
            return redirect("outreach:template_edit", pk=template.pk)
    sms = None
    if template.channel == MessageChannel.SMS and "body_text" not in errors:
        try:
            sms = _sms_hint(_sample_render(template, values)[1])
        except TemplateRenderError:
            sms = None
    return render(
        request,
        "outreach/template_edit.html",
        {
            "template": template,
            "values": values,
            "errors": errors,
            "customers": customers,
            "variable_groups": variables_for(template.kind),
            "sms": sms,
            "sms_message": _sms_message(sms) if sms else "",
        },
    )


def _sms_message(sms: dict, *, sample: bool = True) -> str:
    text = (
        ngettext(
            "Con el cliente de ejemplo, el texto ocupa %(n)s segmento SMS (%(encoding)s, "
            "%(units)s de %(capacity)s caracteres).",
            "Con el cliente de ejemplo, el texto ocupa %(n)s segmentos SMS (%(encoding)s, "
            "%(units)s de %(capacity)s caracteres).",
            sms["segments"],
        )
        if sample
        else ngettext(
            "El texto ocupa %(n)s segmento SMS (%(encoding)s, %(units)s de %(capacity)s "
            "caracteres).",
            "El texto ocupa %(n)s segmentos SMS (%(encoding)s, %(units)s de %(capacity)s "
            "caracteres).",
            sms["segments"],
        )
    )
    return text % {
        "n": sms["segments"],
        "encoding": sms["encoding"],
        "units": sms["units"],
        "capacity": sms["capacity"],
    }


@org_member_required
@require_POST
def template_preview(request, pk):
    """htmx: render the edited template for the sample debtor or a real customer
    (nothing saved), with the SMS segments of an SMS template."""
    require(request, Action.MANAGE_STRATEGIES)
    template = get_template_for_user(request, pk)
    values = {key: request.POST.get(key, "") for key in ("subject", "body_text", "body_html")}
    sample = not request.POST.get("customer")
    try:
        check_template(**values)  # unknown variables named, as on saving
        if not sample:
            customer = get_customer_for_user(request, request.POST["customer"])
            subject, text, _html = _preview(request, customer=customer, **values)
        else:
            subject, text, _html = _sample_render(template, values)
    except TemplateRenderError as exc:
        return render(request, "outreach/_preview.html", {"error": str(exc)})
    sms = None
    if template.channel == MessageChannel.SMS:  # as it will go: GSM-7, counted in segments
        text = to_gsm7(text)
        sms = segment_info(text)
    return render(
        request,
        "outreach/_preview.html",
        {
            "subject": subject,
            "text": text,
            "sms": sms,
            "sms_message": _sms_message(sms) if sms else "",
        },
    )
