"""The web onboarding's own state (skipped steps, finished or dismissed). The steps
themselves, and whether each is done, belong to the page that composes them
(``cartera/web/onboarding.py``); this module only stores what the owner chose."""

import datetime as dt

from django.db import transaction

from .access import Action, require_member
from .models import Onboarding


def start_onboarding(*, organization) -> Onboarding:
    """Called when the sign-up page creates the organisation (idempotent)."""
    return Onboarding.objects.get_or_create(organization=organization)[0]


def onboarding_of(organization) -> Onboarding | None:
    return Onboarding.objects.filter(organization=organization).first()


@transaction.atomic
def skip_onboarding_step(*, organization, actor, step: str, skip: bool = True) -> Onboarding:
    require_member(actor, organization, Action.MANAGE_STRATEGIES)
    row, _created = Onboarding.objects.select_for_update().get_or_create(organization=organization)
    skipped = [key for key in row.skipped if key != step]
    row.skipped = [*skipped, step] if skip else skipped
    row.save(update_fields=["skipped"])
    return row


@transaction.atomic
def close_onboarding(*, organization, actor, now: dt.datetime, finished: bool) -> Onboarding:
    """Finished (every step done or skipped) or dismissed: new sign-ins no longer land on
    it; the page stays reachable from the menu of the organisation's settings."""
    require_member(actor, organization, Action.MANAGE_STRATEGIES)
    row, _created = Onboarding.objects.select_for_update().get_or_create(organization=organization)
    if finished:
        row.finished_at = row.finished_at or now
    else:
        row.dismissed_at = row.dismissed_at or now
    row.save(update_fields=["finished_at", "dismissed_at"])
    return row
