"""The daily digest for managers and agents (docs/reports.md, "Daily digest"): yesterday's
collections, today's promises, yesterday's broken promises, unassigned tasks, new disputes,
bounced messages and the three accounts that most need attention (the work-list priority,
``followup.priority``), with links. An agent's digest covers the customers assigned to
them; an owner's or manager's the whole organisation. One e-mail per member and day
(``MemberMail`` key), in the member's language."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from cartera.customers.models import Customer
from cartera.followup.choices import PromiseStatus, TaskStatus
from cartera.followup.models import PromiseToPay, Task
from cartera.followup.priority import reasons_text, score_tasks
from cartera.invoices.models import Dispute
from cartera.lib.dates import short_date
from cartera.lib.money import Money
from cartera.orgs.choices import Role
from cartera.orgs.models import Membership
from cartera.outreach.choices import EventKind
from cartera.outreach.models import MessageEvent
from cartera.payments.choices import PaymentStatus
from cartera.payments.models import Payment

from .models import DigestSettings, MemberMail

DIGEST_ROLES = (Role.OWNER, Role.MANAGER, Role.AGENT)


@dataclass
class Digest:
    day: dt.date
    collected: list = field(default_factory=list)  # Money per currency
    promises_due: int = 0
    promises_due_amounts: list = field(default_factory=list)
    broken: int = 0
    unassigned_tasks: int = 0
    new_disputes: int = 0
    bounced: int = 0
    attention: list = field(default_factory=list)  # (customer name, url, reasons)


def local_day_bounds(day: dt.date, tz_name: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a local calendar day as aware instants."""
    tz = ZoneInfo(tz_name)
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)


def _sums(queryset) -> list[Money]:
    rows = queryset.values("currency").annotate(total=Sum("amount")).order_by("currency")
    return [Money(row["total"] or Decimal(0), row["currency"]) for row in rows]


def _customers(membership):
    customers = Customer.objects.filter(organization=membership.organization)
    if membership.role == Role.AGENT:
        customers = customers.filter(assigned_agent=membership.user)
    return customers


def _attention(membership, customers, today: dt.date) -> list[tuple]:
    tasks = Task.objects.filter(
        organization=membership.organization, status=TaskStatus.OPEN, customer__in=customers
    ).select_related("customer")
    seen, top = set(), []
    for task in score_tasks(tasks, organization=membership.organization, today=today):
        if task.customer_id in seen:
            continue
        seen.add(task.customer_id)
        url = settings.BASE_URL.rstrip("/") + reverse("customers:detail", args=[task.customer_id])
        top.append((task.customer.name, url, reasons_text(task.reasons)))
        if len(top) == 3:
            break
    return top


def build_digest(membership, *, today: dt.date) -> Digest:
    """The digest's figures for ``today`` (the organisation's local date)."""
    organization = membership.organization
    yesterday = today - dt.timedelta(days=1)
    start, end = local_day_bounds(yesterday, organization.timezone)
    customers = _customers(membership)
    payments = Payment.objects.filter(
        organization=organization,
        customer__in=customers,
        status=PaymentStatus.CONFIRMED,
        date=yesterday,
    )
    promises = PromiseToPay.objects.filter(organization=organization, customer__in=customers)
    due = promises.filter(status=PromiseStatus.OPEN, promised_date=today)
    return Digest(
        day=today,
        collected=_sums(payments),
        promises_due=due.count(),
        promises_due_amounts=_sums(due),
        broken=promises.filter(status=PromiseStatus.BROKEN, promised_date=yesterday).count(),
        unassigned_tasks=Task.objects.filter(
            organization=organization, status=TaskStatus.OPEN, assignee__isnull=True
        )
        .filter(customer__in=customers)
        .count(),
        new_disputes=Dispute.objects.filter(
            organization=organization,
            invoice__customer__in=customers,
            opened_at__gte=start,
            opened_at__lt=end,
        ).count(),
        bounced=MessageEvent.objects.filter(
            message__organization=organization,
            message__customer__in=customers,
            kind=EventKind.BOUNCED,
            occurred_at__gte=start,
            occurred_at__lt=end,
        ).aggregate(n=Count("message", distinct=True))["n"],
        attention=_attention(membership, customers, today),
    )


def _amounts(amounts) -> str:
    return ", ".join(str(m) for m in amounts) or "0"


def digest_text(digest: Digest) -> str:
    lines = [
        _("Cobrado ayer: %(amounts)s") % {"amounts": _amounts(digest.collected)},
        _("Promesas que vencen hoy: %(n)s (%(amounts)s)")
        % {"n": digest.promises_due, "amounts": _amounts(digest.promises_due_amounts)},
        _("Promesas incumplidas ayer: %(n)s") % {"n": digest.broken},
        _("Tareas sin asignar: %(n)s") % {"n": digest.unassigned_tasks},
        _("Aclaraciones nuevas: %(n)s") % {"n": digest.new_disputes},
        _("Mensajes rebotados: %(n)s") % {"n": digest.bounced},
        "",
        _("Las cuentas que más necesitan atención:"),
    ]
    for name, url, reasons in digest.attention:
        lines.append(f"- {name} ({' · '.join(reasons)}): {url}")
    if not digest.attention:
        lines.append(_("Ninguna tarea pendiente."))
    return "\n".join(lines)


def digest_recipients(organization):
    """Active owners, managers and agents with an e-mail who have not opted out."""
    return (
        Membership.objects.filter(organization=organization, is_active=True, role__in=DIGEST_ROLES)
        .exclude(user__email="")
        .exclude(digest_settings__receive=False)
        .select_related("organization", "user", "digest_settings")
        .order_by("pk")
    )


def _language(membership) -> str:
    chosen = getattr(getattr(membership, "digest_settings", None), "language", "")
    return chosen or membership.organization.language or settings.LANGUAGE_CODE


def queue_digests(*, organization, today: dt.date) -> dict:
    """One digest e-mail per member for ``today``; a second run finds them queued."""
    queued = 0
    for membership in digest_recipients(organization):
        with translation.override(_language(membership)):
            digest = build_digest(membership, today=today)
            try:
                with transaction.atomic():
                    MemberMail.objects.create(
                        organization=organization,
                        key=f"digest-{membership.pk}-{today.isoformat()}",
                        to=[membership.user.email],
                        subject=_("Resumen de cobranza del %(day)s") % {"day": short_date(today)},
                        body_text=digest_text(digest),
                    )
            except IntegrityError:  # this member's digest for today is already queued
                continue
        queued += 1
    return {"queued": queued, "day": today.isoformat()}


@transaction.atomic
def save_digest_settings(*, membership, receive: bool, language: str = "") -> DigestSettings:
    digest_settings, _created = DigestSettings.objects.update_or_create(
        membership=membership, defaults={"receive": receive, "language": language}
    )
    return digest_settings
