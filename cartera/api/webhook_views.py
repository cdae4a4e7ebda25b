"""The owners' pages for outgoing webhooks: endpoints, their delivery log, resend."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cartera.lib.forms import add_service_errors
from cartera.orgs.access import Action
from cartera.orgs.decorators import org_member_required

from .forms import WebhookEndpointForm
from .models import WebhookEndpoint, WebhookMessage
from .webhooks import create_webhook_endpoint, resend_webhook_message, set_webhook_endpoint_active

LOG_SIZE = 50


def _endpoint_for(request, pk: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(organization=request.organization, pk=pk).first()
    if endpoint is None:
        raise Http404
    return endpoint


@org_member_required(action=Action.MANAGE_ORGANIZATION)
def endpoints(request):
    form = WebhookEndpointForm(request.POST or None)
    secret, created = "", None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = create_webhook_endpoint(
                organization=request.organization,
                actor=request.user,
                url=form.cleaned_data["url"],
                events_=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            form = WebhookEndpointForm()
    rows = WebhookEndpoint.objects.filter(organization=request.organization)
    context = {"form": form, "endpoints": rows, "secret": secret, "created": created}
    return render(request, "api/webhooks.html", context)


@org_member_required(action=Action.MANAGE_ORGANIZATION)
def endpoint_detail(request, pk: int):
    endpoint = _endpoint_for(request, pk)
    log = endpoint.messages.prefetch_related("tries")[:LOG_SIZE]
    return render(request, "api/webhook_detail.html", {"endpoint": endpoint, "log": log})


@require_POST
@org_member_required(action=Action.MANAGE_ORGANIZATION)
def endpoint_toggle(request, pk: int):
    endpoint = _endpoint_for(request, pk)
    set_webhook_endpoint_active(
        endpoint=endpoint, actor=request.user, active=not endpoint.is_active
    )
    return redirect("api_settings:webhook", pk=endpoint.pk)


@require_POST
@org_member_required(action=Action.MANAGE_ORGANIZATION)
def message_resend(request, pk: int):
    message = WebhookMessage.objects.filter(organization=request.organization, pk=pk).first()
    if message is None:
        raise Http404
    try:
        resend_webhook_message(message=message, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Reenvío programado."))
    return redirect("api_settings:webhook", pk=message.endpoint_id)
