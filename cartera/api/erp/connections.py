"""Writes to ERP connections (owners only): create one, ask for a sync now."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.orgs.access import Action, require_member
from cartera.timeline import events
from cartera.timeline.sentences import sentence

from ..choices import ErpKind
from ..models import ErpConnection

SYNC_NOW_TASK = "cartera.api.tasks.sync_erp_now"
REQUIRED = {
    ErpKind.ODOO: ("base_url", "database", "secret"),
    ErpKind.ALEGRA: ("base_url", "username", "secret"),
    ErpKind.CONTPAQI: ("folder",),
}


@transaction.atomic
def create_erp_connection(*, organization, actor, kind: str, name: str, **fields) -> ErpConnection:
    require_member(actor, organization, Action.MANAGE_ORGANIZATION)
    if kind not in REQUIRED:
        raise ValidationError({"kind": _("Elija un sistema.")})
    missing = {
        field: _("Este campo es obligatorio para %(kind)s.") % {"kind": ErpKind(kind).label}
        for field in REQUIRED[kind]
        if not (fields.get(field) or "").strip()
    }
    if missing:
        raise ValidationError(missing)
    connection = ErpConnection.objects.create(
        organization=organization, kind=kind, name=name.strip() or ErpKind(kind).label, **fields
    )
    events.config_changed(
        organization,
        actor=actor,
        summary=sentence(gettext_lazy("Conexión con ERP creada: %(name)s"), name=connection.name),
        erp_connection_id=connection.pk,
    )
    return connection


def request_sync(*, connection: ErpConnection, actor) -> None:
    """The "sync now" button: the sync runs in a task, after this request."""
    require_member(actor, connection.organization, Action.MANAGE_ORGANIZATION)
    pk = connection.pk
    transaction.on_commit(lambda: import_string(SYNC_NOW_TASK).enqueue(pk))
