"""Back office: import the export of a buyer's supplier portal (statuses of our invoices
there). One page: the file, optional column names, then the result row by row."""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from cartera.lib.dates import local_today
from cartera.lib.forms import BackOfficeForm, add_service_errors
from cartera.orgs.access import Action, require
from cartera.orgs.decorators import org_member_required

from .choices import DateOrder
from .headers import LABELS
from .selectors import settings_for
from .supplier_portal import (
    MAPPED_FIELDS,
    file_headers,
    import_supplier_portal,
    mapping_from_names,
)
from .tabular import FileError

MAX_PORTAL_FILE = 20 * 1024 * 1024


class PortalImportForm(BackOfficeForm):
    file = forms.FileField(label=gettext_lazy("Archivo exportado del portal (CSV o Excel .xlsx)"))
    date_order = forms.ChoiceField(
        label=gettext_lazy("Fechas ambiguas como 05/09/2026"), choices=DateOrder.choices
    )
    apply_valid = forms.BooleanField(
        label=gettext_lazy("Aplicar las filas válidas aunque otras tengan errores"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in MAPPED_FIELDS:
            self.fields[f"column_{name}"] = forms.CharField(
                label=LABELS.get(name, name),
                required=False,
                max_length=200,
                help_text=gettext_lazy("Encabezado de la columna; vacío: se detecta."),
            )

    def column_fields(self):
        return [self[f"column_{name}"] for name in MAPPED_FIELDS]

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > MAX_PORTAL_FILE:
            raise forms.ValidationError(gettext_lazy("El archivo es demasiado grande (20 MB)."))
        return uploaded


@org_member_required
@require_http_methods(["GET", "POST"])
def portal_upload(request):
    membership = require(request, Action.EDIT_INVOICES)
    organization = membership.organization
    form = PortalImportForm(
        request.POST or None,
        request.FILES or None,
        initial={"date_order": settings_for(organization).date_order},
    )
    result = None
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        data = uploaded.read()
        names = {name: form.cleaned_data[f"column_{name}"].strip() for name in MAPPED_FIELDS}
        try:
            mapping = None
            if any(names.values()):
                mapping = mapping_from_names(file_headers(data, uploaded.name), names)
            result = import_supplier_portal(
                organization=organization,
                data=data,
                filename=uploaded.name,
                actor=request.user,
                today=local_today(organization.timezone),
                mapping=mapping,
                date_order=form.cleaned_data["date_order"],
                apply_valid=form.cleaned_data["apply_valid"],
            )
        except FileError as exc:
            form.add_error("file", str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc, rename={name: f"column_{name}" for name in MAPPED_FIELDS})
    return render(request, "imports/portal_upload.html", {"form": form, "result": result})
