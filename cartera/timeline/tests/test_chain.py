"""The timeline's hash chain: writing, verifying, anchoring, the backfill."""

import base64
import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import connection

from cartera.timeline.backfill import backfill_chain
from cartera.timeline.chain import GENESIS, entry_hash
from cartera.timeline.choices import ActivityKind
from cartera.timeline.integrity import anchor_chain, verify_chain
from cartera.timeline.models import Activity, ChainAnchor, ChainHead, ChainKey
from cartera.timeline.services import new_activity, record_activities, record_activity
from cartera.timeline.tasks import anchor_timeline

DAY = dt.date(2026, 11, 30)


def _note(org, customer, n: int, **extra) -> Activity:
    return record_activity(
        organization=org,
        customer=customer,
        kind=ActivityKind.NOTE,
        summary=f"Nota {n}",
        data={"n": n, "amount": D("10.50"), **extra},
    )


def _bulk(org, customer, start: int, count: int) -> list[Activity]:
    entries = [
        new_activity(
            organization=org, customer=customer, kind=ActivityKind.NOTE, summary=f"Lote {n}"
        )
        for n in range(start, start + count)
    ]
    record_activities(entries)
    return entries


def _chain(org) -> list[tuple[int, str]]:
    return list(
        Activity.objects.filter(organization=org)
        .order_by("sequence")
        .values_list("sequence", "chain_hash")
    )


def _raw(org):
    """Edits that bypass the service (the real manager refuses them)."""
    return Activity._base_manager.filter(organization=org)


def test_single_and_bulk_writes_interleaved_chain_in_order(debtor_a):
    org = debtor_a.organization
    before = Activity.objects.filter(organization=org).count()
    first = _note(org, debtor_a, 1)
    bulk = _bulk(org, debtor_a, 2, 3)
    last = _note(org, debtor_a, 5, nested={"when": dt.date(2026, 1, 2)})
    chain = _chain(org)
    assert [s for s, _h in chain] == list(range(1, before + 6))
    assert [first.sequence, *(a.sequence for a in bulk), last.sequence] == list(
        range(before + 1, before + 6)
    )
    # Each hash links the previous one; recomputed from the stored row it is the same.
    previous = GENESIS
    for sequence, stored in chain:
        row = Activity.objects.get(organization=org, sequence=sequence)
        assert entry_hash(row, previous) == stored
        previous = stored
    head = ChainHead.objects.get(organization=org)
    assert (head.last_sequence, head.last_hash) == chain[-1]
    assert verify_chain(organization_id=org.pk) == {
        "ok": True,
        "entries": before + 5,
        "first_bad": None,
        "anchor": {"count": 0, "latest": None},
    }


def test_organisations_have_their_own_chains(debtor_a, debtor_b):
    _note(debtor_a.organization, debtor_a, 1)
    _note(debtor_b.organization, debtor_b, 1)
    for org in (debtor_a.organization, debtor_b.organization):
        assert [s for s, _h in _chain(org)] == list(range(1, len(_chain(org)) + 1))
        assert verify_chain(organization_id=org.pk)["ok"] is True


@pytest.mark.parametrize("change", [{"summary": "Nota cambiada"}, {"data": {"n": 99}}])
def test_an_edited_entry_is_named(debtor_a, change):
    org = debtor_a.organization
    entries = [_note(org, debtor_a, n) for n in range(4)]
    _raw(org).filter(pk=entries[1].pk).update(**change)
    result = verify_chain(organization_id=org.pk)
    assert result["ok"] is False
    assert result["first_bad"] == {
        "id": entries[1].pk,
        "sequence": entries[1].sequence,
        "reason": "content does not match its hash (edited)",
    }


def test_a_deleted_middle_entry_is_a_gap(debtor_a):
    org = debtor_a.organization
    entries = [_note(org, debtor_a, n) for n in range(4)]
    _raw(org).filter(pk=entries[1].pk).delete()
    result = verify_chain(organization_id=org.pk)
    assert result["first_bad"] == {
        "id": entries[2].pk,
        "sequence": entries[2].sequence,
        "reason": f"gap: sequence {entries[1].sequence} is missing",
    }


def test_deleting_the_last_entries_is_caught_by_the_anchor(debtor_a):
    org = debtor_a.organization
    entries = [_note(org, debtor_a, n) for n in range(4)]
    anchor = anchor_chain(organization_id=org.pk, day=DAY)
    assert (anchor.sequence, anchor.chain_hash) == (entries[-1].sequence, entries[-1].chain_hash)
    assert verify_chain(organization_id=org.pk)["ok"] is True
    _raw(org).filter(pk__in=[entries[2].pk, entries[3].pk]).delete()
    result = verify_chain(organization_id=org.pk)
    assert result["ok"] is False
    assert result["first_bad"] == {
        "id": None,
        "sequence": entries[3].sequence,
        "reason": f"anchor of {DAY}: entry {entries[3].sequence} is missing (truncated)",
    }


def test_a_rewritten_chain_differs_from_its_anchor(debtor_a):
    """Editing an entry and recomputing every later hash still breaks the signed anchor."""
    org = debtor_a.organization
    entries = [_note(org, debtor_a, n) for n in range(3)]
    anchor_chain(organization_id=org.pk, day=DAY)
    _raw(org).filter(pk=entries[2].pk).update(summary="Otra cosa")
    row = Activity.objects.get(pk=entries[2].pk)
    _raw(org).filter(pk=row.pk).update(chain_hash=entry_hash(row, entries[1].chain_hash))
    result = verify_chain(organization_id=org.pk)
    assert result["first_bad"] == {
        "id": entries[2].pk,
        "sequence": entries[2].sequence,
        "reason": f"hash differs from the anchor of {DAY}",
    }


def test_a_forged_anchor_signature_fails(debtor_a):
    org = debtor_a.organization
    _note(org, debtor_a, 1)
    anchor = anchor_chain(organization_id=org.pk, day=DAY)
    forged = base64.b64encode(bytes(64)).decode()
    ChainAnchor.objects.filter(pk=anchor.pk).update(signature=forged)
    result = verify_chain(organization_id=org.pk)
    assert result["first_bad"] == {
        "id": None,
        "sequence": anchor.sequence,
        "reason": f"anchor of {DAY}: bad signature",
    }


def test_the_anchor_job_is_safe_to_run_twice(debtor_a):
    org = debtor_a.organization
    _note(org, debtor_a, 1)
    slot = "2026-11-30T23:55:00-06:00"
    first = anchor_timeline.call(org.pk, slot)
    _note(org, debtor_a, 2)
    second = anchor_timeline.call(org.pk, slot)
    assert first == second
    assert first["anchored"] is True and first["day"] == "2026-11-30"
    assert ChainAnchor.objects.filter(organization=org).count() == 1
    key = ChainKey.objects.get(organization=org)
    assert len(base64.b64decode(key.public_key)) == 32
    # The private key is encrypted at rest.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT private_key FROM timeline_chainkey WHERE organization_id = %s", [org.pk]
        )
        stored = cursor.fetchone()[0]
    assert stored != key.private_key and len(base64.b64decode(key.private_key)) == 32


def test_verify_command_prints_json_and_exits_1_when_broken(debtor_a, capsys):
    org = debtor_a.organization
    entries = [_note(org, debtor_a, n) for n in range(2)]
    call_command("timeline", "verify", "--org", org.slug, "--json")
    assert '"ok": true' in capsys.readouterr().out
    _raw(org).filter(pk=entries[0].pk).update(summary="x")
    with pytest.raises(SystemExit) as exit_info:
        call_command("timeline", "verify", "--org", org.slug, "--json")
    assert exit_info.value.code == 1
    assert f'"id": {entries[0].pk}' in capsys.readouterr().out


def test_backfill_chains_old_entries_by_created_at_then_id(debtor_a):
    org = debtor_a.organization
    _bulk(org, debtor_a, 0, 4)
    # As before the migration: no sequence, no hash, no head; created_at out of id order.
    ids = list(
        Activity.objects.filter(organization=org).order_by("id").values_list("id", flat=True)
    )
    _raw(org).update(sequence=None, chain_hash="")
    ChainHead.objects.filter(organization=org).delete()
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for offset, pk in enumerate(reversed(ids)):
        _raw(org).filter(pk=pk).update(created_at=base + dt.timedelta(minutes=offset // 2))
    assert (
        verify_chain(organization_id=org.pk)["first_bad"]["reason"]
        == "entry has no sequence (not chained)"
    )
    assert backfill_chain(Activity, ChainHead) == len(ids)
    expected = sorted(
        ids, key=lambda pk: (base + dt.timedelta(minutes=list(reversed(ids)).index(pk) // 2), pk)
    )
    assert (
        list(
            Activity.objects.filter(organization=org)
            .order_by("sequence")
            .values_list("id", flat=True)
        )
        == expected
    )
    assert verify_chain(organization_id=org.pk)["ok"] is True
    assert backfill_chain(Activity, ChainHead) == 0
    # New writes continue the backfilled chain.
    entry = _note(org, debtor_a, 9)
    assert entry.sequence == len(ids) + 1
    assert verify_chain(organization_id=org.pk)["ok"] is True


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_produce_one_valid_chain(org_a):
    """Two threads, real connections, single and bulk writes at once (PostgreSQL locks
    the head row; SQLite's IMMEDIATE transactions queue the writers)."""
    barrier = threading.Barrier(2)
    errors = []

    def worker(offset):
        barrier.wait()
        try:
            for n in range(10):
                if n % 3 == 0:
                    _bulk(org_a, None, offset + n * 10, 3)
                else:
                    _note(org_a, None, offset + n)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(o,)) for o in (0, 1000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = verify_chain(organization_id=org_a.pk)
    total = Activity.objects.filter(organization=org_a).count()
    assert result["ok"] is True and result["entries"] == total
    assert [s for s, _h in _chain(org_a)] == list(range(1, total + 1))
