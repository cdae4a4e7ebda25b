"""The invoice editor and the issued CFDI pages: a manager writes a draft from the
catalogue, sees its totals, stamps it; errors sit next to their fields; agents and
viewers cannot issue, and their POSTs change nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from cartera.fiscal.catalogue import save_product
from cartera.fiscal.models import IssuedCfdi
from cartera.invoices.models import Invoice

D = Decimal


@pytest.fixture
def product(org_a):
    return save_product(
        organization=org_a,
        actor=None,
        code="MTTO",
        description="Mantenimiento mensual",
        unit_price="2500",
        currency="MXN",
        sat_product_key="72101500",
        sat_unit_key="E48",
        unit_name="Servicio",
        tax_object="02",
        iva="16",
        active=True,
    )


def _post(product, **extra):
    data = {
        "currency": "MXN",
        "payment_method": "PUE",
        "payment_form": "03",
        "cfdi_use": "G03",
        "line-TOTAL_FORMS": "1",
        "line-INITIAL_FORMS": "0",
        "line-MIN_NUM_FORMS": "1",
        "line-MAX_NUM_FORMS": "1000",
        "line-0-product": str(product.pk),
        "line-0-quantity": "3",
        "line-0-tax_object": "02",
        "line-0-iva": "16",
        "action": "save",
    }
    data.update(extra)
    return data


def test_a_manager_issues_an_invoice_from_the_catalogue(
    customer,
    product,
    profile,
    pac_running,
    login,
    manager_a,
):
    client = login(manager_a)
    url = reverse("fiscal:invoice_new", args=[customer.pk])
    assert client.get(url).status_code == 200
    preview = client.post(url, _post(product, action="preview"))
    assert '<strong id="total-amount">8700.00</strong>' in preview.content.decode()
    assert IssuedCfdi.objects.count() == 0
    response = client.post(url, _post(product))
    draft = IssuedCfdi.objects.get()
    assert response.url == reverse("fiscal:issued_detail", args=[draft.pk])
    line = draft.lines.get()
    assert (line.description, line.sat_product_key, line.unit_price, draft.total) == (
        "Mantenimiento mensual",
        "72101500",
        D("2500"),
        D("8700.00"),
    )
    client.post(reverse("fiscal:issued_stamp", args=[draft.pk]), {"send": ""})
    draft.refresh_from_db()
    assert (draft.status, Invoice.objects.get().total) == ("stamped", D("8700.00"))
    detail = client.get(reverse("fiscal:issued_detail", args=[draft.pk])).content.decode()
    assert draft.fiscal_uuid in detail and "Cancelar CFDI" in detail
    pdf = client.get(reverse("fiscal:issued_pdf", args=[draft.pk]))
    assert pdf.content.startswith(b"%PDF-")


def test_a_bad_line_shows_its_error_next_to_the_field_and_saves_nothing(
    customer, product, login, manager_a
):
    client = login(manager_a)
    url = reverse("fiscal:invoice_new", args=[customer.pk])
    response = client.post(url, _post(product, **{"line-0-quantity": "-1"}))
    html = response.content.decode()
    assert response.status_code == 200
    assert "La cantidad debe ser mayor que cero." in html
    assert 'id="id_line-0-quantity_error"' in html
    assert IssuedCfdi.objects.count() == 0


@pytest.mark.parametrize("who", ["agent_a", "viewer_a"])
def test_agents_and_viewers_cannot_issue(customer, product, login, who, request):
    client = login(request.getfixturevalue(who))
    url = reverse("fiscal:invoice_new", args=[customer.pk])
    assert client.post(url, _post(product)).status_code == 403
    assert IssuedCfdi.objects.count() == 0


def test_the_customer_of_another_organisation_is_not_found(debtor_b, product, login, manager_a):
    client = login(manager_a)
    response = client.post(reverse("fiscal:invoice_new", args=[debtor_b.pk]), _post(product))
    assert response.status_code == 404
    assert IssuedCfdi.objects.count() == 0


def test_a_catalogue_line_takes_the_products_taxes_unless_the_user_changes_them(
    customer, org_a, login, manager_a
):
    food = save_product(
        organization=org_a,
        actor=None,
        code="ASES",
        description="Asesoría",
        unit_price="1000",
        currency="MXN",
        sat_product_key="80101500",
        sat_unit_key="E48",
        unit_name="Servicio",
        tax_object="02",
        iva="0",
        isr_retention_rate="0.10",
        active=True,
    )
    client = login(manager_a)
    url = reverse("fiscal:invoice_new", args=[customer.pk])
    as_is = _post(food, **{"line-0-tax_object": "product", "line-0-iva": "product"})
    response = client.post(url, as_is)
    assert response.status_code == 302, response.content.decode()[-3000:]
    line = IssuedCfdi.objects.get().lines.get()
    assert (line.tax_object, line.iva, line.isr_retention_rate) == ("02", "0", D("0.100000"))
    IssuedCfdi.objects.all().delete()
    changed = _post(food, **{"line-0-iva": "16", "line-0-isr_retention_rate": "0"})
    client.post(url, changed)
    line = IssuedCfdi.objects.get().lines.get()
    assert (line.iva, line.isr_retention_rate) == ("16", None)


def test_a_draft_page_warns_of_withholdings_the_parties_cannot_make(
    customer, product, profile, pac_running, login, manager_a
):
    client = login(manager_a)
    url = reverse("fiscal:invoice_new", args=[customer.pk])
    client.post(url, _post(product, **{"line-0-isr_retention_rate": "0.10"}))
    draft = IssuedCfdi.objects.get()
    assert draft.lines.get().isr_retention_rate == D("0.100000")
    detail = client.get(reverse("fiscal:issued_detail", args=[draft.pk])).content.decode()
    assert (
        "Solo a una persona física se le retiene ISR y el emisor (RFC DNO990101AB1) es "
        "persona moral: quite la retención de ISR."
    ) in detail
    response = client.post(reverse("fiscal:issued_stamp", args=[draft.pk]), {"send": ""})
    assert response.status_code in (200, 302)
    draft.refresh_from_db()
    assert (draft.status, draft.xml, pac_running.stamped) == ("draft", "", {})
    assert Invoice.objects.count() == 0
