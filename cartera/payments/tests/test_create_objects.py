"""``lib.bulk.create_objects`` stores what ``bulk_create`` stores: the same column values
(decimals, dates, ``auto_now_add`` datetimes, JSON, foreign keys set from an object saved
after the instance was built), the primary keys set and the instances marked saved."""

import datetime as dt
from decimal import Decimal

from django.db import connection

from cartera.lib.bulk import create_objects
from cartera.payments.models import Payment, PaymentComplement
from cartera.timeline.choices import ActivityKind
from cartera.timeline.models import Activity


def _payments(customer, external: str) -> list[Payment]:
    return [
        Payment(
            organization=customer.organization,
            customer=customer,
            external_id=f"{external}-{n}",
            date=dt.date(2026, 12, 1 + n),
            amount=Decimal("1234.50") + n,
            unallocated=Decimal("0.10"),
            currency="MXN",
            reference=f"REF {n}",
            notes="",
        )
        for n in range(3)
    ]


def _stored(model, pks, skip=("id",)) -> list[tuple]:
    table, quote = model._meta.db_table, connection.ops.quote_name
    columns = [f.column for f in model._meta.concrete_fields if f.column not in skip]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(map(quote, columns))} FROM {quote(table)} "
            f"WHERE id IN ({', '.join(['%s'] * len(pks))}) ORDER BY id",
            list(pks),
        )
        return cursor.fetchall()


def test_same_rows_and_keys_as_bulk_create(debtor_a):
    by_orm = Payment.objects.bulk_create(_payments(debtor_a, "x"))
    fast = create_objects(Payment, _payments(debtor_a, "w"))
    assert all(p.pk and not p._state.adding and p._state.db == "default" for p in fast)
    assert [p.pk for p in fast] == [by_orm[-1].pk + 1 + n for n in range(3)]
    skip = ("id", "created_at", "external_id")  # stamped when saved; unique
    assert _stored(Payment, [p.pk for p in fast], skip) == _stored(
        Payment, [p.pk for p in by_orm], skip
    )
    assert all(p.created_at is not None for p in fast)


def test_a_foreign_key_saved_after_the_instance_was_built(debtor_a):
    payments = _payments(debtor_a, "y")
    complements = [
        PaymentComplement(
            organization=debtor_a.organization, payment=p, due_date=dt.date(2027, 1, 10)
        )
        for p in payments
    ]
    create_objects(Payment, payments)
    create_objects(PaymentComplement, complements)
    assert [c.payment_id for c in complements] == [p.pk for p in payments]
    stored = PaymentComplement.objects.filter(pk__in=[c.pk for c in complements])
    assert sorted(stored.values_list("payment_id", flat=True)) == [p.pk for p in payments]


def test_json_and_datetimes_as_bulk_create(debtor_a):
    def entries():
        return [
            Activity(
                organization=debtor_a.organization,
                customer=debtor_a,
                actor_kind="system",
                kind=ActivityKind.PAYMENT_RECORDED,
                summary=f"entry {n}",
                data={"amount": "1.50", "n": n, "text": "ñ"},
                created_at=dt.datetime(2026, 12, 7, 18, n, tzinfo=dt.UTC),
                sequence=None,
            )
            for n in range(2)
        ]

    by_orm = Activity.objects.bulk_create(entries())
    fast = create_objects(Activity, entries())
    assert _stored(Activity, [a.pk for a in fast]) == _stored(Activity, [a.pk for a in by_orm])
