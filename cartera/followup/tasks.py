"""Scheduled work of the followup app (registered in apps.py)."""

import datetime as dt

from django_tasks import task

from cartera.lib.dates import slot_date
from cartera.orgs.language import in_organization_language
from cartera.orgs.models import Organization
from cartera.payments.models import Payment

from .plans import settle_payment_plans as settle_plans
from .plans import sync_approval
from .promises import settle_promises as settle
from .reviews import review_reported_cep
from .services import refresh_scores


@task()
@in_organization_language
def refresh_task_scores(organization_id: int, slot: str = "") -> dict:
    """Nightly: store today's priority score of every open task of the organisation."""
    organization = Organization.objects.get(pk=organization_id)
    today = slot_date(slot, organization.timezone)
    return {"scored": refresh_scores(organization=organization, today=today), "slot": slot}


@task()
@in_organization_language
def settle_promises(organization_id: int, slot: str = "", on: str = "") -> dict:
    """Settle the promises whose date has passed on the slot's local date (``on``: a date
    given by hand, e.g. ``cartera portal settle-promises --on``)."""
    organization = Organization.objects.get(pk=organization_id)
    today = dt.date.fromisoformat(on) if on else slot_date(slot, organization.timezone)
    return {**settle(organization=organization, today=today), "slot": slot}


@task()
@in_organization_language
def settle_payment_plans(organization_id: int, slot: str = "", on: str = "") -> dict:
    """Review the payment plans on the slot's local date: paid ones complete, those with
    an instalment unpaid after the grace period break (task + broken promise)."""
    organization = Organization.objects.get(pk=organization_id)
    today = dt.date.fromisoformat(on) if on else slot_date(slot, organization.timezone)
    return {**settle_plans(organization=organization, today=today), "slot": slot}


@task()
def sync_approval_task(kind: str, pk: int) -> dict:
    """Enqueued by ``agreements.negotiation`` on commit: open the approver's task while an
    offer or a plan waits for approval; close it once it is decided."""
    return sync_approval(kind=kind, pk=pk)


@task()
@in_organization_language
def check_reported_payment_cep(organization_id: int, payment_id: int) -> dict:
    """Enqueued on commit when a reported payment's proof is an XML or a PDF: check its CEP with
    Banxico; a valid one accepts the report, anything else is flagged to the agent."""
    payment = Payment.objects.filter(organization_id=organization_id, pk=payment_id).first()
    if payment is None:
        return {"payment_id": payment_id, "outcome": "missing"}
    outcome = review_reported_cep(payment=payment)
    return {"payment_id": payment_id, "outcome": outcome.status, "reason": outcome.reason}
