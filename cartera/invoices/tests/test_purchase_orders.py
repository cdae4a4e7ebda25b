import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cartera.customers.services import create_customer
from cartera.invoices.bulk import create_invoices, insert_invoices, update_invoices
from cartera.invoices.models import Invoice, PurchaseOrder
from cartera.invoices.purchase_orders import (
    create_purchase_order,
    match_invoice,
    order_balance,
    unmatch_invoice,
    update_purchase_order,
)
from cartera.invoices.services import create_invoice, update_invoice, void_invoice
from cartera.lib.money import Money
from cartera.timeline.models import Activity

DAY = dt.date(2026, 9, 1)


@pytest.fixture
def order(debtor_a, owner_a):
    return create_purchase_order(
        customer=debtor_a,
        actor=owner_a,
        number="OC-77",
        amount=Decimal("20000.00"),
        currency="MXN",
        issue_date=DAY,
    )


def _invoice(customer, number, total, po="", currency="MXN"):
    return create_invoice(
        customer=customer,
        actor=None,
        number=number,
        issue_date=DAY,
        due_date=DAY + dt.timedelta(days=30),
        currency=currency,
        total=Decimal(total),
        purchase_order=po,
    )


def test_invoice_matches_by_number_and_balance_falls(order, debtor_a):
    first = _invoice(debtor_a, "A-1", "11600.00", po=" oc-77 ")
    second = _invoice(debtor_a, "A-2", "5000.00", po="OC-77")
    assert (first.matched_po_id, second.matched_po_id) == (order.pk, order.pk)
    assert first.purchase_order == "oc-77"
    assert order_balance(order) == Money(Decimal("3400.00"), "MXN")
    entries = Activity.objects.filter(invoice=second, data__purchase_order_id=order.pk)
    assert [(e.data["balance"], e.data["over_balance"]) for e in entries] == [("3400.00", False)]


def test_void_invoices_do_not_count(order, debtor_a):
    invoice = _invoice(debtor_a, "A-1", "11600.00", po="OC-77")
    void_invoice(invoice=invoice, actor=None, reason="error")
    assert order_balance(order) == Money(Decimal("20000.00"), "MXN")


def test_over_balance_is_a_warning_not_a_refusal(order, debtor_a):
    _invoice(debtor_a, "A-1", "15000.00", po="OC-77")
    over = _invoice(debtor_a, "A-2", "6000.00", po="OC-77")
    assert over.matched_po_id == order.pk
    assert order_balance(order) == Money(Decimal("-1000.00"), "MXN")
    entry = Activity.objects.get(invoice=over, data__purchase_order_id=order.pk)
    assert entry.data["over_balance"] is True
    assert "excede el saldo de la orden" in entry.summary


def test_currency_mismatch_is_refused_and_nothing_is_created(order, debtor_a):
    with pytest.raises(ValidationError) as exc:
        _invoice(debtor_a, "U-1", "100.00", po="OC-77", currency="USD")
    assert exc.value.message_dict["purchase_order"] == [
        "La orden de compra OC-77 es en MXN y la factura en USD; no se pueden vincular."
    ]
    assert not Invoice.objects.filter(number="U-1").exists()


def test_other_customers_order_is_not_matched(order, org_a, owner_a):
    other = create_customer(organization=org_a, actor=None, external_id="C-2", name="Otro")
    invoice = _invoice(other, "B-1", "10.00", po="OC-77")
    assert invoice.matched_po_id is None


def test_update_rematches_and_unmatches(order, debtor_a):
    invoice = _invoice(debtor_a, "A-1", "100.00")
    assert invoice.matched_po_id is None
    invoice = update_invoice(invoice=invoice, actor=None, purchase_order="OC-77")
    assert invoice.matched_po_id == order.pk
    invoice = update_invoice(invoice=invoice, actor=None, purchase_order="OC-00")
    assert invoice.matched_po_id is None
    summaries = list(
        Activity.objects.filter(invoice=invoice, data__purchase_order_id=order.pk)
        .order_by("id")
        .values_list("summary", flat=True)
    )
    assert summaries == [
        "Factura A-1 vinculada a la orden de compra OC-77",
        "Factura A-1 desvinculada de la orden de compra OC-77",
    ]


def test_order_created_after_invoices_picks_them_up(debtor_a, owner_a):
    waiting = _invoice(debtor_a, "A-1", "100.00", po="OC-9")
    usd = _invoice(debtor_a, "U-1", "50.00", po="OC-9", currency="USD")
    order = create_purchase_order(
        customer=debtor_a,
        actor=owner_a,
        number="OC-9",
        amount=Decimal("500"),
        currency="MXN",
        issue_date=DAY,
    )
    waiting.refresh_from_db()
    usd.refresh_from_db()
    assert (waiting.matched_po_id, usd.matched_po_id) == (order.pk, None)


def test_bulk_path_matches_like_the_single_path(order, debtor_a, org_a):
    single = _invoice(debtor_a, "S-1", "1000.00", po="OC-77")
    insert_invoices(
        organization=org_a,
        rows=[
            {
                "customer_id": debtor_a.pk,
                "number": "B-1",
                "issue_date": DAY,
                "due_date": DAY,
                "currency": "MXN",
                "total": Decimal("1000.00"),
                "purchase_order": "oc-77",
            },
            {
                "customer_id": debtor_a.pk,
                "number": "B-2",
                "issue_date": DAY,
                "due_date": DAY,
                "currency": "MXN",
                "total": Decimal("5.00"),
                "purchase_order": "",
            },
        ],
    )
    created = create_invoices(
        organization=org_a,
        rows=[
            {
                "customer_id": debtor_a.pk,
                "number": "C-1",
                "issue_date": DAY,
                "due_date": DAY,
                "currency": "MXN",
                "total": Decimal("1000.00"),
                "purchase_order": "OC-77",
            }
        ],
    )
    by_number = dict(Invoice.objects.values_list("number", "matched_po_id"))
    assert by_number == {
        "S-1": order.pk,
        "B-1": order.pk,
        "B-2": None,
        "C-1": order.pk,
    }
    assert created[0].matched_po_id == single.matched_po_id
    assert order_balance(order) == Money(Decimal("17000.00"), "MXN")
    bulk_entry = Activity.objects.get(invoice__number="B-1", data__purchase_order_id=order.pk)
    single_entry = Activity.objects.get(invoice=single, data__purchase_order_id=order.pk)
    assert bulk_entry.summary == single_entry.summary.replace("S-1", "B-1")


def test_bulk_update_matches_and_refuses_a_currency_mismatch(order, debtor_a, org_a):
    invoice = _invoice(debtor_a, "A-1", "100.00")
    change = {
        "pk": invoice.pk,
        "status": invoice.status,
        "currency": "MXN",
        "applied": Decimal(0),
        "values": {
            "customer_id": debtor_a.pk,
            "number": "A-1",
            "currency": "MXN",
            "total": Decimal("100.00"),
            "purchase_order": "OC-77",
        },
    }
    update_invoices(
        organization=org_a, changes=[change], fields=["total", "currency", "purchase_order"]
    )
    invoice.refresh_from_db()
    assert invoice.matched_po_id == order.pk
    change["values"] |= {"currency": "USD"}
    change["applied"] = Decimal(0)
    with pytest.raises(ValidationError):
        update_invoices(
            organization=org_a, changes=[change], fields=["total", "currency", "purchase_order"]
        )
    invoice.refresh_from_db()
    assert (invoice.currency, invoice.matched_po_id) == ("MXN", order.pk)


def test_manual_match_and_unmatch(order, debtor_a, owner_a):
    invoice = _invoice(debtor_a, "A-1", "100.00")
    invoice = match_invoice(invoice=invoice, order=order, actor=owner_a)
    assert (invoice.matched_po_id, invoice.purchase_order) == (order.pk, "OC-77")
    invoice = unmatch_invoice(invoice=invoice, actor=owner_a)
    assert invoice.matched_po_id is None


def test_manual_match_refuses_other_currency(order, debtor_a, owner_a):
    usd = _invoice(debtor_a, "U-1", "10.00", currency="USD")
    with pytest.raises(ValidationError) as exc:
        match_invoice(invoice=usd, order=order, actor=owner_a)
    assert "es en MXN y la factura en USD" in exc.value.message_dict["order"][0]
    usd.refresh_from_db()
    assert usd.matched_po_id is None


def test_services_refuse_roles_that_may_not_edit_invoices(order, debtor_a, agent_a, viewer_a):
    invoice = _invoice(debtor_a, "A-1", "100.00")
    for user in (agent_a, viewer_a):
        with pytest.raises(PermissionDenied):
            match_invoice(invoice=invoice, order=order, actor=user)
        with pytest.raises(PermissionDenied):
            update_purchase_order(order=order, actor=user, amount=Decimal("1"))
    invoice.refresh_from_db()
    order.refresh_from_db()
    assert (invoice.matched_po_id, order.amount) == (None, Decimal("20000.00"))


def test_number_unique_per_customer_and_field_errors(order, debtor_a, owner_a):
    with pytest.raises(ValidationError) as exc:
        create_purchase_order(
            customer=debtor_a,
            actor=owner_a,
            number="oc-77",
            amount=Decimal("-1"),
            currency="MXN",
            issue_date=DAY,
            expiry_date=DAY - dt.timedelta(days=1),
        )
    assert exc.value.message_dict == {
        "number": ["Este cliente ya tiene una orden de compra oc-77."],
        "amount": ["El importe no puede ser negativo."],
        "expiry_date": ["La vigencia no puede terminar antes de la emisión."],
    }
    assert PurchaseOrder.objects.count() == 1


def test_renumbering_an_order_keeps_its_invoices(order, debtor_a, owner_a):
    invoice = _invoice(debtor_a, "A-1", "100.00", po="OC-77")
    update_purchase_order(order=order, actor=owner_a, number="OC-78")
    invoice.refresh_from_db()
    assert (invoice.purchase_order, invoice.matched_po_id) == ("OC-78", order.pk)
    invoice = update_invoice(invoice=invoice, actor=None, total=Decimal("90.00"))
    assert invoice.matched_po_id == order.pk
