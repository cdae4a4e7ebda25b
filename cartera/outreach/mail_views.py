"""The in-app mail viewer (“Correo enviado”) and the buttons that send: a test to my own
address, and “Enviar ahora” on a queued message."""

from django.conf import settings
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cartera.customers.selectors import get_customer_for_user
from cartera.lib.dates import local_today
from cartera.orgs.access import Action, require
from cartera.orgs.decorators import org_member_required

from .channels.email.transport import outbox_only
from .choices import MessageStatus
from .mailbox import get_mail_for_user, read_mail, sent_mail
from .models import TestSend
from .selectors import get_message_for_user, get_template_for_user
from .send_now import resend_unknown, send_queued_now
from .trial_sends import send_message_test, send_template_test

# The rendered HTML of an e-mail is the debtor's (or a template author's) content: served
# in a sandbox without scripts, forms or any outside request (images only as data: URIs).
SHOWN_HEADERS = ("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "X-Cartera-Test")
MAIL_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"


@org_member_required
@require_GET
def mail_list(request):
    rows = sent_mail(request.membership)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "outreach/mail_list.html",
        {
            "page_obj": page,
            "outbox_only": outbox_only(),
            "mail_dir": settings.EMAIL_FILE_PATH,
            "email_host": settings.EMAIL_HOST,
        },
    )


@org_member_required
def mail_detail(request, kind, pk):
    row = get_mail_for_user(request, kind, pk)
    mail = read_mail(row)
    return render(
        request,
        "outreach/mail_detail.html",
        {
            "row": row,
            "kind": kind,
            "mail": mail,
            "headers": [(name, value) for name, value in mail.headers if name in SHOWN_HEADERS],
            "is_test": isinstance(row, TestSend),
        },
    )


@org_member_required
def mail_html(request, kind, pk):
    mail = read_mail(get_mail_for_user(request, kind, pk))
    response = HttpResponse(mail.html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = MAIL_CSP
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@org_member_required
def mail_attachment(request, kind, pk, index):
    mail = read_mail(get_mail_for_user(request, kind, pk))
    if not 0 <= index < len(mail.attachments):
        raise Http404
    attachment = mail.attachments[index]
    response = HttpResponse(attachment.data, content_type="application/octet-stream")
    response["Content-Disposition"] = _attachment_disposition(attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _attachment_disposition(filename: str) -> str:
    """Always a download (never rendered inline from our origin)."""
    return content_disposition_header(True, filename)


def _flash_sent(request, test: TestSend) -> None:
    flash.success(
        request,
        _("Prueba enviada a %(to)s: «%(subject)s».") % {"to": test.to, "subject": test.subject},
    )


@org_member_required
@require_POST
def message_test_send(request, pk):
    """A copy of this outbox message to my own address (the customer gets nothing)."""
    require(request, Action.EDIT_CUSTOMERS)
    message = get_message_for_user(request, pk)
    try:
        test = send_message_test(message=message, user=request.user, now=timezone.now())
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
        return redirect("outreach:message", pk=message.pk)
    _flash_sent(request, test)
    return redirect("outreach:mail_detail", kind="test", pk=test.pk)


@org_member_required
@require_POST
def template_test_send(request, pk):
    """The template (as saved) with the sample data or a chosen customer, to my address."""
    require(request, Action.MANAGE_STRATEGIES)
    template = get_template_for_user(request, pk)
    organization = request.membership.organization
    customer = None
    if request.POST.get("customer"):
        customer = get_customer_for_user(request, request.POST["customer"])
    try:
        test = send_template_test(
            organization=organization,
            user=request.user,
            parts={
                "subject": template.subject,
                "body_text": template.body_text,
                "body_html": template.body_html,
            },
            source=TestSend.Source.TEMPLATE,
            source_label=template.name,
            customer=customer,
            today=local_today(organization.timezone),
            now=timezone.now(),
        )
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
        return redirect("outreach:template_edit", pk=template.pk)
    _flash_sent(request, test)
    return redirect("outreach:mail_detail", kind="test", pk=test.pk)


@org_member_required
@require_POST
def message_send_now(request, pk):
    require(request, Action.MANAGE_STRATEGIES)
    message = get_message_for_user(request, pk)
    try:
        result = send_queued_now(message=message, actor=request.user, now=timezone.now())
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
        return redirect("outreach:message", pk=message.pk)
    if result.deferred_until is not None:
        when = formats.date_format(timezone.localtime(result.deferred_until), "DATETIME_FORMAT")
        flash.warning(
            request,
            _("La política de contacto no permite enviarlo ahora: %(reason)s. Saldrá el %(when)s.")
            % {"reason": result.reason, "when": when},
        )
    else:
        flash.success(
            request,
            _("Mensaje procesado: %(status)s.") % {"status": _status_label(result.status)},
        )
    return redirect("outreach:message", pk=message.pk)


@org_member_required
@require_POST
def message_resend(request, pk):
    """“Reenviar” on a message whose delivery is unknown (agents, managers, owners)."""
    require(request, Action.ADD_NOTES)
    message = get_message_for_user(request, pk)
    try:
        status = resend_unknown(message=message, actor=request.user, now=timezone.now())
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(
            request, _("Mensaje reenviado: %(status)s.") % {"status": _status_label(status)}
        )
    return redirect("outreach:message", pk=message.pk)


def _status_label(status: str) -> str:
    return str(MessageStatus(status).label)
