"""Payment-provider webhooks. The signature is verified before anything is read; a bad
signature answers 400 and changes nothing; the same event twice records one payment."""

import logging

from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cartera.orgs.models import Organization
from cartera.payments.online import handle_event
from cartera.payments.providers.base import MalformedEventError, WebhookSignatureError
from cartera.payments.providers.registry import provider_for

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
        event = impl.parse_webhook(payload=request.body, headers=request.headers)
    except WebhookSignatureError:
        log.warning("rejected %s webhook for %s: bad signature", provider, slug)
        return HttpResponseBadRequest("bad signature")
    except MalformedEventError as error:
        log.warning("rejected %s webhook for %s: %s", provider, slug, error)
        return HttpResponseBadRequest(f"malformed event: {error}")
    outcome = handle_event(organization=organization, provider=impl, event=event)
    return HttpResponse(outcome)
