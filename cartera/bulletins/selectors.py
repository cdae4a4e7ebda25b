"""Permission-scoped reads of the bulletin pages: the organisation's rows, only the
assigned customers' for a restricted agent (``scope_to_member``); 404 for anything else."""

import datetime as dt

from django.http import Http404

from cartera.invoices.selectors import invoices_visible_to
from cartera.orgs.access import scope_to_member

from .models import BulletinEntry, BulletinFile, Publication
from .services import candidates, exportable_entries, exportable_from, settings_of

STATES = ("candidates", "selected", "noticed", "ready", "published", "removal_due", "removed")


def entries_visible_to(membership):
    if membership is None:
        return BulletinEntry.objects.none()
    return scope_to_member(BulletinEntry.objects.all(), membership).select_related(
        "invoice", "customer", "notice"
    )


def publications_visible_to(membership):
    if membership is None:
        return Publication.objects.none()
    return scope_to_member(
        Publication.objects.all(), membership, customer_path="entry__customer"
    ).select_related("entry__invoice", "entry__customer", "file", "removal_file")


def files_of(membership):
    if membership is None:
        return BulletinFile.objects.none()
    return BulletinFile.objects.filter(organization_id=membership.organization_id).defer("content")


def get_file_for_user(request, pk) -> BulletinFile:
    found = BulletinFile.objects.filter(
        organization_id=getattr(getattr(request, "membership", None), "organization_id", None),
        pk=pk,
    ).first()
    if found is None:
        raise Http404
    return found


def rows_in_state(membership, state: str, *, today: dt.date) -> list:
    """The rows of one tab of the page, oldest due first."""
    organization = membership.organization
    if state == "candidates":
        visible = invoices_visible_to(membership)
        pool = candidates(organization, today=today, invoices=visible)
        return list(pool.select_related("customer").order_by("due_date", "id")[:500])
    entries = entries_visible_to(membership).filter(organization=organization)
    if state == "selected":
        return list(entries.filter(notice__isnull=True).order_by("invoice__due_date", "id"))
    if state in ("noticed", "ready"):
        ready_ids = {e.pk for e in exportable_entries(organization, today=today)}
        wait_days = settings_of(organization).wait_days
        noticed = entries.filter(notice__isnull=False, publication__isnull=True)
        wanted = state == "ready"
        rows = [
            e for e in noticed.order_by("invoice__due_date", "id") if (e.pk in ready_ids) == wanted
        ]
        for entry in rows:
            entry.exportable_from = exportable_from(
                entry, wait_days=wait_days, tz_name=organization.timezone
            )
        return rows
    publications = publications_visible_to(membership)
    if state == "published":
        return list(publications.filter(removal_due_on__isnull=True))
    if state == "removal_due":
        return list(publications.filter(removal_due_on__isnull=False, removed_on__isnull=True))
    return list(publications.filter(removed_on__isnull=False))
