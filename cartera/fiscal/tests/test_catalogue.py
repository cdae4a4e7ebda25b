"""The catalogue of products: the one validity rule and its service, the pages, the SAT key
suggestions and who may change what."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cartera.fiscal.catalogue import save_product
from cartera.fiscal.models import Product
from cartera.timeline.models import Activity

D = Decimal
GOOD = {
    "code": "SERV-01",
    "description": "Servicio de facturación mensual",
    "unit_price": "1500.00",
    "currency": "MXN",
    "sat_product_key": "84111506",
    "sat_unit_key": "E48",
    "unit_name": "Servicio",
    "tax_object": "02",
    "iva": "16",
    "ieps_rate": None,
    "isr_retention_rate": None,
    "iva_retention_rate": None,
    "active": True,
}


def _save(org, **overrides):
    return save_product(organization=org, actor=None, **{**GOOD, **overrides})


def _rows(org):
    return list(
        Product.objects.filter(organization=org)
        .order_by("pk")
        .values_list(
            "code", "unit_price", "iva", "isr_retention_rate", "iva_retention_rate", "active"
        )
    )


# --- the rule and the service ---------------------------------------------------------


def test_save_product_stores_the_values_and_records_one_entry(org_a, owner_a):
    product = save_product(
        organization=org_a,
        actor=owner_a,
        **{**GOOD, "isr_retention_rate": "0.10", "iva_retention_rate": D("0.106667")},
    )
    product.refresh_from_db()
    assert (product.code, product.unit_price, product.sat_product_key, product.sat_unit_key) == (
        "SERV-01",
        D("1500.00"),
        "84111506",
        "E48",
    )
    assert (product.isr_retention_rate, product.iva_retention_rate, product.ieps_rate) == (
        D("0.100000"),
        D("0.106667"),
        None,
    )
    entries = Activity.objects.filter(organization=org_a, kind="config_changed")
    assert [a.summary for a in entries] == ["Producto SERV-01 agregado al catálogo"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"sat_product_key": "99999999"},
            "sat_product_key",
            "La clave 99999999 no está en el catálogo de productos y servicios del SAT.",
        ),
        (
            {"sat_unit_key": "ZZZ"},
            "sat_unit_key",
            "La clave ZZZ no está en el catálogo de unidades del SAT.",
        ),
        (
            {"ieps_rate": D("0.05")},
            "ieps_rate",
            "La tasa de IEPS no está en el catálogo del SAT (c_TasaOCuota).",
        ),
        (
            {"iva": "exento", "iva_retention_rate": D("0.106667")},
            "iva_retention_rate",
            "Solo se retiene IVA en una línea gravada al 16 % o al 8 %.",
        ),
        (
            {"iva": ""},
            "tax_object",
            "Con objeto de impuesto 02 la línea debe llevar al menos un impuesto.",
        ),
        (
            {"tax_object": "01"},
            "tax_object",
            "Con objeto de impuesto 01 la línea no lleva impuestos; use 02 o quite los impuestos.",
        ),
        (
            {"unit_price": "-1"},
            "unit_price",
            "El precio unitario debe ser un número mayor o igual a cero.",
        ),
        ({"currency": "XYZ"}, "currency", "Moneda no soportada."),
    ],
)
def test_invalid_products_are_refused_with_the_field_named(org_a, overrides, field, message):
    with pytest.raises(ValidationError) as caught:
        _save(org_a, **overrides)
    assert caught.value.message_dict == {field: [message]}
    assert _rows(org_a) == []
    assert not Activity.objects.filter(organization=org_a, kind="config_changed").exists()


def test_a_code_is_unique_in_the_organisation_only(org_a, org_b):
    _save(org_a)
    with pytest.raises(ValidationError) as caught:
        _save(org_a, description="Otro")
    assert caught.value.message_dict == {"code": ["Ya existe un producto con la clave SERV-01."]}
    assert _rows(org_a) == [("SERV-01", D("1500.00"), "16", None, None, True)]
    _save(org_b)  # another organisation may use the same code
    assert Product.objects.filter(code="SERV-01").count() == 2


def test_saving_an_existing_product_changes_it_in_place(org_a):
    product = _save(org_a)
    changed = save_product(
        organization=org_a, actor=None, instance=product, **{**GOOD, "unit_price": "1750"}
    )
    assert changed.pk == product.pk
    assert _rows(org_a) == [("SERV-01", D("1750.00"), "16", None, None, True)]
    summaries = list(
        Activity.objects.filter(organization=org_a, kind="config_changed")
        .order_by("pk")
        .values_list("summary", flat=True)
    )
    assert summaries == [
        "Producto SERV-01 agregado al catálogo",
        "Producto SERV-01 modificado en el catálogo",
    ]


# --- the SAT key suggestions ----------------------------------------------------------


def test_sat_key_search_answers_the_matching_keys(org_a, viewer_a, login):
    client = login(viewer_a)
    response = client.get(reverse("fiscal:sat_keys"), {"table": "product", "q": "facturacion"})
    assert response.status_code == 200
    options = response.context["options"]
    assert options == [
        ("78141504", "Refacturación y fletes manejados por proveedores o vendedores"),
        ("84111506", "Servicios de facturación"),
    ]
    html = response.content.decode()
    assert '<option value="84111506">84111506 – Servicios de facturación</option>' in html
    assert response.context["chosen"] is None  # not an exact key


def test_sat_key_search_reads_the_fields_own_value_and_names_an_exact_key(org_a, owner_a, login):
    client = login(owner_a)
    response = client.get(reverse("fiscal:sat_keys"), {"table": "unit", "sat_unit_key": "e48"})
    assert response.context["options"] == [("E48", "Unidad de servicio")]
    html = response.content.decode()
    assert 'id="id_sat_unit_key-name"' in html and 'hx-swap-oob="true">Unidad de servicio<' in html
    empty = client.get(reverse("fiscal:sat_keys"), {"table": "unit", "q": " "})
    assert empty.context["options"] == [] and b"<option" not in empty.content


def test_the_form_names_the_chosen_keys_and_asks_for_suggestions(org_a, owner_a, login):
    product = _save(org_a)
    html = login(owner_a).get(reverse("fiscal:product_edit", args=[product.pk])).content.decode()
    assert 'hx-get="/fiscal/catalogue/sat-keys/?table=product"' in html
    assert 'hx-trigger="input changed delay:300ms"' in html
    assert 'list="id_sat_product_key-options"' in html
    assert (
        '<small class="sat-key-name" id="id_sat_product_key-name" aria-live="polite">Servicios de facturación</small>'
        in html
    )
    assert (
        '<small class="sat-key-name" id="id_sat_unit_key-name" aria-live="polite">Unidad de servicio</small>'
        in html
    )
    assert "<script" not in html.split("</head>")[1] and "style=" not in html


# --- the pages ------------------------------------------------------------------------


def test_empty_catalogue_invites_to_add_or_import(org_a, owner_a, agent_a, login):
    html = login(owner_a).get(reverse("fiscal:catalogue")).content.decode()
    assert "Aún no hay productos en el catálogo." in html
    assert f'href="{reverse("fiscal:product_create")}">Agregar el primer producto' in html
    agent_html = login(agent_a).get(reverse("fiscal:catalogue")).content.decode()
    assert "Aún no hay productos en el catálogo." in agent_html
    assert "Agregar el primer producto" not in agent_html


def test_list_searches_code_and_description_and_filters_active(org_a, viewer_a, login):
    _save(org_a)
    _save(
        org_a,
        code="CAF-1",
        description="Café de grano",
        sat_product_key="50201708",
        sat_unit_key="KGM",
    )
    old = _save(org_a, code="OLD-9", description="Servicio retirado", active=False)
    client = login(viewer_a)

    def codes(**query):
        response = client.get(reverse("fiscal:catalogue"), query)
        return [p.code for p in response.context["page_obj"].object_list]

    assert codes() == ["CAF-1", "SERV-01"]
    assert codes(q="café") == ["CAF-1"]
    assert codes(q="serv") == ["SERV-01"]
    assert codes(q="servicio", state="all") == ["OLD-9", "SERV-01"]
    assert codes(state="inactive") == ["OLD-9"]
    assert codes(q="nada") == []
    html = client.get(reverse("fiscal:catalogue")).content.decode()
    assert "IVA 16 %" in html and "1,500.00" in html
    assert reverse("fiscal:product_edit", args=[old.pk]) not in html  # viewers do not edit


def test_owner_creates_a_product_with_preset_and_free_rates(org_a, owner_a, login):
    response = login(owner_a).post(
        reverse("fiscal:product_create"),
        {
            **{k: v for k, v in GOOD.items() if v is not None},
            "isr_retention_rate": "0.012500",
            "iva_retention_rate": "other",
            "iva_retention_other": "5",
            "active": "on",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("fiscal:catalogue")
    product = Product.objects.get(organization=org_a)
    assert (product.isr_retention_rate, product.iva_retention_rate, product.active) == (
        D("0.012500"),
        D("0.050000"),
        True,
    )
    form = login(owner_a).get(reverse("fiscal:product_edit", args=[product.pk])).context["form"]
    assert form.initial["iva_retention_rate"] == "other"
    assert form.initial["iva_retention_other"] == "5"
    assert form.initial["isr_retention_rate"] == "0.012500"


def test_errors_are_shown_next_to_their_fields(org_a, manager_a, login):
    response = login(manager_a).post(
        reverse("fiscal:product_create"),
        {
            **{k: v for k, v in GOOD.items() if v is not None},
            "sat_product_key": "99999999",
            "iva": "exento",
            "iva_retention_rate": "0.106667",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {
        "sat_product_key": [
            "La clave 99999999 no está en el catálogo de productos y servicios del SAT."
        ],
        "iva_retention_rate": ["Solo se retiene IVA en una línea gravada al 16 % o al 8 %."],
    }
    html = response.content.decode()
    assert 'id="id_sat_product_key_error" data-error-for="sat_product_key"' in html
    assert 'aria-describedby="id_iva_retention_rate_error"' in html
    assert not Product.objects.exists()


def test_free_rate_must_be_a_number(org_a, owner_a, login):
    response = login(owner_a).post(
        reverse("fiscal:product_create"),
        {
            **{k: v for k, v in GOOD.items() if v is not None},
            "isr_retention_rate": "other",
            "isr_retention_other": "diez",
        },
    )
    assert response.context["form"].errors == {
        "isr_retention_other": ["Escriba la tasa en porcentaje, p. ej. 5 o 2.5."]
    }
    assert 'aria-describedby="id_isr_retention_other_error"' in response.content.decode()
    assert not Product.objects.exists()


def test_edit_and_deactivate_then_activate(org_a, owner_a, login):
    product = _save(org_a)
    client = login(owner_a)
    edit = reverse("fiscal:product_edit", args=[product.pk])
    assert client.get(edit).context["form"].initial["unit_price"] == "1500.00"
    data = {
        **{k: v for k, v in GOOD.items() if v is not None},
        "unit_price": "1,800.50",
        "active": "on",
    }
    assert client.post(edit, data).status_code == 302
    toggle = reverse("fiscal:product_toggle", args=[product.pk])
    assert client.post(toggle).status_code == 302
    assert _rows(org_a) == [("SERV-01", D("1800.50"), "16", None, None, False)]
    assert list(client.get(reverse("fiscal:catalogue")).context["page_obj"].object_list) == []
    client.post(toggle)
    assert _rows(org_a) == [("SERV-01", D("1800.50"), "16", None, None, True)]
    assert client.get(toggle).status_code == 405


# --- who may do what ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agents_and_viewers_change_nothing(org_a, agent_a, viewer_a, login, role):
    product = _save(org_a)
    client = login(agent_a if role == "agent" else viewer_a)
    before = _rows(org_a)
    entries = Activity.objects.count()
    data = {**{k: v for k, v in GOOD.items() if v is not None}, "code": "NEW-1"}
    assert client.post(reverse("fiscal:product_create"), data).status_code == 403
    edit = reverse("fiscal:product_edit", args=[product.pk])
    assert client.post(edit, {**data, "code": "SERV-01", "unit_price": "1"}).status_code == 403
    assert client.get(edit).status_code == 403
    toggle = reverse("fiscal:product_toggle", args=[product.pk])
    assert client.post(toggle).status_code == 403
    assert _rows(org_a) == before and Activity.objects.count() == entries
    listing = client.get(reverse("fiscal:catalogue")).content.decode()
    assert "SERV-01" in listing and "Nuevo producto" not in listing


def test_another_organisations_product_is_not_found(org_a, owner_b, login):
    product = _save(org_a)
    client = login(owner_b)
    assert client.get(reverse("fiscal:product_edit", args=[product.pk])).status_code == 404
    assert client.post(reverse("fiscal:product_toggle", args=[product.pk])).status_code == 404
    assert "SERV-01" not in client.get(reverse("fiscal:catalogue")).content.decode()
    assert _rows(org_a) == [("SERV-01", D("1500.00"), "16", None, None, True)]


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (
            {"unit_name": "U" * 21},
            {"unit_name": ["Como máximo 20 caracteres (tiene 21)."]},
        ),
        (
            {"code": "C" * 101},
            {"code": ["Como máximo 100 caracteres (tiene 101)."]},
        ),
        (
            {"unit_price": "1000000000000"},
            {"unit_price": ["El precio unitario es demasiado grande."]},
        ),
        (
            {"isr_retention_rate": "diez"},
            {"isr_retention_rate": ["La tasa debe ser un número, p. ej. 0.16."]},
        ),
    ],
)
def test_values_the_database_cannot_keep_are_field_errors(org_a, overrides, errors):
    with pytest.raises(ValidationError) as caught:
        _save(org_a, **overrides)
    assert caught.value.message_dict == errors
    assert _rows(org_a) == []
