"""The group view's pages (docs/groups.md): the groups a user's organisations share, one
group's consolidated position (HTML or ``?format=json``), and the current organisation's
credit limit for the group. Every read starts from ``groups.viewing_memberships``."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cartera.customers.groups import set_group_credit_limit
from cartera.lib.money import Money
from cartera.orgs.access import Action, require
from cartera.orgs.decorators import org_member_required

from .forms import GroupLimitForm
from .groups import (
    canonical_key,
    group_customers,
    group_name,
    group_view,
    groups_of,
    keys_of,
    viewing_memberships,
)


@org_member_required
def group_list(request):
    memberships = viewing_memberships(request.user)
    groups = [
        {
            "key": canonical_key(customers),
            "name": group_name(customers),
            "customers": customers,
            "organizations": sorted({c.organization.name for c in customers}),
            "stopped": any(c.supply_stopped for c in customers),
        }
        for customers in groups_of(memberships)
    ]
    return render(request, "reports/groups/list.html", {"groups": groups})


@org_member_required
def group_detail(request, key):
    view = group_view(viewing_memberships(request.user), key)
    if view is None:
        raise Http404
    if request.GET.get("format") == "json":
        return JsonResponse(_as_json(view), json_dumps_params={"ensure_ascii": False})
    current = request.membership
    in_current_org = any(c.organization.pk == current.organization_id for c in view.companies)
    own_limit = next((x for x in view.limits if x.organization.pk == current.organization_id), None)
    form = GroupLimitForm(
        initial={
            "amount": own_limit.amount if own_limit else None,
            "currency": own_limit.currency if own_limit else current.organization.default_currency,
        }
    )
    context = {"group": view, "limit_form": form, "can_set_limit": in_current_org}
    return render(request, "reports/groups/detail.html", context)


@org_member_required
@require_POST
def group_limit(request, key):
    """The current organisation's credit limit for the group (empty amount: removed)."""
    membership = require(request, Action.MANAGE_CREDIT)
    own = [
        c
        for c in group_customers(viewing_memberships(request.user), key)
        if c.organization_id == membership.organization_id
    ]
    if not own:  # the current organisation sees no customer of the group
        raise Http404
    group_key = canonical_key(own)
    form = GroupLimitForm(request.POST)
    if form.is_valid():
        try:
            set_group_credit_limit(
                organization=membership.organization,
                actor=request.user,
                group_key=group_key,
                replaces=set().union(*(keys_of(c) for c in own)),
                amount=form.cleaned_data["amount"],
                currency=form.cleaned_data["currency"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Límite de crédito del grupo guardado."))
    else:
        messages.error(request, _("Revise el límite: %(errors)s") % {"errors": _errors(form)})
    return redirect("groups:detail", key=key)


def _errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _money(amount, currency) -> dict:
    return {"amount": Money(amount, currency).rounded().as_string(), "currency": currency}


def _balances_json(rows) -> list[dict]:
    return [
        {
            **_money(row["total"], row["currency"]),
            "buckets": {
                key: Money(amount, row["currency"]).rounded().as_string()
                for key, amount in row["buckets"].items()
            },
        }
        for row in rows
    ]


def _as_json(view) -> dict:
    return {
        "key": view.key,
        "name": view.name,
        "buckets": [b.key for b in view.bucket_list],
        "companies": [
            {
                "organization": c.organization.name,
                "customer": c.customer.name,
                "tax_id": c.customer.tax_id,
                "business_group": c.customer.business_group,
                "classification": c.customer.classification,
                "as_of": c.as_of.isoformat(),
                "credit_limit": (
                    _money(c.customer.credit_limit, c.organization.default_currency)
                    if c.customer.credit_limit is not None
                    else None
                ),
                "supply_stopped": c.customer.supply_stopped,
                "supply_stopped_reason": c.customer.supply_stopped_reason,
                "balances": _balances_json(c.balances),
                "open_promises": [
                    {**_money(p["amount"], p["currency"]), "count": p["count"]}
                    | {"next": p["next"].isoformat()}
                    for p in c.promises
                ],
                "open_disputes": c.open_disputes,
            }
            for c in view.companies
        ],
        "totals": _balances_json(view.totals),
        "limits": [
            {
                "organization": x.organization.name,
                **_money(x.amount, x.currency),
                "exposure": Money(x.exposure, x.currency).rounded().as_string(),
                "over": x.is_over,
            }
            for x in view.limits
        ],
    }
