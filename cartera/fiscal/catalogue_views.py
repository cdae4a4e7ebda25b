"""The catalogue of products and services: the list (everyone who may see the back
office), the product form and its (de)activation (``Action.EDIT_INVOICES``: owners and
managers), and the SAT key suggestions the form asks for while typing (htmx)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cartera.lib.forms import add_service_errors
from cartera.orgs.access import Action
from cartera.orgs.decorators import org_member_required

from .catalogs import catalogue_name, search_catalogue
from .catalogue import PRODUCT_FIELDS, save_product
from .catalogue_forms import SAT_TABLES, CatalogueFilterForm, ProductForm, percent
from .models import TaxObject
from .selectors import get_product_for_user, products

PAGE_SIZE = 50
MAX_SUGGESTIONS = 20


def tax_summary(product) -> str:
    """ "IVA 16 % · IEPS 8 % · ret. ISR 10 %" (the object of tax when it carries none)."""
    if product.tax_object != TaxObject.SUBJECT:
        return product.get_tax_object_display()
    parts = [str(product.get_iva_display())] if product.iva else []
    for label, rate in (
        (_("IEPS"), product.ieps_rate),
        (_("ret. ISR"), product.isr_retention_rate),
        (_("ret. IVA"), product.iva_retention_rate),
    ):
        if rate is not None:
            parts.append(f"{label} {percent(rate)}")
    return " · ".join(parts)


@org_member_required(action=Action.VIEW)
@require_GET
def catalogue(request):
    organization = request.organization
    form = CatalogueFilterForm(request.GET or None)
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    state = form.state_value()
    rows = products(organization, query=query, state=state)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for product in page.object_list:
        product.tax_summary = tax_summary(product)
    context = {
        "form": form,
        "page_obj": page,
        "query": query,
        "state": state,
        "filtered": bool(query) or state != "active",
        "any_product": products(organization, state="all").exists(),
    }
    return render(request, "fiscal/catalogue_list.html", context)


def _edit(request, product):
    organization = request.organization
    initial = ProductForm.initial_for(product, currency=organization.default_currency)
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        form.mark_invalid_fields()  # a free rate that is not a number
        if not form.errors:
            try:
                saved = save_product(
                    organization=organization, actor=request.user, instance=product, **values
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Producto %(c)s guardado.") % {"c": saved.code})
                return redirect("fiscal:catalogue")
    return render(request, "fiscal/catalogue_form.html", {"form": form, "product": product})


@org_member_required(action=Action.EDIT_INVOICES)
@require_http_methods(["GET", "POST"])
def product_create(request):
    return _edit(request, None)


@org_member_required(action=Action.EDIT_INVOICES)
@require_http_methods(["GET", "POST"])
def product_edit(request, pk):
    return _edit(request, get_product_for_user(request, pk))


@org_member_required(action=Action.EDIT_INVOICES)
@require_POST
def product_toggle(request, pk):
    """Deactivate an active product (it is no longer offered on new invoices) or
    activate an inactive one; the rest of the product stays as it is."""
    product = get_product_for_user(request, pk)
    values = {name: getattr(product, name) for name in PRODUCT_FIELDS}
    values["active"] = not product.active
    try:
        save_product(
            organization=request.organization, actor=request.user, instance=product, **values
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("fiscal:product_edit", pk=product.pk)
    if values["active"]:
        messages.success(request, _("Producto %(c)s activado.") % {"c": product.code})
    else:
        messages.success(request, _("Producto %(c)s desactivado.") % {"c": product.code})
    return redirect("fiscal:catalogue")


@org_member_required(action=Action.VIEW)
@require_GET
def sat_keys(request):
    """htmx: the ``<option>``s of the SAT keys matching what was typed (``q``, or the
    field's own value), and the description of the key when it is exact."""
    table = request.GET.get("table", "product")
    if table not in SAT_TABLES:
        table = "product"
    field, catalogue_table = SAT_TABLES[table]
    typed = (request.GET.get("q") or request.GET.get(field) or "").strip()[:100]
    options = search_catalogue(catalogue_table, typed, limit=MAX_SUGGESTIONS) if typed else []
    context = {
        "options": options,
        "target": f"id_{field}",
        "chosen": catalogue_name(catalogue_table, typed.upper()) if typed else "",
    }
    return render(request, "fiscal/catalogue_sat_keys.html", context)
