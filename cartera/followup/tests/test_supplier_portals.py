import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cartera.followup.models import PromiseToPay
from cartera.followup.supplier_portals import apply_portal_status
from cartera.invoices.choices import DisputeStatus
from cartera.invoices.models import Dispute, Invoice, SupplierPortalStatus
from cartera.timeline.models import Activity

TODAY = dt.date(2026, 9, 15)


def _apply(invoice, actor, status, **kwargs):
    kwargs.setdefault("date", TODAY)
    return apply_portal_status(
        invoice=invoice, status=status, actor=actor, today=TODAY, source="manual", **kwargs
    )


@pytest.mark.parametrize("status", ["uploaded", "received", "paid"])
def test_plain_statuses_are_recorded_without_effects(invoice_a, agent_a, status):
    outcome = _apply(invoice_a, agent_a, status)
    invoice_a.refresh_from_db()
    assert invoice_a.portal_status == status
    assert (outcome.dispute, outcome.promise) == (None, None)
    assert list(SupplierPortalStatus.objects.values_list("status", "date")) == [(status, TODAY)]
    assert not Dispute.objects.exists()
    assert not PromiseToPay.objects.exists()
    entry = Activity.objects.get(data__portal_status_id=outcome.entry.pk)
    assert entry.invoice_id == invoice_a.pk


def test_rejection_opens_a_dispute_with_the_reason(invoice_a, agent_a):
    outcome = _apply(invoice_a, agent_a, "rejected", reason="Falta la orden de compra")
    dispute = Dispute.objects.get()
    assert outcome.dispute == dispute
    assert (dispute.invoice_id, dispute.status) == (invoice_a.pk, DisputeStatus.OPEN)
    assert dispute.reason == (
        "Otro motivo: Rechazada en el portal de proveedores del cliente: Falta la orden de compra"
    )


def test_rejection_needs_a_reason(invoice_a, agent_a):
    with pytest.raises(ValidationError) as exc:
        _apply(invoice_a, agent_a, "rejected")
    assert exc.value.message_dict == {"reason": ["Indique el motivo del rechazo."]}
    assert not SupplierPortalStatus.objects.exists()
    assert not Dispute.objects.exists()


@pytest.mark.parametrize("status", ["approved", "scheduled"])
def test_approval_or_schedule_with_a_date_becomes_a_promise(invoice_a, agent_a, status):
    pay_on = dt.date(2026, 11, 30)  # more than 30 days ahead: a buyer's payment run
    outcome = _apply(invoice_a, agent_a, status, payment_date=pay_on)
    promise = PromiseToPay.objects.get()
    assert outcome.promise == promise
    assert (promise.promised_date, promise.amount, promise.currency) == (
        pay_on,
        Decimal("11600.00"),
        "MXN",
    )
    assert list(promise.invoices.all()) == [invoice_a]


def test_approval_without_a_date_makes_no_promise(invoice_a, agent_a):
    outcome = _apply(invoice_a, agent_a, "approved")
    assert outcome.promise is None
    assert not PromiseToPay.objects.exists()


def test_scheduled_needs_a_payment_date(invoice_a, agent_a):
    with pytest.raises(ValidationError) as exc:
        _apply(invoice_a, agent_a, "scheduled")
    assert exc.value.message_dict == {"payment_date": ["Indique la fecha de pago programada."]}


def test_same_status_twice_is_idempotent(invoice_a, agent_a):
    pay_on = dt.date(2026, 10, 30)
    _apply(invoice_a, agent_a, "rejected", reason="Sin OC")
    again = _apply(invoice_a, agent_a, "rejected", reason="Sin OC", date=TODAY + dt.timedelta(1))
    assert again.entry is None
    assert Dispute.objects.count() == 1
    _apply(invoice_a, agent_a, "approved", payment_date=pay_on)
    again = _apply(invoice_a, agent_a, "approved", payment_date=pay_on)
    assert (again.entry, again.promise) == (None, None)
    # Scheduled for the same date after the approval: a new status, still one promise.
    scheduled = _apply(invoice_a, agent_a, "scheduled", payment_date=pay_on)
    assert scheduled.entry is not None and scheduled.promise is None
    assert PromiseToPay.objects.count() == 1
    assert SupplierPortalStatus.objects.count() == 3
    assert Activity.objects.filter(data__has_key="portal_status_id").count() == 3


def test_only_roles_that_add_notes(invoice_a, viewer_a, owner_b):
    for user in (viewer_a, owner_b):
        with pytest.raises(PermissionDenied):
            _apply(invoice_a, user, "rejected", reason="x")
    assert not SupplierPortalStatus.objects.exists()
    assert not Dispute.objects.exists()
    assert Invoice.objects.get(pk=invoice_a.pk).portal_status == ""


def test_an_older_status_entered_late_is_history(invoice_a, agent_a):
    _apply(invoice_a, agent_a, "paid", date=TODAY)
    _apply(invoice_a, agent_a, "received", date=TODAY - dt.timedelta(days=5))
    invoice_a.refresh_from_db()
    assert invoice_a.portal_status == "paid"
    assert list(SupplierPortalStatus.objects.values_list("status", flat=True)) == [
        "paid",
        "received",
    ]
