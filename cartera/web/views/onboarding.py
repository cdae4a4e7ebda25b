"""``/onboarding/``: before any organisation exists, the first-run sign-up form
(``orgs.views.onboarding``); afterwards, for owners and managers, the steps that take a
new organisation to its first reminder (``cartera/web/onboarding.py``)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cartera.dunning.models import STEP_ORDER, Strategy
from cartera.dunning.services import load_builtin_strategies
from cartera.lib.dates import local_today
from cartera.orgs import views as org_views
from cartera.orgs.access import Action, can, require
from cartera.orgs.decorators import org_member_required
from cartera.orgs.models import Organization
from cartera.orgs.onboarding import close_onboarding, onboarding_of, skip_onboarding_step
from cartera.orgs.services import update_organization
from cartera.outreach.defaults import KIND_TO_KEY
from cartera.outreach.models import TestSend
from cartera.outreach.rendering import MessageRenderer
from cartera.outreach.trial_sends import send_template_test
from cartera.payments.instructions import configured_accounts
from cartera.portal import access as portal_access
from cartera.portal.services import update_portal_settings

from ..onboarding import STEP_KEYS, onboarding_steps


def onboarding(request):
    if not Organization.objects.exists():
        return org_views.onboarding(request)
    # once an organisation exists, sign-up is gone: members sign in to see the steps
    return _wizard(request)


@org_member_required
def _wizard(request):
    require(request, Action.MANAGE_STRATEGIES)
    organization = request.membership.organization
    state = onboarding_of(organization)
    steps = onboarding_steps(organization, state.skipped if state else [])
    bank_accounts, clabe_prefix = configured_accounts(organization)
    settled = sum(1 for step in steps if step.settled)
    return render(
        request,
        "web/onboarding.html",
        {
            "steps": steps,
            "settled": settled,
            "total": len(steps),
            "percent": round(100 * settled / len(steps)),
            "state": state,
            "organization": organization,
            "bank_accounts": bank_accounts,
            "clabe_prefix": clabe_prefix,
            "can_manage_org": can(request.membership, Action.MANAGE_ORGANIZATION),
            "last_test": TestSend.objects.filter(organization=organization).first(),
        },
    )


def _back(step: str = ""):
    return redirect(reverse("onboarding:start") + (f"#step-{step}" if step else ""))


def _service_errors(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@org_member_required
@require_POST
def sender(request):
    require(request, Action.MANAGE_ORGANIZATION)
    organization = request.membership.organization
    if "sender_email" not in request.POST:
        return _back("sender")
    try:
        update_organization(
            organization=organization,
            actor=request.user,
            sender_name=request.POST.get("sender_name", "").strip(),
            sender_email=request.POST.get("sender_email", "").strip(),
            reply_to_email=request.POST.get("reply_to_email", "").strip(),
        )
    except ValidationError as exc:
        _service_errors(request, exc)
    else:
        messages.success(request, _("Remitente guardado."))
    return _back("sender")


@org_member_required
@require_POST
def bank(request):
    require(request, Action.MANAGE_ORGANIZATION)
    organization = request.membership.organization
    if "bank_accounts" not in request.POST:
        return _back("bank")
    current = portal_access.settings_for(organization)
    try:
        update_portal_settings(
            organization=organization,
            actor=request.user,
            require_code=current.require_code,
            max_promise_days=current.max_promise_days,
            bank_accounts=request.POST.get("bank_accounts", ""),
            clabe_prefix=request.POST.get("clabe_prefix", ""),
        )
    except ValidationError as exc:
        _service_errors(request, exc)
    else:
        messages.success(request, _("Cuentas bancarias guardadas."))
    return _back("bank")


@org_member_required
@require_POST
def strategies(request):
    require(request, Action.MANAGE_STRATEGIES)
    if request.POST.get("load") != "1":
        return _back("strategies")
    loaded = load_builtin_strategies(
        organization=request.membership.organization, actor=request.user
    )
    messages.success(
        request,
        _("Estrategias cargadas: %(names)s.") % {"names": ", ".join(s.name for s in loaded)},
    )
    return _back("strategies")


@org_member_required
@require_POST
def test_send(request):
    """The default strategy's first e-mail step, with the sample data, to my address."""
    require(request, Action.MANAGE_STRATEGIES)
    organization = request.membership.organization
    strategy = (
        Strategy.objects.filter(organization=organization).order_by("-is_default", "id").first()
    )
    step = (
        strategy.steps.filter(is_active=True, channel="email").order_by(*STEP_ORDER).first()
        if strategy
        else None
    )
    if step is None:
        messages.error(request, _("Primero cargue una estrategia con un paso por correo."))
        return _back("strategies")
    key = step.template_for(0) or KIND_TO_KEY.get(step.stage, "")
    try:
        parts = MessageRenderer(organization=organization).template(key, "email", "es-mx")
        test = send_template_test(
            organization=organization,
            user=request.user,
            parts=parts,
            source=TestSend.Source.STEP,
            source_label=f"{strategy.name} · {step.name or step.key}",
            today=local_today(organization.timezone),
            now=timezone.now(),
        )
    except ValidationError as exc:
        _service_errors(request, exc)
        return _back("test")
    messages.success(request, _("Prueba enviada a %(to)s.") % {"to": test.to})
    return redirect("outreach:mail_detail", kind="test", pk=test.pk)


@org_member_required
@require_POST
def skip(request, step):
    require(request, Action.MANAGE_STRATEGIES)
    if step not in STEP_KEYS:
        raise Http404
    if request.POST.get("skip") not in ("0", "1"):
        return _back(step)
    skip_onboarding_step(
        organization=request.membership.organization,
        actor=request.user,
        step=step,
        skip=request.POST["skip"] == "1",
    )
    return _back(step)


@org_member_required
@require_POST
def close(request):
    require(request, Action.MANAGE_STRATEGIES)
    if request.POST.get("close") not in ("dismiss", "finish"):
        return _back()
    close_onboarding(
        organization=request.membership.organization,
        actor=request.user,
        now=timezone.now(),
        finished=request.POST["close"] == "finish",
    )
    return redirect("reports:home")
