"""Chaining new entries: lock the organisation's chain head, number and hash the entries
in order, move the head. Called by the services inside their transaction."""

from collections.abc import Sequence

from django.db import connection
from django.utils import timezone

from .chain import GENESIS, entry_hash
from .models import Activity, ChainHead


def _head_sql() -> tuple[str, str]:
    """Raw SQL for the two head statements every write runs: the ORM's query building cost
    more than the queries themselves (a single write went from ~0.3 to ~2 ms)."""
    quote = connection.ops.quote_name
    table, org = quote(ChainHead._meta.db_table), quote("organization_id")
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    select = f"SELECT last_sequence, last_hash FROM {table} WHERE {org} = %s{lock}"
    update = f"UPDATE {table} SET last_sequence = %s, last_hash = %s WHERE {org} = %s"
    return select, update


def _locked_head(cursor, select: str, organization_id: int) -> tuple[int, str]:
    """The head (last sequence, last hash), locked until the transaction ends (SELECT …
    FOR UPDATE on PostgreSQL; on SQLite the IMMEDIATE transaction holds the write lock)."""
    cursor.execute(select, [organization_id])
    row = cursor.fetchone()
    if row is None:
        # A concurrent first writer may create it too: get_or_create re-reads on conflict.
        ChainHead.objects.get_or_create(
            organization_id=organization_id, defaults={"last_sequence": 0, "last_hash": GENESIS}
        )
        cursor.execute(select, [organization_id])
        row = cursor.fetchone()
    return row[0], row[1]


def chain_entries(activities: Sequence[Activity], *, stamp: bool = True) -> None:
    """Give unsaved entries their ``sequence`` and ``chain_hash``, in the order given, and
    move each organisation's head. Must run in the transaction that saves them.

    ``stamp`` sets ``created_at`` to now (what ``auto_now_add`` did); back-dated writers
    (the demo) pass False and set it themselves."""
    if not connection.in_atomic_block:
        raise RuntimeError("chain_entries must run inside the transaction that saves")
    by_org: dict[int, list[Activity]] = {}
    for activity in activities:
        by_org.setdefault(activity.organization_id, []).append(activity)
    select, update = _head_sql()
    with connection.cursor() as cursor:
        # Heads locked in id order: writers spanning the same organisations cannot deadlock.
        for organization_id in sorted(by_org):
            sequence, previous = _locked_head(cursor, select, organization_id)
            for activity in by_org[organization_id]:
                if stamp:
                    activity.created_at = timezone.now()
                sequence += 1
                activity.sequence = sequence
                activity.chain_hash = previous = entry_hash(activity, previous)
            cursor.execute(update, [sequence, previous, organization_id])
