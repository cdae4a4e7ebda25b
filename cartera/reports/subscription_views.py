"""Scheduled reports' page: list, create and delete subscriptions (reports.scheduled)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cartera.lib.forms import add_service_errors
from cartera.orgs.choices import Role
from cartera.orgs.decorators import org_member_required

from .digest import DIGEST_ROLES, save_digest_settings
from .models import DigestSettings, ReportSubscription
from .scheduled import SOURCES, create_subscription, delete_subscription, may_manage
from .subscription_forms import DigestSettingsForm, SubscriptionForm


def _visible(membership):
    """Managers and owners see every subscription; other members their own."""
    subscriptions = ReportSubscription.objects.filter(organization=membership.organization)
    if membership.role not in (Role.OWNER, Role.MANAGER):
        subscriptions = subscriptions.filter(owner=membership.user)
    return subscriptions.select_related("owner").prefetch_related("recipients__user")


def _require_subscriber(membership) -> None:
    if membership.role == Role.VIEWER:  # viewers only read
        raise PermissionDenied


@org_member_required
@require_http_methods(["GET", "POST"])
def subscriptions_page(request):
    membership = request.membership
    form = SubscriptionForm(request.POST or None, organization=membership.organization)
    if request.method == "POST":
        _require_subscriber(membership)
        if form.is_valid():
            try:
                create_subscription(membership=membership, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("report_pages:subscriptions")
    rows = [(s, SOURCES.get(s.report)) for s in _visible(membership)]
    current = DigestSettings.objects.filter(membership=membership).first()
    context = {
        "rows": rows,
        "form": form,
        "can_subscribe": membership.role != Role.VIEWER,
        "digest_form": DigestSettingsForm(
            initial={
                "receive": "no" if current and not current.receive else "yes",
                "language": current.language if current else "",
            }
        ),
        "gets_digest": membership.role in DIGEST_ROLES,
    }
    return render(request, "reports/subscriptions.html", context)


@org_member_required
@require_POST
def subscription_delete(request, pk):
    subscription = _visible(request.membership).filter(pk=pk).first()
    if subscription is None or not may_manage(request.membership, subscription):
        raise Http404
    _require_subscriber(request.membership)
    delete_subscription(membership=request.membership, subscription=subscription)
    return redirect("report_pages:subscriptions")


@org_member_required
@require_POST
def digest_settings(request):
    """The member's own daily-digest setting (receive it or not, its language)."""
    if request.membership.role not in DIGEST_ROLES:
        raise PermissionDenied
    form = DigestSettingsForm(request.POST)
    if form.is_valid():
        save_digest_settings(membership=request.membership, **form.cleaned_data)
    return redirect("report_pages:subscriptions")
