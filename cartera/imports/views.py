import csv
import io
import zipfile

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.orgs.access import Action, require

from .choices import TABULAR_KINDS, BatchStatus, ImportKind
from .headers import CANONICAL, FIELDS, LABELS
from .selectors import batches_visible_to, get_batch_for_user
from .services import create_batch, read_file_layout, remember_mapping
from .tabular import FileError
from .tasks import run_import_batch

MAX_UPLOAD = 200 * 1024 * 1024


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Qué importa"), choices=[(k.value, k.label) for k in TABULAR_KINDS]
    )
    file = forms.FileField(label=gettext_lazy("Archivo CSV o Excel (.xlsx)"))
    dry_run = forms.BooleanField(
        label=gettext_lazy("Solo revisar (no importar nada)"), required=False
    )
    valid_only = forms.BooleanField(label=gettext_lazy("Importar las filas válidas aunque otras tengan errores"),
                                    required=False)  # fmt: skip
    create_customers = forms.BooleanField(label=gettext_lazy("Crear los clientes desconocidos con los datos de la fila"),
                                          required=False)  # fmt: skip


@login_required
def batch_list(request):
    membership = require(request, Action.VIEW)
    batches = batches_visible_to(membership).select_related("created_by")[:200]
    return render(request, "imports/list.html", {"batches": batches})


@login_required
def upload(request):
    require(request, Action.EDIT_INVOICES)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            form.add_error("file", _("El archivo es demasiado grande."))
        else:
            try:
                read_file_layout(organization=request.organization, kind=form.cleaned_data["kind"],
                                 data=data, file_name=upload.name)  # fmt: skip
            except FileError as exc:
                form.add_error("file", str(exc))
            else:
                batch = create_batch(
                    organization=request.organization, actor=request.user, kind=form.cleaned_data["kind"],
                    file_name=upload.name, data=data, dry_run=form.cleaned_data["dry_run"],
                    valid_only=form.cleaned_data["valid_only"],
                    create_customers=form.cleaned_data["create_customers"], keep_file=True,
                )  # fmt: skip
                return redirect("imports:mapping", pk=batch.pk)
    return render(request, "imports/upload.html", {"form": form})


@login_required
def mapping(request, pk):
    require(request, Action.EDIT_INVOICES)
    batch = get_batch_for_user(request, pk)
    if batch.status != BatchStatus.UPLOADED:
        return redirect("imports:detail", pk=batch.pk)
    with batch.file.open("rb") as handle:
        layout = read_file_layout(organization=batch.organization, kind=batch.kind, data=handle.read(),
                                  file_name=batch.file_name)  # fmt: skip
    table = layout["table"]
    fields = list(FIELDS[batch.kind])
    if request.method == "POST":
        chosen = {}
        for field in fields:
            value = request.POST.get(f"map_{field}", "")
            if value.isdigit() and int(value) < len(table.headers):
                chosen[field] = int(value)
        remember_mapping(
            organization=batch.organization, kind=batch.kind, headers=table.headers, mapping=chosen
        )
        batch.mapping = {f: table.headers[i] for f, i in chosen.items()}
        batch.status = BatchStatus.QUEUED
        batch.save(update_fields=["mapping", "status"])
        run_import_batch.enqueue(batch.pk)
        return redirect("imports:detail", pk=batch.pk)
    rows = [
        {"field": f, "label": LABELS.get(f, f), "selected": layout["mapping"].get(f),
         "samples": [str(cells[layout["mapping"][f]] or "") for _n, cells in table.rows[:3]]
         if f in layout["mapping"] else []}
        for f in fields
    ]  # fmt: skip
    return render(request, "imports/mapping.html", {
        "batch": batch, "rows": rows, "headers": list(enumerate(table.headers)),
        "remembered": layout["remembered"], "preview": table.rows[:5],
    })  # fmt: skip


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
    if batch.is_finished:
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
            [p.get_severity_display(), p.file_name, p.row or "", p.column, p.value, p.message]
        )
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="errores-importacion-{batch.pk}.csv"'
    return response


@login_required
def cfdi_upload(request):
    require(request, Action.EDIT_INVOICES)
    if request.method == "POST":
        files = request.FILES.getlist("files")
        if files:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for upload in files:
                    archive.writestr(upload.name, upload.read())
            names = ", ".join(f.name for f in files[:5]) + ("…" if len(files) > 5 else "")
            batch = create_batch(organization=request.organization, actor=request.user, kind=ImportKind.CFDI,
                                 file_name=names, data=buffer.getvalue(), keep_file=True)  # fmt: skip
            batch.status = BatchStatus.QUEUED
            batch.save(update_fields=["status"])
            run_import_batch.enqueue(batch.pk)
            return redirect("imports:detail", pk=batch.pk)
    return render(request, "imports/cfdi.html", {})


@login_required
def template_download(request, kind, fmt):
    require(request, Action.VIEW)
    if kind not in CANONICAL or fmt not in ("csv", "xlsx"):
        from django.http import Http404

        raise Http404
    headers = CANONICAL[kind]
    if fmt == "csv":
        response = HttpResponse(
            "\ufeff" + ",".join(headers) + "\r\n", content_type="text/csv; charset=utf-8"
        )
    else:
        from openpyxl import Workbook

        workbook = Workbook()
        workbook.active.append(headers)
        out = io.BytesIO()
        workbook.save(out)
        response = HttpResponse(out.getvalue(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
    response["Content-Disposition"] = f'attachment; filename="plantilla-{kind}.{fmt}"'
    return response
