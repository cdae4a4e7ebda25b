"""Writes of the group view (docs/groups.md): a customer's declared "grupo empresarial",
its "suspender suministro" flag, and an organisation's credit limit for a whole group.
Each is an owner's or manager's act (``Action.MANAGE_CREDIT``, checked here too), one
transaction, one timeline entry. The reads that join organisations are
``cartera.reports.groups``."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cartera.lib.money import Money, storable_money
from cartera.orgs.access import Action, require_member
from cartera.timeline import events

from .models import Customer, GroupCreditLimit


def group_key_for(name: str) -> str:
    """The key that makes two declarations the same group: the name slugified ("Grupo
    Ágil, S.A." and "grupo agil sa" → "grupo-agil-sa")."""
    return slugify(name or "")[:120]


@transaction.atomic
def set_business_group(*, customer: Customer, actor, name: str) -> Customer:
    require_member(actor, customer.organization, Action.MANAGE_CREDIT)
    name = " ".join((name or "").split())[:120]
    key = group_key_for(name)
    if name and not key:
        raise ValidationError(
            {"business_group": _("Escriba un nombre con letras o números para el grupo.")}
        )
    old = customer.business_group
    if (old, customer.business_group_key) == (name, key):
        return customer
    customer.business_group, customer.business_group_key = name, key
    customer.save(update_fields=["business_group", "business_group_key", "updated_at"])
    events.business_group_changed(customer, actor=actor, old=old)
    return customer


@transaction.atomic
def set_supply_stop(*, customer: Customer, actor, stopped: bool, reason: str, today) -> Customer:
    """Raise (``stopped``, with a reason) or lift "suspender suministro"."""
    require_member(actor, customer.organization, Action.MANAGE_CREDIT)
    reason = (reason or "").strip()[:300]
    if stopped and not reason:
        raise ValidationError({"supply_stopped_reason": _("Indique el motivo de la suspensión.")})
    if stopped == customer.supply_stopped and (
        not stopped or reason == customer.supply_stopped_reason
    ):
        return customer
    # a new reason for a stop already raised keeps the day it was raised
    since = customer.supply_stopped_on if customer.supply_stopped else today
    customer.supply_stopped = stopped
    customer.supply_stopped_reason = reason if stopped else ""
    customer.supply_stopped_on = since if stopped else None
    customer.save(
        update_fields=[
            "supply_stopped",
            "supply_stopped_reason",
            "supply_stopped_on",
            "updated_at",
        ]
    )
    events.supply_stop_changed(customer, actor=actor)
    return customer


@transaction.atomic
def save_customer_credit(
    *, customer: Customer, actor, business_group: str, supply_stopped: bool, reason: str, today
) -> Customer:
    """The credit form of a customer: its declared group and its stop-supply flag at once."""
    set_business_group(customer=customer, actor=actor, name=business_group)
    return set_supply_stop(
        customer=customer, actor=actor, stopped=supply_stopped, reason=reason, today=today
    )


@transaction.atomic
def set_group_credit_limit(
    *,
    organization,
    actor,
    group_key: str,
    amount: Decimal | None,
    currency: str,
    replaces: set[str] = frozenset(),
) -> GroupCreditLimit | None:
    """The organisation's credit limit for the group ``group_key``; None removes it. A limit
    the organisation set under another key of the same group (``replaces``: its tax ids
    and declared key) is replaced, so one group has one limit per organisation."""
    require_member(actor, organization, Action.MANAGE_CREDIT)
    GroupCreditLimit.objects.filter(
        organization=organization, group_key__in=set(replaces) - {group_key}
    ).delete()
    existing = GroupCreditLimit.objects.filter(organization=organization, group_key=group_key)
    if amount is None:
        if existing.exists():
            existing.delete()
            events.group_credit_limit_set(
                organization, actor=actor, group_key=group_key, limit=None
            )
        return None
    if amount < 0:
        raise ValidationError({"amount": _("El límite de crédito no puede ser negativo.")})
    amount = storable_money(amount, currency, field="amount")
    limit, _created = GroupCreditLimit.objects.update_or_create(
        organization=organization,
        group_key=group_key,
        defaults={"amount": amount, "currency": currency},
    )
    events.group_credit_limit_set(
        organization, actor=actor, group_key=group_key, limit=Money(amount, currency)
    )
    return limit
