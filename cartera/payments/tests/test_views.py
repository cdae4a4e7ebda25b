import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from cartera.invoices.services import create_credit_note, create_invoice
from cartera.payments.models import Allocation, Payment
from cartera.payments.services import record_payment
from cartera.timeline.choices import ActivityKind
from cartera.timeline.models import Activity


@pytest.fixture
def second_invoice(debtor_a):
    """Due after invoice_a: 5,800.00 MXN due 2026-11-01."""
    return create_invoice(
        customer=debtor_a,
        actor=None,
        number="A-101",
        issue_date=dt.date(2026, 10, 1),
        due_date=dt.date(2026, 11, 1),
        currency="MXN",
        total=Decimal("5800.00"),
    )


def _post(client, debtor, **extra):
    data = {
        "customer": debtor.pk,
        "date": "2026-11-10",
        "amount": "12000.00",
        "currency": "MXN",
        "method": "transfer",
        "reference": "SPEI-1",
        "allocation_mode": "oldest",
    }
    data.update(extra)
    return client.post(reverse("payments:create"), data)


def test_record_payment_oldest_first(invoice_a, second_invoice, debtor_a, login, agent_a):
    response = _post(login(agent_a), debtor_a)
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("payments:detail", args=[payment.pk])
    invoice_a.refresh_from_db()
    second_invoice.refresh_from_db()
    assert (invoice_a.balance, invoice_a.status) == (Decimal("0.00"), "paid")
    assert second_invoice.balance == Decimal("5400.00")
    assert payment.unallocated == Decimal("0.00")
    entries = list(Activity.objects.order_by("id").values_list("kind", "summary"))[-5:]
    assert [kind for kind, _summary in entries] == [
        ActivityKind.PAYMENT_RECORDED,
        ActivityKind.PAYMENT_ALLOCATED,
        ActivityKind.INVOICE_PAID,
        ActivityKind.PAYMENT_RECORDED,  # the REP it owes: invoice_a is PPD
        ActivityKind.PAYMENT_ALLOCATED,
    ]
    assert entries[3][1].startswith("Complemento de pago pendiente")


def test_record_payment_picking_invoices(invoice_a, second_invoice, debtor_a, login, owner_a):
    response = _post(
        login(owner_a),
        debtor_a,
        allocation_mode="pick",
        **{f"alloc_{second_invoice.pk}": "5800.00", f"alloc_{invoice_a.pk}": "1000.00"},
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.unallocated == Decimal("5200.00")
    assert sorted(Allocation.objects.values_list("invoice__number", "amount")) == [
        ("A-100", Decimal("1000.00")),
        ("A-101", Decimal("5800.00")),
    ]


def test_picking_more_than_the_payment_is_refused(invoice_a, debtor_a, login, owner_a):
    response = _post(
        login(owner_a),
        debtor_a,
        amount="100.00",
        allocation_mode="pick",
        **{f"alloc_{invoice_a.pk}": "200.00"},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "La suma a aplicar excede el importe disponible del pago."
    ]
    assert Payment.objects.count() == 0


def test_service_error_rolls_back_the_payment(invoice_a, debtor_a, login, owner_a):
    """Picking more than the invoice balance fails in the service: nothing is kept."""
    response = _post(
        login(owner_a),
        debtor_a,
        amount="20000.00",
        allocation_mode="pick",
        **{f"alloc_{invoice_a.pk}": "12000.00"},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert Payment.objects.count() == 0
    invoice_a.refresh_from_db()
    assert invoice_a.balance == Decimal("11600.00")


def test_form_prefilled_from_invoice(invoice_a, login, owner_a):
    response = login(owner_a).get(reverse("payments:create"), {"invoice": invoice_a.pk})
    form = response.context["form"]
    assert form.initial["amount"] == Decimal("11600.00")
    assert form.initial["allocation_mode"] == "pick"
    assert form.initial[f"alloc_{invoice_a.pk}"] == Decimal("11600.00")


def test_apply_remainder(invoice_a, debtor_a, login, owner_a):
    payment = record_payment(
        customer=debtor_a,
        actor=None,
        date=dt.date(2026, 11, 1),
        amount=Decimal("500.00"),
        currency="MXN",
    )
    client = login(owner_a)
    detail = client.get(reverse("payments:detail", args=[payment.pk]))
    assert 'data-kpi="unallocated">500.00\xa0MXN<' in detail.content.decode()
    response = client.post(
        reverse("payments:apply", args=[payment.pk]), {"allocation_mode": "oldest"}
    )
    assert response.status_code == 302
    payment.refresh_from_db()
    invoice_a.refresh_from_db()
    assert (payment.unallocated, invoice_a.balance) == (Decimal("0.00"), Decimal("11100.00"))


def test_apply_credit_note(invoice_a, debtor_a, login, owner_a):
    note = create_credit_note(
        customer=debtor_a,
        actor=None,
        external_id="",
        number="NC-1",
        issue_date=dt.date(2026, 10, 2),
        currency="MXN",
        total=Decimal("1160.00"),
    )
    response = login(owner_a).post(
        reverse("payments:apply_credit_note", args=[note.pk]),
        {"invoice": invoice_a.pk, "amount": "1160.00"},
    )
    assert response.status_code == 302
    invoice_a.refresh_from_db()
    note.refresh_from_db()
    assert (invoice_a.balance, note.unapplied, note.status) == (
        Decimal("10440.00"),
        Decimal("0.00"),
        "applied",
    )


def test_list_totals(debtor_a, login, viewer_a, django_assert_max_num_queries):
    for n in range(5):
        record_payment(
            customer=debtor_a,
            actor=None,
            date=dt.date(2026, 11, n + 1),
            amount=Decimal("100.00"),
            currency="MXN",
        )
    client = login(viewer_a)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("payments:list"))
    assert [(t["currency"], t["count"], t["amount"]) for t in response.context["totals"]] == [
        ("MXN", 5, Decimal("500.00"))
    ]


def test_viewer_gets_403_and_nothing_changes(invoice_a, debtor_a, login, viewer_a):
    payment = record_payment(
        customer=debtor_a,
        actor=None,
        date=dt.date(2026, 11, 1),
        amount=Decimal("500.00"),
        currency="MXN",
    )
    note = create_credit_note(
        customer=debtor_a,
        actor=None,
        external_id="",
        number="NC-1",
        issue_date=dt.date(2026, 10, 2),
        currency="MXN",
        total=Decimal("100.00"),
    )
    client = login(viewer_a)
    before = (Payment.objects.count(), Allocation.objects.count(), Activity.objects.count())
    assert _post(client, debtor_a).status_code == 403
    assert (
        client.post(
            reverse("payments:apply", args=[payment.pk]), {"allocation_mode": "oldest"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("payments:apply_credit_note", args=[note.pk]),
            {"invoice": invoice_a.pk, "amount": "1"},
        ).status_code
        == 403
    )
    assert (Payment.objects.count(), Allocation.objects.count(), Activity.objects.count()) == before


def test_other_organisation_gets_404(invoice_a, debtor_a, login, owner_b):
    payment = record_payment(
        customer=debtor_a,
        actor=None,
        date=dt.date(2026, 11, 1),
        amount=Decimal("500.00"),
        currency="MXN",
    )
    client = login(owner_b)
    assert client.get(reverse("payments:detail", args=[payment.pk])).status_code == 404
    assert client.post(reverse("payments:apply", args=[payment.pk])).status_code == 404
    # Posting org A's customer from org B: the choice is not offered, nothing is recorded.
    assert _post(client, debtor_a).status_code == 200
    assert Payment.objects.count() == 1
