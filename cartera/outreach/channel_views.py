"""WhatsApp pages: the provider's webhook, the settings page (number, write-only secrets,
template catalogue and stage mapping) and a customer's conversation, answerable inside
the 24-hour window."""

import json
import logging
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from cartera.customers.selectors import customers_visible_to, get_customer_for_user
from cartera.lib.forms import add_service_errors
from cartera.orgs.access import Action, can, require
from cartera.orgs.decorators import org_member_required

from .channels.whatsapp.messages import fill_body
from .chat import reply_on_whatsapp, window_closes_at
from .forms import ReplyForm, SmsConfigForm, WhatsAppConfigForm, WhatsAppTemplateMapForm
from .inbound import (
    SMS,
    WHATSAPP,
    sms_config,
    store_inbound_event,
    valid_twilio_signature,
    valid_whatsapp_signature,
    whatsapp_challenge,
    whatsapp_config,
)
from .models import InboundMessage, SmsConfig, WhatsAppTemplate
from .selectors import conversation
from .sms import save_sms_config
from .whatsapp import (
    config_for,
    map_whatsapp_template,
    save_whatsapp_config,
    sync_whatsapp_templates,
)

log = logging.getLogger(__name__)

SAMPLE_VALUES = {
    "customer": "Ferretería La Tuerca",
    "amount": "$11,600.00",
    "due_date": "01/10/2026",
    "portal_link": "https://cobranza.example.com/p/m/…",
}


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request, slug):
    """Meta's handshake (GET) and its signed notifications (POST): a forged or unsigned
    call answers 403 and nothing is stored."""
    config = whatsapp_config(slug)
    if config is None:
        return HttpResponse(status=404)
    if request.method == "GET":
        challenge = whatsapp_challenge(config, request.GET)
        if challenge is None:
            return HttpResponseForbidden("verify token mismatch")
        return HttpResponse(challenge, content_type="text/plain")
    body = request.body
    if not valid_whatsapp_signature(config, body, request.headers.get("X-Hub-Signature-256", "")):
        log.warning("rejected WhatsApp webhook for %s: bad signature", slug)
        return HttpResponseForbidden("bad signature")
    store_inbound_event(
        organization=config.organization, provider=WHATSAPP, body=body, now=timezone.now()
    )
    return HttpResponse("ok", content_type="text/plain")


def _twilio_callback(request, slug, *, provider: str, kind: str):
    """Twilio-signed POSTs: the signature covers the URL Twilio called (ours, as given in
    ``StatusCallback`` or the number's settings) and the sorted parameters. The call is
    stored (None) or refused (the 403/404 answer)."""
    config = sms_config(slug)
    if config is None:
        return HttpResponse(status=404)
    url = settings.BASE_URL + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not valid_twilio_signature(config, url, request.POST, signature):
        log.warning("rejected %s %s callback for %s: bad signature", provider, kind, slug)
        return HttpResponseForbidden("bad signature")
    params = {name: request.POST.get(name) for name in sorted(request.POST)}
    body = json.dumps({"kind": kind, "params": params}, sort_keys=True).encode()
    store_inbound_event(
        organization=config.organization, provider=provider, body=body, now=timezone.now()
    )
    return None


def _sms_callback(request, slug, kind: str):
    refused = _twilio_callback(request, slug, provider=SMS, kind=kind)
    if refused is not None:
        return refused
    if kind == "inbound":  # no automatic answer in TwiML: the confirmation goes through the outbox
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")
    return HttpResponse("", content_type="text/plain")


_GATHER_ANSWERS = {
    "1": gettext_lazy("Le enviamos el enlace de pago en un momento. Gracias."),
    "2": gettext_lazy("Registramos su promesa de pago en siete días. Gracias."),
    "3": gettext_lazy("Un agente le llamará pronto. Gracias."),
}


@csrf_exempt
@require_POST
def voice_gather(request, slug):
    """The key pressed during an automated call: stored, acted on by a task, and
    answered at once with what will happen (TwiML)."""
    refused = _twilio_callback(request, slug, provider="voice", kind="gather")
    if refused is not None:
        return refused
    with translation.override("es"):
        digits = request.POST.get("Digits", "")[:1]
        answer = str(_GATHER_ANSWERS.get(digits, _("Opción no válida. Hasta luego.")))
    return HttpResponse(
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Say language="es-MX" voice="Polly.Mia">{escape(answer)}</Say><Hangup/></Response>',
        content_type="text/xml",
    )


@csrf_exempt
@require_POST
def voice_status(request, slug):
    refused = _twilio_callback(request, slug, provider="voice", kind="status")
    return refused or HttpResponse("", content_type="text/plain")


EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@csrf_exempt
@require_POST
def sms_status(request, slug):
    return _sms_callback(request, slug, "status")


@csrf_exempt
@require_POST
def sms_inbound(request, slug):
    return _sms_callback(request, slug, "inbound")


@org_member_required
@require_http_methods(["GET", "POST"])
def whatsapp_settings(request):
    """The number and its secrets (owners); the catalogue (managers may map stages)."""
    require(request, Action.MANAGE_STRATEGIES)
    organization = request.membership.organization
    current = config_for(organization)
    initial = {
        "phone_number_id": getattr(current, "phone_number_id", ""),
        "business_account_id": getattr(current, "business_account_id", ""),
        "api_url": getattr(current, "api_url", ""),
    }
    form = WhatsAppConfigForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(request, Action.MANAGE_ORGANIZATION)
        if form.is_valid():
            try:
                save_whatsapp_config(
                    organization=organization, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                flash.success(request, _("Configuración de WhatsApp guardada."))
                return redirect("outreach:whatsapp_settings")
    templates = [
        {
            "row": template,
            "form": WhatsAppTemplateMapForm(
                initial={"stage": template.stage, "parameters": ", ".join(template.parameters)},
                prefix=f"t{template.pk}",
            ),
            "preview": fill_body(template, SAMPLE_VALUES),
        }
        for template in WhatsAppTemplate.objects.filter(organization=organization)
    ]
    webhook_url = request.build_absolute_uri(
        reverse("webhooks:whatsapp", kwargs={"slug": organization.slug})
    )
    return render(
        request,
        "outreach/whatsapp_settings.html",
        {
            "form": form,
            "current": current,
            "templates": templates,
            "webhook_url": webhook_url,
            "can_configure": can(request.membership, Action.MANAGE_ORGANIZATION),
        },
    )


@org_member_required
@require_http_methods(["GET", "POST"])
def sms_settings(request):
    """The SMS account (owners; the token is write-only)."""
    require(request, Action.MANAGE_ORGANIZATION)
    organization = request.membership.organization
    current = SmsConfig.objects.filter(organization=organization).first()
    initial = {
        "account_sid": getattr(current, "account_sid", ""),
        "from_number": getattr(current, "from_number", ""),
        "api_url": getattr(current, "api_url", ""),
    }
    form = SmsConfigForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            save_sms_config(organization=organization, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            flash.success(request, _("Configuración de SMS guardada."))
            return redirect("outreach:sms_settings")
    inbound_url = request.build_absolute_uri(
        reverse("webhooks:sms_inbound", kwargs={"slug": organization.slug})
    )
    return render(
        request,
        "outreach/sms_settings.html",
        {"form": form, "current": current, "inbound_url": inbound_url},
    )


@org_member_required
@require_POST
def whatsapp_sync(request):
    require(request, Action.MANAGE_STRATEGIES)
    try:
        counts = sync_whatsapp_templates(
            organization=request.membership.organization, actor=request.user, now=timezone.now()
        )
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    except Exception as exc:  # noqa: BLE001 — the provider's answer is shown, not a 500
        flash.error(request, _("Meta no respondió: %(e)s") % {"e": exc})
    else:
        flash.success(
            request,
            _(
                "Plantillas sincronizadas: %(created)s nuevas, %(updated)s actualizadas, %(removed)s eliminadas."
            )
            % counts,
        )
    return redirect("outreach:whatsapp_settings")


@org_member_required
@require_POST
def whatsapp_template_map(request, pk):
    require(request, Action.MANAGE_STRATEGIES)
    template = WhatsAppTemplate.objects.filter(
        organization=request.membership.organization, pk=pk
    ).first()
    if template is None:
        raise Http404
    form = WhatsAppTemplateMapForm(request.POST, prefix=f"t{template.pk}")
    if form.is_valid():
        try:
            map_whatsapp_template(template=template, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            flash.error(request, " ".join(exc.messages))
        else:
            flash.success(request, _("Plantilla asignada."))
    return redirect("outreach:whatsapp_settings")


@org_member_required
@require_http_methods(["GET", "POST"])
def whatsapp_conversation(request, pk):
    """The customer's WhatsApp chat; agents answer while the window is open."""
    customer = get_customer_for_user(request, pk)
    now = timezone.now()
    form = ReplyForm(request.POST or None)
    if request.method == "POST":
        require(request, Action.ADD_NOTES)
        if form.is_valid():
            try:
                reply_on_whatsapp(
                    customer=customer, actor=request.user, text=form.cleaned_data["text"], now=now
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                flash.success(request, _("Respuesta enviada."))
                return redirect("outreach:whatsapp_conversation", customer.pk)
    return render(
        request,
        "outreach/whatsapp_conversation.html",
        {
            "customer": customer,
            "rows": conversation(customer),
            "form": form,
            "closes_at": window_closes_at(customer, now=now),
            "can_reply": can(request.membership, Action.ADD_NOTES),
        },
    )


@org_member_required
def whatsapp_media(request, pk):
    """A file a debtor sent on WhatsApp that was kept for the agent (not a payment's
    proof): whoever sees the customer's conversation may download it."""
    visible = customers_visible_to(getattr(request, "membership", None))
    inbound = (
        InboundMessage.objects.filter(pk=pk, customer__in=visible).exclude(media_file="").first()
    )
    if inbound is None:
        raise Http404
    # A debtor's file never runs in the back office's browser: always a download.
    return FileResponse(
        inbound.media_file.open("rb"),
        as_attachment=True,
        filename=inbound.media_file.name.rsplit("/", 1)[-1],
        content_type=inbound.media_content_type,
    )
