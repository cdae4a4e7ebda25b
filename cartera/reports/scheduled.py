"""Scheduled reports: a member's subscription to a report, produced on its days at the
organisation's local hour (job ``report-subscriptions``) and e-mailed to the recipients
as an attachment (docs/reports.md, "Scheduled reports").

The file is the page's own export: the page view is called for the subscription's owner
with the subscription's filters and the dates of the period that ended yesterday, so a
scheduled report is exactly what the owner's export button gives. The activity log and
the forecast are built by their background-export builders (``background.BUILDERS``)."""

import calendar
import datetime as dt
import logging
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest, QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.lib.exports import WRITERS, export_filename
from cartera.orgs.choices import Role
from cartera.orgs.models import Membership
from cartera.timeline.events import config_changed
from cartera.timeline.sentences import sentence

from . import agent_views, report_views
from .asof import month_start
from .background import BUILDERS, KINDS
from .models import Frequency, MemberMail, ReportDelivery, ReportSubscription

logger = logging.getLogger(__name__)


def _point(day, start, end):
    return {"as_of": day - dt.timedelta(days=1)}


@dataclass(frozen=True)
class Source:
    label: object
    view: object = None  # a report page (called with ?format=…), or
    builder: str = ""  # a background-export builder's name
    dates: object = _point  # (day, start, end) -> the page's date parameters
    filters: tuple = ()  # the page's other parameters a subscription may fix
    kinds: tuple = field(default=tuple(WRITERS))


SOURCES = {
    "aging": Source(
        gettext_lazy("Antigüedad de saldos"), report_views.aging_page, filters=("by", "group")
    ),
    "kpis": Source(
        gettext_lazy("Indicadores"),
        report_views.kpis_page,
        dates=lambda day, start, end: {"from": start, "to": end},
        filters=("trend",),
    ),
    "customers": Source(
        gettext_lazy("Comportamiento de clientes"),
        report_views.customers_page,
        filters=("classification",),
    ),
    "agents": Source(
        gettext_lazy("Resultados por gestor"),
        agent_views.agents_page,
        dates=lambda day, start, end: {"start": start, "end": end},
        filters=("currency",),
    ),
    "forecast": Source(gettext_lazy("Pronóstico de cobranza"), builder="forecast"),
    "timeline": Source(
        gettext_lazy("Bitácora de actividad"),
        builder="timeline",
        dates=lambda day, start, end: {"date_from": start, "date_to": end},
        filters=("kind", "actor"),
        kinds=KINDS["timeline"],
    ),
}


def period(frequency: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The period a report produced on ``day`` covers: it ended yesterday and is one day,
    seven days, or the previous calendar month long."""
    end = day - dt.timedelta(days=1)
    if frequency == Frequency.DAILY:
        return end, end
    if frequency == Frequency.WEEKLY:
        return day - dt.timedelta(days=7), end
    return month_start(end), end


def is_due(subscription: ReportSubscription, day: dt.date) -> bool:
    """Daily: every day; weekly: on its weekday (0 = Monday); monthly: on its day of the
    month, or the month's last day when the month is shorter."""
    if subscription.frequency == Frequency.WEEKLY:
        return day.weekday() == subscription.weekday
    if subscription.frequency == Frequency.MONTHLY:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(subscription.month_day or 1, last)
    return True


def parse_filters(report: str, text: str) -> dict:
    """The page filters a subscription keeps, from a query string ("group=customer")."""
    allowed = SOURCES[report].filters
    pairs = dict(parse_qsl(text.strip().lstrip("?")))
    unknown = sorted(set(pairs) - set(allowed))
    if unknown:
        raise ValidationError(
            _("Filtros no válidos para este reporte: %(names)s. Puede usar: %(allowed)s.")
            % {"names": ", ".join(unknown), "allowed": ", ".join(allowed) or "—"}
        )
    return pairs


def may_manage(membership: Membership, subscription: ReportSubscription) -> bool:
    """Any member manages their own subscriptions; managers and owners manage all."""
    if subscription.organization_id != membership.organization_id:
        return False
    return membership.role in (Role.OWNER, Role.MANAGER) or subscription.owner_id == (
        membership.user_id
    )


def _check_recipients(membership, recipients) -> list[Membership]:
    recipients = list(recipients)
    outside = [
        r for r in recipients if r.organization_id != membership.organization_id or not r.is_active
    ]
    if outside or not recipients:
        raise ValidationError(_("Los destinatarios deben ser miembros activos de la organización."))
    return recipients


@transaction.atomic
def create_subscription(
    *,
    membership,
    report: str,
    frequency: str,
    kind: str,
    recipients,
    weekday=None,
    month_day=None,
    filters: dict | None = None,
) -> ReportSubscription:
    if report not in SOURCES or kind not in SOURCES[report].kinds:
        raise ValidationError(_("Ese reporte no se puede enviar en ese formato."))
    recipients = _check_recipients(membership, recipients)
    subscription = ReportSubscription.objects.create(
        organization=membership.organization,
        owner=membership.user,
        report=report,
        frequency=frequency,
        weekday=weekday if frequency == Frequency.WEEKLY else None,
        month_day=month_day if frequency == Frequency.MONTHLY else None,
        kind=kind,
        filters=filters or {},
    )
    subscription.recipients.set(recipients)
    config_changed(
        membership.organization,
        actor=membership.user,
        summary=sentence(
            gettext_lazy("Reporte programado: %(report)s"), report=SOURCES[report].label
        ),
        subscription=subscription.pk,
    )
    return subscription


@transaction.atomic
def delete_subscription(*, membership, subscription: ReportSubscription) -> None:
    if not may_manage(membership, subscription):
        raise PermissionError("not this member's subscription")
    label = SOURCES.get(subscription.report, Source(subscription.report)).label
    config_changed(
        membership.organization,
        actor=membership.user,
        summary=sentence(gettext_lazy("Reporte programado eliminado: %(report)s"), report=label),
        subscription=subscription.pk,
    )
    subscription.delete()


def _owner_membership(subscription) -> Membership | None:
    return (
        Membership.objects.select_related("organization", "user")
        .filter(
            organization_id=subscription.organization_id,
            user_id=subscription.owner_id,
            is_active=True,
        )
        .first()
    )


def _params(subscription, day: dt.date) -> dict:
    source = SOURCES[subscription.report]
    start, end = period(subscription.frequency, day)
    dates = source.dates(day, start, end)
    return {**subscription.filters, **{k: v.isoformat() for k, v in dates.items()}}


def build_report_file(subscription, membership, day: dt.date) -> tuple[str, bytes]:
    """(filename, content) of the report as the owner's export gives it for ``day``."""
    source = SOURCES[subscription.report]
    params = _params(subscription, day)
    if source.builder:
        table, name = BUILDERS[source.builder](membership, params)
        table.time_zone = table.time_zone or membership.organization.timezone
        return export_filename(name, day, subscription.kind), WRITERS[subscription.kind](table)
    request = HttpRequest()
    request.method = "GET"
    request.GET = QueryDict(mutable=True)
    request.GET.update({**params, "format": subscription.kind})
    request.user, request.membership = membership.user, membership
    request.LANGUAGE_CODE = translation.get_language()
    response = source.view(request)
    disposition = response.get("Content-Disposition", "")
    filename = disposition.split("filename=")[-1].strip('"') or f"report.{subscription.kind}"
    return filename, response.content


def _queue_mail(subscription, delivery, day: dt.date) -> MemberMail:
    label = SOURCES[subscription.report].label
    start, end = period(subscription.frequency, day)
    emails = sorted({m.user.email for m in subscription.recipients.select_related("user")} - {""})
    return MemberMail.objects.create(
        organization_id=subscription.organization_id,
        key=f"report-{subscription.pk}-{day.isoformat()}",
        to=emails,
        subject=_("%(report)s — %(day)s") % {"report": label, "day": day.isoformat()},
        body_text=_(
            "Adjuntamos el reporte «%(report)s» (%(start)s – %(end)s), como lo programó en "
            "Cartera. Puede cambiar o cancelar el envío en Reportes › Reportes programados."
        )
        % {"report": label, "start": start.isoformat(), "end": end.isoformat()},
        delivery=delivery,
    )


def deliver_subscription(subscription, day: dt.date) -> ReportDelivery | None:
    """Produce and queue one subscription's report for ``day``, once: None when that day
    was already delivered or the owner is no longer a member."""
    membership = _owner_membership(subscription)
    if membership is None:
        return None
    try:
        with transaction.atomic():
            delivery = ReportDelivery.objects.create(subscription=subscription, day=day)
            filename, content = build_report_file(subscription, membership, day)
            delivery.filename = filename
            delivery.file.save(filename, ContentFile(content), save=True)
            _queue_mail(subscription, delivery, day)
    except IntegrityError:  # this slot was delivered by an earlier run
        return None
    return delivery


def deliver_due_reports(*, organization, day: dt.date) -> dict:
    """Every subscription of the organisation due on ``day`` (its local date)."""
    delivered = 0
    subscriptions = ReportSubscription.objects.filter(organization=organization)
    with timezone.override(organization.timezone):
        for subscription in subscriptions.order_by("pk"):
            if subscription.report not in SOURCES or not is_due(subscription, day):
                continue
            try:
                delivered += deliver_subscription(subscription, day) is not None
            except Exception:  # one broken report must not stop the others; a re-run retries
                logger.exception("scheduled report %s for %s failed", subscription.pk, day)
    return {"delivered": delivered, "day": day.isoformat()}
