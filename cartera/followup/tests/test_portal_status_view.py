import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cartera.followup.models import PromiseToPay
from cartera.invoices.models import Dispute, SupplierPortalStatus


def _post(client, invoice, **data):
    return client.post(reverse("followup:portal_status", args=[invoice.pk]), data, follow=True)


def test_agent_sets_a_rejection_from_the_invoice_page(login, agent_a, invoice_a):
    client = login(agent_a)
    response = _post(client, invoice_a, status="rejected", date="2026-09-10", reason="Falta la OC")
    assert response.redirect_chain[-1][0].endswith(
        reverse("invoices:detail", args=[invoice_a.pk]) + "#supplier-portal"
    )
    assert Dispute.objects.get().invoice_id == invoice_a.pk
    html = response.content.decode()
    assert "Rechazada" in html and "Falta la OC" in html


def test_field_error_changes_nothing(login, agent_a, invoice_a):
    response = _post(login(agent_a), invoice_a, status="scheduled", date="2026-09-10")
    texts = [str(m) for m in response.context["messages"]]
    assert texts == ["Fecha de pago programada: Indique la fecha de pago programada."]
    assert not SupplierPortalStatus.objects.exists()
    assert not PromiseToPay.objects.exists()


def test_viewer_gets_403(login, viewer_a, invoice_a):
    response = login(viewer_a).post(
        reverse("followup:portal_status", args=[invoice_a.pk]),
        {"status": "paid", "date": "2026-09-10"},
    )
    assert response.status_code == 403
    assert not SupplierPortalStatus.objects.exists()


def test_import_page_shows_rows_and_unknown_invoices(login, owner_a, invoice_a):
    text = "Folio,Estatus,Fecha\r\nA-100,Recibida,10/09/2026\r\nZ-1,Pagada,10/09/2026\r\n"
    response = login(owner_a).post(
        reverse("imports:supplier_portal"),
        {
            "file": SimpleUploadedFile("portal.csv", text.encode(), "text/csv"),
            "date_order": "dmy",
        },
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.applied, result.unknown) == (1, [{"row": 3, "number": "Z-1", "uuid": ""}])
    html = response.content.decode()
    assert 'id="result-unknown"' in html and "Z-1" in html
    entry = SupplierPortalStatus.objects.get()
    assert (entry.status, entry.date, entry.source) == ("received", dt.date(2026, 9, 10), "import")


def test_import_page_column_name_not_in_file(login, owner_a, invoice_a):
    text = "Folio,Estatus,Fecha\r\nA-100,Recibida,10/09/2026\r\n"
    response = login(owner_a).post(
        reverse("imports:supplier_portal"),
        {
            "file": SimpleUploadedFile("portal.csv", text.encode(), "text/csv"),
            "date_order": "dmy",
            "column_reason": "Motivo",
        },
    )
    assert response.context["form"].errors == {
        "column_reason": ["El archivo no tiene la columna «Motivo»."]
    }
    assert not SupplierPortalStatus.objects.exists()


def test_agent_may_not_import(login, agent_a):
    assert login(agent_a).get(reverse("imports:supplier_portal")).status_code == 403
