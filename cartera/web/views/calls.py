"""The call screen of a task: everything about the customer (invoices, promises,
disputes, notes, the last messages sent) and the call log form. It reads the outbox,
which sits above the work list, so it lives here."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cartera.followup.calls import log_call
from cartera.followup.choices import CallOutcome
from cartera.followup.forms import CallForm
from cartera.followup.selectors import call_context, get_task_for_user, timeline_for
from cartera.invoices.choices import InvoiceStatus
from cartera.invoices.selectors import invoices_visible_to
from cartera.lib.dates import local_today
from cartera.lib.forms import add_service_errors
from cartera.orgs.access import Action, require
from cartera.orgs.decorators import org_member_required
from cartera.outreach.choices import MessageStatus
from cartera.outreach.selectors import messages_visible_to
from cartera.payments.choices import PaymentMethod

RECENT_MESSAGES = 5
TIMELINE_ROWS = 20


def _recent_messages(membership, customer) -> list:
    """The last messages actually handed to a channel (queued ones were never sent)."""
    return list(
        messages_visible_to(membership)
        .filter(customer=customer)
        .exclude(status=MessageStatus.QUEUED)
        .order_by("-created_at", "-id")[:RECENT_MESSAGES]
    )


def _blank_form(invoices, today: dt.date) -> CallForm:
    overdue = [i for i in invoices if i.due_date < today]
    return CallForm(
        invoices=invoices,
        initial={
            "invoices": overdue,
            "amount": sum((i.balance for i in overdue), 0) or None,
            "promised_date": today + dt.timedelta(days=7),
            "next_date": today + dt.timedelta(days=1),
            "paid_date": today,
        },
    )


def _log(request, task, data: dict, today: dt.date) -> None:
    log_call(
        customer=task.customer,
        actor=request.user,
        outcome=data["outcome"],
        today=today,
        task=task,
        note=data["note"],
        next_date=data["next_date"],
        invoices=list(data["invoices"] or []),
        promised_date=data["promised_date"],
        amount=data["amount"],
        dispute_reason=data["dispute_reason"],
        dispute_text=data["note"],
        paid_date=data["paid_date"],
        method=data["method"] or PaymentMethod.TRANSFER,
        reference=data["reference"],
    )


@org_member_required
@require_http_methods(["GET", "POST"])
def call(request, pk):
    task = get_task_for_user(request, pk)
    customer = task.customer
    membership = request.membership
    today = local_today(membership.organization.timezone)
    invoices = invoices_visible_to(membership).filter(
        customer=customer, status=InvoiceStatus.OPEN, balance__gt=0
    )
    if request.method == "POST":
        require(request, Action.ADD_NOTES)
        form = CallForm(request.POST, invoices=invoices)
        if form.is_valid():
            try:
                _log(request, task, form.cleaned_data, today)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                outcome = CallOutcome(form.cleaned_data["outcome"]).label
                messages.success(request, _("Llamada registrada: %(o)s") % {"o": outcome})
                return redirect("followup:worklist")
    else:
        form = _blank_form(invoices, today)
    context = {
        "task": task,
        "customer": customer,
        "today": today,
        "form": form,
        "timeline": timeline_for(membership, customer=customer)[:TIMELINE_ROWS],
        **call_context(membership, customer, today=today),
        "outreach_messages": _recent_messages(membership, customer),
    }
    return render(request, "web/call.html", context)
