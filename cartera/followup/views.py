"""The collections team's workday: work list, notes, activity log (and its export),
notifications. Thin views: objects come through the access helpers."""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from cartera.customers.selectors import get_customer_for_user
from cartera.invoices.choices import PortalStatusSource
from cartera.invoices.forms import PortalStatusForm
from cartera.invoices.selectors import get_invoice_for_user
from cartera.lib.dates import local_today
from cartera.lib.forms import add_service_errors, clean_ids
from cartera.lib.redirects import safe_next
from cartera.orgs.access import Action, require
from cartera.orgs.decorators import org_member_required
from cartera.timeline import notifications
from cartera.timeline.choices import NotificationKind
from cartera.timeline.selectors import get_notification_for_user

from .forms import (
    ActivityFilterForm,
    FollowUpForm,
    NoteForm,
    NotificationPreferencesForm,
    WorkListFilterForm,
)
from .priority import reasons_text
from .selectors import (
    activity_log,
    fresh_page,
    get_task_for_user,
    notes_visible_to,
    sees_all_agents,
    tasks_visible_to,
    timeline_for,
    work_list_queryset,
)
from .services import add_note, complete_task, create_follow_up, reassign_tasks
from .supplier_portals import apply_portal_status

User = get_user_model()
PAGE_SIZE = 50


def _today(request) -> dt.date:
    return local_today(request.membership.organization.timezone)


def _members(request):
    return User.objects.filter(
        memberships__organization=request.membership.organization, memberships__is_active=True
    ).order_by("first_name", "username")


@org_member_required
def worklist(request):
    """ "Mi cobranza de hoy": today's tasks, best first."""
    membership = request.membership
    today = _today(request)
    manager = sees_all_agents(membership)
    form = WorkListFilterForm(request.GET or None, agents=_members(request) if manager else ())
    form.is_valid()
    data = getattr(form, "cleaned_data", {}) or {}
    agent = data.get("agent") or None
    if not manager:
        agent = None
    tasks = work_list_queryset(
        membership, today=today, agent_id=agent, kind=data.get("kind", ""), q=data.get("q", "")
    )
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = fresh_page(page.object_list, membership=membership, today=today)
    for task in page:
        task.reason_texts = reasons_text(task.reasons)
        task.is_overdue = task.due_date < today
    context = {
        "form": form,
        "page": page,
        "today": today,
        "manager": manager,
        "members": _members(request) if manager else (),
    }
    return render(request, "followup/worklist.html", context)


@org_member_required
@require_POST
def task_done(request, pk):
    task = get_task_for_user(request, pk)
    require(request, Action.ADD_NOTES)
    try:
        complete_task(task=task, actor=request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("followup:worklist")


@org_member_required
@require_POST
def reassign(request):
    """Bulk reassignment (selected tasks, or every open task of one agent)."""
    require(request, Action.MANAGE_MEMBERS)
    to_user = _members(request).filter(pk=request.POST.get("to_user") or 0).first()
    if to_user is None:
        messages.error(request, _("Elija a quién reasignar."))
        return redirect("followup:worklist")
    visible = tasks_visible_to(request.membership).filter(status="open")
    if request.POST.get("from_user"):
        ids = visible.filter(assignee_id=request.POST["from_user"]).values_list("pk", flat=True)
    else:
        ids = visible.filter(pk__in=clean_ids(request.POST.getlist("task"))).values_list(
            "pk", flat=True
        )
    count = reassign_tasks(
        organization=request.membership.organization,
        task_ids=list(ids),
        to_user=to_user,
        actor=request.user,
    )
    messages.success(
        request,
        ngettext("%(n)s tarea reasignada.", "%(n)s tareas reasignadas.", count) % {"n": count},
    )
    return redirect(safe_next(request, reverse("followup:worklist")))


@org_member_required
@require_http_methods(["GET", "POST"])
def follow_up(request, pk):
    customer = get_customer_for_user(request, pk)
    today = _today(request)
    form = FollowUpForm(request.POST or None, initial={"due_date": today + dt.timedelta(days=1)})
    if request.method == "POST":
        require(request, Action.ADD_NOTES)
        if form.is_valid():
            try:
                create_follow_up(
                    customer=customer,
                    title=form.cleaned_data["title"],
                    due_date=form.cleaned_data["due_date"],
                    actor=request.user,
                    today=today,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Seguimiento agendado."))
                return redirect("customers:detail", customer.pk)
    return render(request, "followup/follow_up.html", {"form": form, "customer": customer})


@org_member_required
@require_POST
def note_add(request, pk):
    customer = get_customer_for_user(request, pk)
    require(request, Action.ADD_NOTES)
    form = NoteForm(request.POST)
    if form.is_valid():
        add_note(customer=customer, text=form.cleaned_data["text"], actor=request.user)
        messages.success(request, _("Nota guardada."))
    else:
        messages.error(request, _("Escriba la nota."))
    return redirect(safe_next(request, reverse("customers:detail", args=[customer.pk])))


@org_member_required
@require_POST
def portal_status(request, pk):
    """Set an invoice's status in the buyer's supplier portal (from the invoice page)."""
    invoice = get_invoice_for_user(request, pk)
    require(request, Action.ADD_NOTES)
    form = PortalStatusForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            outcome = apply_portal_status(
                invoice=invoice,
                status=data["status"],
                date=data["date"],
                reason=data["reason"],
                payment_date=data["payment_date"],
                source=PortalStatusSource.MANUAL,
                actor=request.user,
                today=local_today(request.membership.organization.timezone),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if outcome.entry is None:
                messages.info(request, _("La factura ya tenía ese estado; no cambió nada."))
            else:
                messages.success(request, _("Estado del portal del cliente guardado."))
            if outcome.dispute is not None:
                messages.info(request, _("Se abrió una disputa con el motivo del rechazo."))
            if outcome.promise is not None:
                messages.info(
                    request, _("Se registró una promesa de pago para la fecha programada.")
                )
    for name, errors in form.errors.items():
        for error in errors:
            label = form.fields[name].label if name in form.fields else ""
            messages.error(request, f"{label}: {error}" if label else error)
    return redirect(reverse("invoices:detail", args=[invoice.pk]) + "#supplier-portal")


@org_member_required
def notes(request):
    """Customer notes ("novedades") across customers, to work them by phone."""
    q = request.GET.get("q", "").strip()
    agent = request.GET.get("agent", "")
    page = Paginator(notes_visible_to(request.membership, q=q, agent=agent), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "followup/notes.html",
        {"page": page, "q": q, "agent": agent, "members": _members(request)},
    )


def _timeline_page(request, queryset, template, extra, *, scope: dict | None = None):
    form = ActivityFilterForm(request.GET or None, users=_members(request))
    form.is_valid()
    data = getattr(form, "cleaned_data", {}) or {}
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        return _export(export, data, scope or {})
    queryset = queryset(
        kind=data.get("kind", ""),
        actor=data.get("actor", ""),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    name = "followup/_timeline.html" if request.headers.get("HX-Request") else template
    return render(request, name, {"form": form, "page": page, **extra})


def _export(kind: str, filters: dict, scope: dict):
    """Large: the background exports build it (followup/exports.py) and show progress."""
    params = {
        "source": "timeline",
        "format": kind,
        **scope,
        **{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in filters.items() if v},
    }
    return redirect(f"{reverse('report_pages:export_start')}?{urlencode(params)}")


@org_member_required
def log(request):
    """The organisation-wide activity log, filtered by agent, kind and date."""

    def queryset(**filters):
        return activity_log(request.membership, **filters)

    return _timeline_page(request, queryset, "followup/log.html", {"title": _("Bitácora")})


@org_member_required
def customer_timeline(request, pk):
    customer = get_customer_for_user(request, pk)

    def queryset(date_from=None, date_to=None, **filters):
        rows = timeline_for(request.membership, customer=customer, **filters)
        if date_from:
            rows = rows.filter(created_at__date__gte=date_from)
        if date_to:
            rows = rows.filter(created_at__date__lte=date_to)
        return rows

    return _timeline_page(
        request,
        queryset,
        "followup/log.html",
        {"title": _("Bitácora de %(c)s") % {"c": customer.name}, "customer": customer},
        scope={"customer": customer.pk},
    )


@org_member_required
def invoice_timeline(request, pk):
    invoice = get_invoice_for_user(request, pk)

    def queryset(date_from=None, date_to=None, **filters):
        return timeline_for(request.membership, invoice=invoice, **filters)

    return _timeline_page(
        request,
        queryset,
        "followup/log.html",
        {"title": _("Bitácora de la factura %(n)s") % {"n": invoice.number}, "invoice": invoice},
        scope={"invoice": invoice.pk},
    )


# --- notifications ------------------------------------------------------------------------
@org_member_required
def notification_list(request):
    rows = notifications.for_user(request)[:100]
    if request.headers.get("HX-Request"):
        return render(request, "followup/_bell.html", notifications.bell_context(request))
    return render(request, "followup/notifications.html", {"rows": rows})


@org_member_required
def notification_open(request, pk):
    """Mark read (POST) and go to its object."""
    note = get_notification_for_user(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    notifications.mark_read(notification=note)
    return redirect(note.url or reverse("followup:notifications"))


@org_member_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    current = notifications.preferences_for(request)
    form = NotificationPreferencesForm(
        request.POST or None,
        initial={"enabled": [k for k in NotificationKind.values if k not in current.muted]},
    )
    if request.method == "POST" and "save" in request.POST and form.is_valid():
        notifications.save_preferences(
            organization=request.membership.organization,
            user=request.user,
            enabled=form.cleaned_data["enabled"],
        )
        messages.success(request, _("Preferencias guardadas."))
        return redirect("followup:notifications")
    return render(request, "followup/notification_preferences.html", {"form": form})
