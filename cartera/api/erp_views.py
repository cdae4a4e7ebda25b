"""The owners' pages for ERP connections: list, create, the sync log and "sync now"."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cartera.lib.forms import add_service_errors
from cartera.orgs.access import Action
from cartera.orgs.decorators import org_member_required

from .erp.connections import create_erp_connection, request_sync
from .forms import ErpConnectionForm
from .models import ErpConnection

LOG_SIZE = 30


def _connection_for(request, pk: int) -> ErpConnection:
    connection = ErpConnection.objects.filter(organization=request.organization, pk=pk).first()
    if connection is None:
        raise Http404
    return connection


@org_member_required(action=Action.MANAGE_ORGANIZATION)
def connections(request):
    form = ErpConnectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            connection = create_erp_connection(
                organization=request.organization, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Conexión creada: %(name)s") % {"name": connection.name})
            return redirect("api_settings:erp", pk=connection.pk)
    rows = ErpConnection.objects.filter(organization=request.organization)
    return render(request, "api/erp.html", {"form": form, "connections": rows})


@org_member_required(action=Action.MANAGE_ORGANIZATION)
def connection_detail(request, pk: int):
    connection = _connection_for(request, pk)
    runs = connection.runs.all()[:LOG_SIZE]
    return render(request, "api/erp_detail.html", {"connection": connection, "runs": runs})


@require_POST
@org_member_required(action=Action.MANAGE_ORGANIZATION)
def sync_now(request, pk: int):
    connection = _connection_for(request, pk)
    request_sync(connection=connection, actor=request.user)
    messages.success(request, _("Sincronización en curso; el resultado aparecerá en el registro."))
    return redirect("api_settings:erp", pk=connection.pk)
