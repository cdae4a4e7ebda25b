"""The debtor's "Documentos": what the organisation needs from them, an upload form per
document and their own uploads. Every object comes through ``access.*_for_debtor``; the
upload is ``customers.documents.record_upload`` with the debtor as actor."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cartera.customers.choices import DocumentStatus
from cartera.customers.documents import record_upload
from cartera.lib.forms import add_service_errors
from cartera.timeline.choices import ActorKind

from . import access
from .forms import DocumentForm
from .views import _today, debtor_view, limited, not_found

# A debtor may send (or replace) a document while it is owed or not yet reviewed.
UPLOADABLE = {
    DocumentStatus.REQUESTED,
    DocumentStatus.REJECTED,
    DocumentStatus.EXPIRED,
    DocumentStatus.UPLOADED,
}


def _page(request, customer, *, bound=None, status=200):
    documents = list(access.documents_for_debtor(customer))
    rows = [
        {
            "document": document,
            "uploads": list(document.uploads.all()),
            "form": (
                bound[1]
                if bound and bound[0] == document.pk
                else DocumentForm(prefix=f"d{document.pk}")
            )
            if document.status in UPLOADABLE
            else None,
        }
        for document in documents
    ]
    context = {
        "customer": customer,
        "organization": customer.organization,
        "rows": rows,
        "owed": sum(1 for d in documents if d.is_owed),
    }
    return render(request, "portal/documents.html", context, status=status)


@debtor_view
def documents(request, customer):
    return _page(request, customer)


@debtor_view
@require_POST
@limited("document")
def document_upload(request, customer, pk):
    document = access.get_document_for_debtor(customer, pk)
    form = DocumentForm(request.POST, request.FILES, prefix=f"d{document.pk}")
    if document.status in UPLOADABLE and form.is_valid():
        try:
            record_upload(
                document=document,
                uploaded=form.cleaned_data["file"],
                issued_on=form.cleaned_data["issued_on"],
                actor=ActorKind.DEBTOR,
                today=_today(customer),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Gracias. Recibimos su %(kind)s; lo revisaremos.") % {"kind": document.kind},
            )
            return redirect("portal:documents")
    elif document.status not in UPLOADABLE:
        return redirect("portal:documents")
    return _page(request, customer, bound=(document.pk, form), status=400)


@debtor_view
def document_file(request, customer, pk):
    try:
        upload = access.get_document_upload_for_debtor(customer, pk)
    except Http404:
        return not_found(request)
    return FileResponse(
        upload.file.open("rb"),
        as_attachment=True,
        filename=upload.original_name,
        content_type=upload.content_type,
    )
