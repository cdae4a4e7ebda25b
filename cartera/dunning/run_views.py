"""“Ejecutar cobranza ahora” and the strategy/step test sends (“Enviar prueba a mi
correo”)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cartera.customers.selectors import get_customer_for_user
from cartera.lib.dates import local_today
from cartera.orgs.access import Action, require
from cartera.orgs.decorators import org_member_required
from cartera.outreach.defaults import KIND_TO_KEY
from cartera.outreach.models import TestSend
from cartera.outreach.rendering import MessageRenderer, TemplateRenderError
from cartera.outreach.trial_sends import send_template_test

from .choices import StepChannel
from .models import STEP_ORDER
from .run_now import preview_collection_run, run_collection_now
from .selectors import get_strategy_for_user


@org_member_required
@require_http_methods(["GET", "POST"])
def run_now(request):
    """GET: the dry run (what would be created); POST: run it and send what is due."""
    require(request, Action.MANAGE_STRATEGIES)
    organization = request.membership.organization
    today, now = local_today(organization.timezone), timezone.now()
    if request.method == "POST" and request.POST.get("confirm") == "1":
        result = run_collection_now(
            organization=organization, actor=request.user, as_of=today, now=now
        )
        sent = result["sent"].get("sent", 0)
        messages.success(
            request,
            _(
                "Cobranza ejecutada: %(messages)s mensajes nuevos en cola, %(sent)s enviados "
                "ahora; el resto sale cuando la política de contacto lo permita."
            )
            % {"messages": result["counts"]["messages"], "sent": sent},
        )
        return redirect("outreach:mail" if sent else "outreach:outbox")
    preview = preview_collection_run(
        organization=organization, actor=request.user, as_of=today, now=now
    )
    return render(request, "dunning/run_now.html", {"preview": preview, "today": today})


def _email_step(strategy, step_pk=None):
    steps = strategy.steps.filter(is_active=True, channel=StepChannel.EMAIL).order_by(*STEP_ORDER)
    return steps.filter(pk=step_pk).first() if step_pk else steps.first()


@org_member_required
@require_POST
def strategy_test_send(request, pk, step_pk=None):
    """The step's e-mail (or the strategy's first e-mail step) to my own address, with
    the sample data or the chosen customer's."""
    require(request, Action.MANAGE_STRATEGIES)
    strategy = get_strategy_for_user(request, pk)
    step = _email_step(strategy, step_pk)
    if step is None:
        messages.error(request, _("Esta estrategia no tiene ese paso por correo."))
        return redirect("dunning:strategy", pk=strategy.pk)
    organization = request.membership.organization
    customer = None
    if request.POST.get("customer"):
        customer = get_customer_for_user(request, request.POST["customer"])
    key = step.template_for(customer.pk if customer else 0) or KIND_TO_KEY.get(step.stage, "")
    try:
        parts = MessageRenderer(organization=organization).template(
            key, "email", customer.language if customer else "es-mx"
        )
        test = send_template_test(
            organization=organization,
            user=request.user,
            parts=parts,
            source=TestSend.Source.STEP if step_pk else TestSend.Source.STRATEGY,
            source_label=f"{strategy.name} · {step.name or step.key}",
            customer=customer,
            today=local_today(organization.timezone),
            now=timezone.now(),
        )
    except TemplateRenderError as exc:
        messages.error(request, str(exc))
        return redirect("dunning:strategy", pk=strategy.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("dunning:strategy", pk=strategy.pk)
    messages.success(
        request,
        _("Prueba enviada a %(to)s: «%(subject)s».") % {"to": test.to, "subject": test.subject},
    )
    return redirect("outreach:mail_detail", kind="test", pk=test.pk)
