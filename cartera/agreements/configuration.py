"""The organisation's agreement settings, saved by owners and managers: the plan policy
and late interest (``AgreementSettings``), the negotiation limits per role
(``NegotiationLimit``) and the collection fee of each dunning stage (``StageFee``).
Forms validate the values; these services write them, one timeline entry per save.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.orgs.choices import Role
from cartera.timeline import events
from cartera.timeline.sentences import sentence

from .choices import ReminderChannel
from .models import AgreementSettings, NegotiationLimit, StageFee
from .negotiation import limits_for

SETTINGS_FIELDS = (
    "portal_plans",
    "max_instalments",
    "min_down_payment_percent",
    "max_term_days",
    "grace_days",
    "move_off_holidays",
    "interest_method",
    "annual_rate",
    "remind_days_before",
    "remind_days_after",
    "reminder_channels",
    "accrue_late_interest",
    "late_interest_rate",
    "usury_warning_rate",
)
LIMIT_FIELDS = ("max_discount_percent", "max_write_off", "max_instalments", "may_waive_interest")
# Owners have no limit (negotiation.limits_for); these are the roles that can be limited.
LIMITED_ROLES = (Role.MANAGER, Role.AGENT)


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value


def _check_channels(channels) -> None:
    """Reminder channels: one or more known channels, each once."""
    if (
        not channels
        or any(channel not in ReminderChannel.values for channel in channels)
        or len(set(channels)) != len(channels)
    ):
        raise ValidationError(
            {
                "reminder_channel_1": _(
                    "Elija los canales de entre correo, WhatsApp y SMS, sin repetir."
                )
            }
        )


@transaction.atomic
def save_agreement_settings(*, organization, actor, **fields) -> AgreementSettings:
    """Create or update the plan policy and late-interest settings (validated by the form)."""
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    if "reminder_channels" in fields:
        _check_channels(fields["reminder_channels"])
    saved, _created = AgreementSettings.objects.update_or_create(
        organization=organization, defaults=fields
    )
    events.config_changed(
        organization,
        actor=actor,
        summary=sentence(gettext_lazy("Política de convenios e intereses guardada")),
        **{name: _plain(getattr(saved, name)) for name in SETTINGS_FIELDS},
    )
    return saved


def current_limits(organization) -> dict:
    """The limits in force per limited role (saved, else the defaults), as field values."""
    result = {}
    for role in LIMITED_ROLES:
        limits = limits_for(organization=organization, role=role)
        result[role] = {name: getattr(limits, name) for name in LIMIT_FIELDS}
    return result


@transaction.atomic
def save_negotiation_limits(*, organization, actor, limits: dict) -> None:
    """``limits``: role → the four limit values. Roles other than manager and agent are
    refused (owners are never limited; viewers offer nothing)."""
    unknown = set(limits) - set(LIMITED_ROLES)
    if unknown:
        raise TypeError(f"roles without limits: {sorted(unknown)}")
    for role, values in limits.items():
        NegotiationLimit.objects.update_or_create(
            organization=organization,
            role=role,
            defaults={name: values[name] for name in LIMIT_FIELDS},
        )
    events.config_changed(
        organization,
        actor=actor,
        summary=sentence(gettext_lazy("Límites de negociación guardados")),
        **{
            role: {name: _plain(values[name]) for name in LIMIT_FIELDS}
            for role, values in limits.items()
        },
    )


def stage_fees(organization) -> dict:
    """Stage key → its ``StageFee``."""
    return {fee.stage: fee for fee in StageFee.objects.filter(organization=organization)}


@transaction.atomic
def save_stage_fees(*, organization, actor, fees: dict) -> None:
    """``fees``: stage → ``{"amount": …}``, ``{"percent": …}`` or ``None`` (no fee)."""
    for stage, fee in fees.items():
        if not fee:
            StageFee.objects.filter(organization=organization, stage=stage).delete()
            continue
        StageFee.objects.update_or_create(
            organization=organization,
            stage=stage,
            defaults={"amount": fee.get("amount"), "percent": fee.get("percent")},
        )
    events.config_changed(
        organization,
        actor=actor,
        summary=sentence(gettext_lazy("Gastos de cobranza por etapa guardados")),
        **{
            stage: {k: _plain(v) for k, v in fee.items()} if fee else None
            for stage, fee in fees.items()
        },
    )
