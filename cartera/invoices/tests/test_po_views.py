import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cartera.invoices.models import Invoice, PurchaseOrder
from cartera.invoices.purchase_orders import create_purchase_order
from cartera.invoices.services import create_invoice
from cartera.orgs.models import Membership


@pytest.fixture
def order(debtor_a, owner_a):
    return create_purchase_order(
        customer=debtor_a,
        actor=owner_a,
        number="OC-77",
        amount=Decimal("10000.00"),
        currency="MXN",
        issue_date=dt.date(2026, 9, 1),
    )


def _post_order(client, debtor, **extra):
    data = {
        "customer": debtor.pk,
        "number": "OC-1",
        "amount": "5000.00",
        "currency": "MXN",
        "issue_date": "2026-09-01",
        "status": "open",
        "notes": "",
    } | extra
    return client.post(reverse("invoices:po_create"), data)


def test_create_with_file_and_see_it(login, owner_a, debtor_a, pdf_upload):
    client = login(owner_a)
    response = _post_order(client, debtor_a, file=pdf_upload("orden.pdf"))
    order = PurchaseOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("invoices:po_detail", args=[order.pk])
    assert (order.number, order.amount, order.original_name) == (
        "OC-1",
        Decimal("5000.00"),
        "orden.pdf",
    )
    assert order.file.name.startswith(f"org-{order.organization_id}/purchase-orders/")
    download = client.get(reverse("invoices:po_file", args=[order.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_field_errors_next_to_the_fields(login, owner_a, debtor_a, order):
    client = login(owner_a)
    bad = SimpleUploadedFile("x.txt", b"hola", "text/plain")
    response = _post_order(client, debtor_a, number="OC-2", file=bad)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"file": ["Solo se aceptan archivos PDF, PNG o JPG."]}
    response = _post_order(client, debtor_a, number="oc-77", expiry_date="2026-08-01")
    form = response.context["form"]
    assert form.errors == {
        "number": ["Este cliente ya tiene una orden de compra oc-77."],
        "expiry_date": ["La vigencia no puede terminar antes de la emisión."],
    }
    assert 'data-error-for="number"' in response.content.decode()
    assert PurchaseOrder.objects.count() == 1


def test_list_balance_filters_and_empty_state(login, owner_a, debtor_a, order):
    client = login(owner_a)
    create_invoice(
        customer=debtor_a,
        actor=None,
        number="A-1",
        issue_date=dt.date(2026, 9, 1),
        currency="MXN",
        total=Decimal("12000.00"),
        purchase_order="OC-77",
    )
    response = client.get(reverse("invoices:po_list"))
    (row,) = response.context["page_obj"].object_list
    assert (row.invoiced, row.remaining, row.invoice_count) == (
        Decimal("12000.00"),
        Decimal("-2000.00"),
        1,
    )
    over = client.get(reverse("invoices:po_list"), {"balance": "over"})
    assert [o.number for o in over.context["page_obj"].object_list] == ["OC-77"]
    available = client.get(reverse("invoices:po_list"), {"balance": "available"})
    assert list(available.context["page_obj"].object_list) == []
    assert "Ninguna orden de compra coincide" in available.content.decode()
    detail = client.get(reverse("invoices:po_detail", args=[order.pk]))
    assert 'id="po-over-balance"' in detail.content.decode()
    page = client.get(reverse("invoices:detail", args=[Invoice.objects.get().pk]))
    assert 'id="invoice-po-over-balance"' in page.content.decode()


def test_empty_list(login, viewer_a):
    response = login(viewer_a).get(reverse("invoices:po_list"))
    assert "Aún no hay órdenes de compra." in response.content.decode()
    assert reverse("invoices:po_create") not in response.content.decode()


def test_match_from_the_invoice_page_warns_over_balance(login, owner_a, debtor_a, order):
    invoice = create_invoice(
        customer=debtor_a,
        actor=None,
        number="A-1",
        issue_date=dt.date(2026, 9, 1),
        currency="MXN",
        total=Decimal("10000.01"),
    )
    client = login(owner_a)
    page = client.get(reverse("invoices:detail", args=[invoice.pk]))
    assert page.context["match_form"] is not None
    response = client.post(
        reverse("invoices:po_match", args=[invoice.pk]), {"order": order.pk}, follow=True
    )
    invoice.refresh_from_db()
    assert invoice.matched_po_id == order.pk
    texts = [str(m) for m in response.context["messages"]]
    assert "La factura excede el saldo de la orden de compra (queda -0.01 MXN)." in texts[-1]
    client.post(reverse("invoices:po_unmatch", args=[invoice.pk]))
    invoice.refresh_from_db()
    assert invoice.matched_po_id is None


def test_agents_may_not_edit_orders(login, agent_a, debtor_a, order):
    client = login(agent_a)
    assert _post_order(client, debtor_a).status_code == 403
    response = client.post(
        reverse("invoices:po_edit", args=[order.pk]),
        {"number": "X", "amount": "1", "currency": "MXN", "issue_date": "2026-09-01"},
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert (order.number, PurchaseOrder.objects.count()) == ("OC-77", 1)


def test_restricted_agent_sees_only_assigned_customers_orders(
    login, agent_a, agent2_a, debtor_a, order, org_a
):
    org_a.agents_see_only_assigned = True
    org_a.save()
    client = login(agent2_a)
    assert client.get(reverse("invoices:po_detail", args=[order.pk])).status_code == 404
    assert list(client.get(reverse("invoices:po_list")).context["page_obj"].object_list) == []
    client = login(agent_a)
    assert client.get(reverse("invoices:po_detail", args=[order.pk])).status_code == 200
    assert Membership.objects.filter(user=agent2_a, role="agent").exists()


def test_invoice_form_shows_the_currency_mismatch_next_to_the_field(
    login, owner_a, debtor_a, order
):
    response = login(owner_a).post(
        reverse("invoices:create"),
        {
            "customer": debtor_a.pk,
            "number": "U-1",
            "issue_date": "2026-09-01",
            "currency": "USD",
            "total": "10.00",
            "purchase_order": "OC-77",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "purchase_order": [
            "La orden de compra OC-77 es en MXN y la factura en USD; no se pueden vincular."
        ]
    }
    assert not Invoice.objects.exists()
