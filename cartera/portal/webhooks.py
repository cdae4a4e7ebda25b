"""Payment-provider webhooks. The signature is verified before anything is read; a bad
signature answers 400 and changes nothing. A verified notification is stored once in the
inbox and answered 200 at once (``queued``, or ``duplicate`` the second time); the
read-back and the payment happen in a task (``cartera.payments.inbox``).

STP's SendAbono receiver (``stp_abono``) is authenticated by the organisation's token
(``?token=`` or the ``X-Cartera-Token`` header: STP posts to a fixed URL, so the token
rides in it) and, when configured, by an allow-list of STP's addresses."""

import hmac
import ipaddress
import logging

from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cartera.lib.clients import client_ip
from cartera.orgs.models import Organization
from cartera.payments.inbox import store_notification
from cartera.payments.providers.base import MalformedEventError, WebhookSignatureError
from cartera.payments.providers.registry import provider_for
from cartera.payments.stp import receive_abono

from .access import settings_for

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def provider_webhook(request, provider, slug):
    organization = Organization.objects.filter(slug=slug).first()
    impl = provider_for(provider, settings_for(organization)) if organization else None
    if impl is None:
        return HttpResponse(status=404)
    try:
        notification = impl.verify_webhook(
            payload=request.body, headers=request.headers, query=request.GET.dict()
        )
    except WebhookSignatureError:
        log.warning("rejected %s webhook for %s: bad signature", provider, slug)
        return HttpResponseBadRequest("bad signature")
    except MalformedEventError as error:
        log.warning("rejected %s webhook for %s: %s", provider, slug, error)
        return HttpResponseBadRequest(f"malformed event: {error}")
    answer = store_notification(
        organization=organization, provider_name=impl.name, notification=notification
    )
    return HttpResponse(answer)


def ip_allowed(address: str, allowed: str) -> bool:
    """True when no allow-list is set or ``address`` is in one of its networks."""
    entries = [line.strip() for line in allowed.replace(",", "\n").splitlines() if line.strip()]
    if not entries:
        return True
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in entries:
        try:
            if parsed in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


@csrf_exempt
@require_POST
def stp_abono(request, slug):
    organization = Organization.objects.filter(slug=slug).first()
    row = settings_for(organization) if organization else None
    if row is None or not row.stp_configured:
        return HttpResponse(status=404)
    token = request.GET.get("token") or request.headers.get("X-Cartera-Token") or ""
    if not hmac.compare_digest(token.encode(), row.stp_webhook_token.encode()):
        log.warning("rejected STP abono for %s: bad token", slug)
        return HttpResponse("forbidden", status=403)
    if not ip_allowed(client_ip(request), row.stp_allowed_ips):
        log.warning("rejected STP abono for %s from %s", slug, client_ip(request))
        return HttpResponse("forbidden", status=403)
    answer = receive_abono(
        organization=organization,
        body=request.body,
        company=row.stp_empresa,
        prefix=row.clabe_prefix,
        unknown_policy=row.stp_unknown_clabe,
    )
    return JsonResponse(answer.body, status=answer.status)
