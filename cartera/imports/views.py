import csv
import io
import zipfile

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from cartera.lib.exports import neutralise
from cartera.orgs.access import Action, can, require

from .choices import TABULAR_KINDS, BatchStatus, DateOrder, ImportKind
from .headers import CANONICAL, FIELDS, LABELS, ignored_headers
from .selectors import batches_visible_to, get_batch_for_user, settings_for
from .services import update_import_settings
from .tabular import FileError
from .wizard import (
    confirm_batch,
    ensure_layout,
    queue_cfdi_upload,
    selected_columns,
    start_preview,
    upload_file,
)

MAX_UPLOAD = 200 * 1024 * 1024


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Qué importa"), choices=[(k.value, k.label) for k in TABULAR_KINDS]
    )
    file = forms.FileField(label=gettext_lazy("Archivo CSV o Excel (.xlsx)"))
    create_customers = forms.BooleanField(
        label=gettext_lazy("Crear los clientes desconocidos con los datos de la fila"),
        required=False,
    )


class ConfirmForm(forms.Form):
    valid_only = forms.BooleanField(
        label=gettext_lazy("Importar solo las filas válidas (las demás se reportan)"),
        required=False,
    )


class ImportSettingsForm(forms.Form):
    date_order = forms.ChoiceField(
        label=gettext_lazy("Fechas ambiguas como 05/09/2026"), choices=DateOrder.choices
    )
    pue_paid_at_issue = forms.BooleanField(
        label=gettext_lazy("Las facturas CFDI con método PUE se consideran pagadas al emitirse"),
        required=False,
    )


@login_required
def import_settings(request):
    """The organisation's import preferences (owners and managers)."""
    require(request, Action.EDIT_INVOICES)
    current = settings_for(request.organization)
    form = ImportSettingsForm(
        request.POST if request.method == "POST" else None,
        initial={"date_order": current.date_order, "pue_paid_at_issue": current.pue_paid_at_issue},
    )
    if request.method == "POST" and form.is_valid():
        update_import_settings(
            organization=request.organization, actor=request.user, **form.cleaned_data
        )
        messages.success(request, _("Preferencias de importación guardadas."))
        return redirect("imports:settings")
    return render(request, "imports/settings.html", {"form": form})


@login_required
def batch_list(request):
    membership = require(request, Action.VIEW)
    batches = batches_visible_to(membership).select_related("created_by")[:200]
    return render(
        request,
        "imports/list.html",
        {"batches": batches, "can_configure": can(membership, Action.EDIT_INVOICES)},
    )


@login_required
def upload(request):
    require(request, Action.EDIT_INVOICES)
    form = UploadForm(
        request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind")}
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            form.add_error("file", _("El archivo es demasiado grande."))
        else:
            try:
                batch = upload_file(
                    organization=request.organization,
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    file_name=upload.name,
                    data=data,
                    create_customers=form.cleaned_data["create_customers"],
                )
            except FileError as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("imports:mapping", pk=batch.pk)
    return render(request, "imports/upload.html", {"form": form})


@login_required
def mapping(request, pk):
    """Step 2: which column holds what (detected, or remembered for this file layout)."""
    require(request, Action.EDIT_INVOICES)
    batch = get_batch_for_user(request, pk)
    if batch.status not in (BatchStatus.UPLOADED, BatchStatus.PREVIEWED):
        return redirect("imports:detail", pk=batch.pk)
    headers = ensure_layout(batch).headers
    fields = list(FIELDS[batch.kind])
    if request.method == "POST":
        chosen = {}
        for field in fields:
            value = request.POST.get(f"map_{field}", "")
            if value.isdigit() and int(value) < len(headers):
                chosen[field] = int(value)
        try:
            start_preview(batch=batch, mapping=chosen)
        except ValueError:  # a double submit: the preview is already on its way
            return redirect("imports:detail", pk=batch.pk)
        return redirect("imports:preview", pk=batch.pk)
    selected = selected_columns(batch)
    rows = [
        {
            "field": f,
            "label": LABELS.get(f, f),
            "selected": selected.get(f),
            "samples": [
                cells[selected[f]] for cells in batch.sample_rows if selected[f] < len(cells)
            ]
            if f in selected
            else [],
        }
        for f in fields
    ]
    return render(
        request,
        "imports/mapping.html",
        {
            "batch": batch,
            "rows": rows,
            "headers": list(enumerate(headers)),
            "remembered": batch.mapping_remembered,
            "ignored": ignored_headers(headers, selected),
        },
    )


@login_required
def preview(request, pk):
    """Step 3: every problem and the would-be counts (computed by a background task: a
    progress bar until it is done); step 4: confirm (background run)."""
    require(request, Action.EDIT_INVOICES)
    batch = get_batch_for_user(request, pk)
    if batch.status == BatchStatus.PREVIEWING:
        return render(request, "imports/previewing.html", {"batch": batch})
    if batch.status != BatchStatus.PREVIEWED:
        return redirect("imports:detail", pk=batch.pk)
    data = request.POST if request.method == "POST" else None  # an unticked box posts nothing
    form = ConfirmForm(data, initial={"valid_only": batch.valid_only})
    if request.method == "POST" and form.is_valid():
        valid_only = form.cleaned_data["valid_only"]
        if batch.error_count and not valid_only:
            form.add_error(
                "valid_only",
                _(
                    "Hay filas con errores: corrija el archivo o marque "
                    "«importar solo las filas válidas»."
                ),
            )
        else:
            confirm_batch(batch=batch, valid_only=valid_only)
            return redirect("imports:detail", pk=batch.pk)
    problems = batch.problems.all()[:1000]
    return render(
        request,
        "imports/preview.html",
        {
            "batch": batch,
            "form": form,
            "problems": problems,
            "more_problems": batch.problems.count() > len(problems),
        },
    )


@login_required
def detail(request, pk):
    require(request, Action.VIEW)
    batch = get_batch_for_user(request, pk)
    problems = batch.problems.all()[:500]
    return render(request, "imports/detail.html", {"batch": batch, "problems": problems})


@login_required
def progress(request, pk):
    require(request, Action.VIEW)
    batch = get_batch_for_user(request, pk)
    response = render(request, "imports/_progress.html", {"batch": batch})
    if not batch.in_progress:  # done, failed or previewed: reload the page to show it
        response["HX-Refresh"] = "true"
    return response


@login_required
def errors_csv(request, pk):
    require(request, Action.VIEW)
    batch = get_batch_for_user(request, pk)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("tipo"), _("archivo"), _("fila"), _("columna"), _("valor"), _("motivo")])
    for p in batch.problems.all():
        writer.writerow(
            [
                neutralise(str(text))
                for text in (p.get_severity_display(), p.file_name, p.row or "", p.column)
                + (p.value, p.text)
            ]
        )
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="errores-importacion-{batch.pk}.csv"'
    return response


@login_required
def cfdi_upload(request):
    return _file_upload(request, ImportKind.CFDI, "imports/cfdi.html")


@login_required
def dte_upload(request):
    """Chilean SII files: DTE and AEC (XML) and RCV exports (CSV), loose or zipped."""
    return _file_upload(request, ImportKind.DTE, "imports/dte.html")


def _file_upload(request, kind, template):
    require(request, Action.EDIT_INVOICES)
    if request.method == "POST":
        files = request.FILES.getlist("files")
        if files:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for upload in files:
                    archive.writestr(upload.name, upload.read())
            names = ", ".join(f.name for f in files[:5]) + ("…" if len(files) > 5 else "")
            batch = queue_cfdi_upload(
                organization=request.organization,
                actor=request.user,
                file_name=names,
                data=buffer.getvalue(),
                kind=kind,
            )
            return redirect("imports:detail", pk=batch.pk)
    return render(request, template, {})


@login_required
def template_download(request, kind, fmt):
    require(request, Action.VIEW)
    if kind not in CANONICAL or fmt not in ("csv", "xlsx"):
        raise Http404
    headers = CANONICAL[kind]
    if fmt == "csv":
        response = HttpResponse(
            "\ufeff" + ",".join(headers) + "\r\n", content_type="text/csv; charset=utf-8"
        )
    else:
        workbook = Workbook()
        workbook.active.append(headers)
        out = io.BytesIO()
        workbook.save(out)
        response = HttpResponse(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="plantilla-{kind}.{fmt}"'
    return response
