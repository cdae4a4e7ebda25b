import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cartera.invoices.models import Invoice, InvoiceAttachment
from cartera.invoices.services import create_invoice
from cartera.lib.dates import local_today
from cartera.timeline.choices import ActivityKind
from cartera.timeline.models import Activity


@pytest.fixture
def invoices(debtor_a, invoice_a):
    """invoice_a: 11,600 MXN due 2026-10-01; plus a factored USD one and a paid-off one."""
    usd = create_invoice(
        customer=debtor_a,
        actor=None,
        number="U-7",
        issue_date=dt.date(2026, 1, 1),
        due_date=dt.date(2026, 2, 1),
        currency="USD",
        total=Decimal("300.00"),
        is_factored=True,
        factor_name="Factor Uno",
    )
    zero = create_invoice(
        customer=debtor_a,
        actor=None,
        number="Z-0",
        issue_date=dt.date(2026, 1, 1),
        due_date=dt.date(2026, 2, 1),
        currency="MXN",
        total=Decimal("0"),
    )
    return {"a": invoice_a, "usd": usd, "paid": zero}


def _numbers(response):
    return [i.number for i in response.context["page_obj"].object_list]


def test_list_open_with_totals(invoices, login, owner_a, django_assert_max_num_queries):
    client = login(owner_a)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("invoices:list"))
    assert _numbers(response) == ["U-7", "A-100"]
    assert [(t["currency"], t["count"], t["balance"]) for t in response.context["totals"]] == [
        ("MXN", 1, Decimal("11600.00")),
        ("USD", 1, Decimal("300.00")),
    ]


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"status": "all"}, ["U-7", "Z-0", "A-100"]),
        ({"status": "paid"}, ["Z-0"]),
        ({"currency": "USD"}, ["U-7"]),
        ({"factored": "yes"}, ["U-7"]),
        ({"factored": "no"}, ["A-100"]),
        ({"q": "A-100"}, ["A-100"]),
    ],
)
def test_list_filters(invoices, login, owner_a, query, expected):
    assert _numbers(login(owner_a).get(reverse("invoices:list"), query)) == expected


def test_overdue_range_filter(invoices, login, owner_a):
    # Ranges are relative to the organisation's local today (the view reads the clock).
    today = local_today("America/Monterrey")
    days_a = (today - dt.date(2026, 10, 1)).days
    client = login(owner_a)
    response = client.get(reverse("invoices:list"), {"overdue_min": days_a, "overdue_max": days_a})
    assert _numbers(response) == ["A-100"]
    response = client.get(reverse("invoices:list"), {"overdue_min": days_a + 1})
    assert _numbers(response) == ["U-7"]


def test_detail(invoices, login, viewer_a):
    response = login(viewer_a).get(reverse("invoices:detail", args=[invoices["a"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-kpi="balance">11,600.00\xa0MXN<' in body
    assert reverse("invoices:edit", args=[invoices["a"].pk]) not in body


def test_create_invoice_defaults_due_date(debtor_a, login, manager_a):
    response = login(manager_a).post(
        reverse("invoices:create"),
        {
            "customer": debtor_a.pk,
            "number": "B-1",
            "issue_date": "2026-11-01",
            "due_date": "",
            "currency": "MXN",
            "total": "1160.00",
            "payment_method": "PUE",
        },
    )
    invoice = Invoice.objects.get(number="B-1")
    assert response.status_code == 302
    assert (invoice.due_date, invoice.balance, invoice.external_id) == (
        dt.date(2026, 12, 1),
        Decimal("1160.00"),
        "B-1",
    )
    assert Activity.objects.get(invoice=invoice).kind == ActivityKind.INVOICE_CREATED


def test_create_invoice_error_next_to_field(debtor_a, login, owner_a):
    response = login(owner_a).post(
        reverse("invoices:create"),
        {
            "customer": debtor_a.pk,
            "number": "B-2",
            "issue_date": "2026-11-01",
            "due_date": "2026-10-01",
            "currency": "MXN",
            "total": "10",
        },
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["due_date"]
    assert not Invoice.objects.filter(number="B-2").exists()


def test_edit_and_void(invoices, login, owner_a):
    client = login(owner_a)
    invoice = invoices["a"]
    data = {
        "number": "A-100",
        "external_id": "F-100",
        "fiscal_uuid": "",
        "issue_date": "2026-09-01",
        "due_date": "2026-10-15",
        "currency": "MXN",
        "total": "11600.00",
        "payment_method": "PPD",
        "purchase_order": "OC-1",
    }
    assert client.post(reverse("invoices:edit", args=[invoice.pk]), data).status_code == 302
    invoice.refresh_from_db()
    assert (invoice.due_date, invoice.purchase_order) == (dt.date(2026, 10, 15), "OC-1")
    response = client.post(reverse("invoices:void", args=[invoice.pk]), {"reason": "Duplicada"})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance) == ("void", Decimal("0"))


def test_attachment_upload_checks_magic_bytes_and_downloads(invoice_a, login, owner_a, owner_b):
    client = login(owner_a)
    url = reverse("invoices:attachment_upload", args=[invoice_a.pk])
    fake = SimpleUploadedFile("factura.pdf", b"MZ\x90\x00not a pdf", "application/pdf")
    client.post(url, {"file": fake})
    assert InvoiceAttachment.objects.count() == 0
    pdf = SimpleUploadedFile("factura.pdf", b"%PDF-1.7\n%test\n", "application/pdf")
    assert client.post(url, {"file": pdf}).status_code == 302
    attachment = InvoiceAttachment.objects.get()
    assert (attachment.kind, attachment.original_name) == ("pdf", "factura.pdf")
    response = client.get(reverse("invoices:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7\n%test\n"
    other = login(owner_b).get(reverse("invoices:attachment_download", args=[attachment.pk]))
    assert other.status_code == 404


def test_viewer_gets_403_on_writes(invoice_a, login, viewer_a, debtor_a):
    client = login(viewer_a)
    before = (Invoice.objects.count(), Activity.objects.count())
    for url in [
        reverse("invoices:create"),
        reverse("invoices:edit", args=[invoice_a.pk]),
        reverse("invoices:void", args=[invoice_a.pk]),
        reverse("invoices:attachment_upload", args=[invoice_a.pk]),
    ]:
        assert client.post(url, {"reason": "x", "customer": debtor_a.pk}).status_code == 403, url
    invoice_a.refresh_from_db()
    assert invoice_a.status == "open"
    assert (Invoice.objects.count(), Activity.objects.count()) == before


def test_agent_cannot_void(invoice_a, login, agent_a):
    response = login(agent_a).post(reverse("invoices:void", args=[invoice_a.pk]), {"reason": "x"})
    assert response.status_code == 403
    invoice_a.refresh_from_db()
    assert invoice_a.status == "open"


def test_other_organisation_gets_404(invoice_a, login, owner_b):
    client = login(owner_b)
    assert client.get(reverse("invoices:detail", args=[invoice_a.pk])).status_code == 404
    assert client.post(reverse("invoices:edit", args=[invoice_a.pk])).status_code == 404
    assert client.post(reverse("invoices:void", args=[invoice_a.pk])).status_code == 404
