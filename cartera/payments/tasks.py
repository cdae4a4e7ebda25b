"""Task wrappers around payments services (run by the worker)."""

import logging

from django.utils import timezone
from django_tasks import task

from cartera.lib.dates import local_today
from cartera.orgs.language import in_organization_language
from cartera.orgs.models import Organization

from .cep_movements import check_cep_movements
from .ledger import check_ledger
from .models import BankMovement
from .payment_requests import expire_due
from .reconciliation import reconcile

logger = logging.getLogger("cartera.ledger")


@task()
@in_organization_language
def check_organization_ledger(organization_id: int, slot: str = "") -> dict:
    """Recompute one organisation's balances and log every mismatch (scheduled daily)."""
    organization = Organization.objects.get(pk=organization_id)
    result = check_ledger(organization=organization)
    for row in result["mismatches"]:
        logger.error("ledger mismatch in %s: %s", organization.slug, row)
    if result["ok"]:
        logger.info("ledger ok for %s: %s invoices", organization.slug, result["invoices"])
    return {
        "ok": result["ok"],
        "invoices": result["invoices"],
        "mismatches": len(result["mismatches"]),
        "slot": slot,
    }


@task()
@in_organization_language
def reconcile_statement(organization_id: int, statement_id: int) -> dict:
    """Match the incoming movements that one statement (or one STP notification) brought."""
    organization = Organization.objects.get(pk=organization_id)
    movements = list(BankMovement.objects.filter(statement_id=statement_id, amount__gt=0))
    result = reconcile(
        organization=organization, today=local_today(organization.timezone), movements=movements
    )
    return {k: len(v) for k, v in result.as_json().items()}


@task()
@in_organization_language
def expire_payment_requests(organization_id: int, slot: str = "") -> dict:
    """Expire the organisation's open payment requests past their expiry (safe twice)."""
    organization = Organization.objects.get(pk=organization_id)
    return {"expired": expire_due(organization=organization, now=timezone.now()), "slot": slot}


@task()
@in_organization_language
def check_cep_movement_receipts(organization_id: int, slot: str = "") -> dict:
    """Every quarter hour (and after a CEP import): Banxico's word on the waiting CEP
    movements; the confirmed ones are reconciled."""
    organization = Organization.objects.get(pk=organization_id)
    return check_cep_movements(organization=organization, today=local_today(organization.timezone))
