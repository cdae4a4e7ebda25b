"""Chaining new entries: lock the organisation's chain head, number and hash the entries
in order, move the head. Called by the services inside their transaction."""

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from .chain import GENESIS, entry_hash
from .models import Activity, ChainHead


def _locked_head(organization_id: int) -> ChainHead:
    """The head row, locked until the transaction ends (SELECT … FOR UPDATE on PostgreSQL;
    on SQLite the IMMEDIATE transaction already holds the database's write lock)."""
    head = ChainHead.objects.select_for_update().filter(organization_id=organization_id).first()
    if head is None:
        # A concurrent first writer may create it too: get_or_create re-reads on conflict.
        ChainHead.objects.get_or_create(
            organization_id=organization_id, defaults={"last_sequence": 0, "last_hash": GENESIS}
        )
        head = ChainHead.objects.select_for_update().get(organization_id=organization_id)
    return head


def chain_entries(activities: Sequence[Activity], *, stamp: bool = True) -> None:
    """Give unsaved entries their ``sequence`` and ``chain_hash``, in the order given, and
    move each organisation's head. Must run in the transaction that saves them.

    ``stamp`` sets ``created_at`` to now (what ``auto_now_add`` did); back-dated writers
    (the demo) pass False and set it themselves."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("chain_entries must run inside the transaction that saves")
    by_org: dict[int, list[Activity]] = {}
    for activity in activities:
        by_org.setdefault(activity.organization_id, []).append(activity)
    # Heads locked in id order: two writers spanning the same organisations cannot deadlock.
    for organization_id in sorted(by_org):
        head = _locked_head(organization_id)
        sequence, previous = head.last_sequence, head.last_hash
        for activity in by_org[organization_id]:
            if stamp:
                activity.created_at = timezone.now()
            sequence += 1
            activity.sequence = sequence
            activity.chain_hash = previous = entry_hash(activity, previous)
        ChainHead.objects.filter(pk=organization_id).update(
            last_sequence=sequence, last_hash=previous
        )
