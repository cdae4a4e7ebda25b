"""Report pages (tables, charts, filters, exports). Thin: parse the filters, call the
report modules, build one ``exports.Table`` per page for XLSX/CSV/PDF."""

import datetime as dt
from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.agreements.choices import ReceivablePart
from cartera.customers.selectors import customers_visible_to, get_customer_for_user
from cartera.invoices.selectors import get_invoice_for_user
from cartera.lib import fmt
from cartera.lib.dates import local_today, month_label, short_date
from cartera.lib.exports import (
    DATE,
    DATETIME,
    DAYS,
    INT,
    MONEY,
    PERCENT,
    WRITERS,
    Column,
    Table,
    export_response,
)
from cartera.orgs.access import restricted_to_assigned
from cartera.orgs.decorators import org_member_required
from cartera.timeline.models import Activity

from . import tables
from .aging import BY_DUE, BY_ISSUE, GROUPS, aging, aging_invoices
from .asof import month_start
from .behaviour import customer_behaviour
from .effectiveness import WINDOWS, effectiveness
from .forecast import forecast
from .indicators import indicators, monthly_trend
from .models import ClassificationHistory

GROUP_LABELS = {
    "customer": gettext_lazy("Cliente"),
    "agent": gettext_lazy("Gestor"),
    "classification": gettext_lazy("Clasificación"),
    "tag": gettext_lazy("Etiqueta"),
}


def _date(request, name: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return default


def _scope(membership):
    """None (the whole organisation) or the customers an agent is restricted to."""
    return customers_visible_to(membership) if restricted_to_assigned(membership) else None


def _background(request, source: str, **params):
    """Large exports are built by a background task; this page follows its progress."""
    values = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in params.items()}
    query = urlencode({"source": source, "format": request.GET["format"], **values})
    return redirect(f"{reverse('report_pages:export_start')}?{query}")


def _respond(request, template: str, context: dict, table: Table, name: str, day: dt.date):
    kind = request.GET.get("format")
    if kind in WRITERS:
        return export_response(table, kind, name=name, day=day)
    context["table"] = table
    return render(request, template, context)


@org_member_required
def aging_page(request):
    membership = request.membership
    org = membership.organization
    today = local_today(org.timezone)
    as_of = _date(request, "as_of", today)
    by = request.GET.get("by") if request.GET.get("by") in (BY_DUE, BY_ISSUE) else BY_DUE
    group = request.GET.get("group") if request.GET.get("group") in GROUPS else None
    report = aging(organization=org, as_of=as_of, by=by, group=group, customers=_scope(membership))
    columns = [Column("currency", _("Moneda"))]
    if group:
        columns.insert(0, Column("label", GROUP_LABELS[group]))
    columns += [Column(b.key, b.label, MONEY) for b in report.buckets]
    columns.append(Column("total", _("Total"), MONEY))
    columns += [Column(value, label, MONEY) for value, label in ReceivablePart.choices]
    if group:
        rows = [
            {"label": r.label, "currency": r.currency, **r.amounts, "total": r.total, **r.parts}
            for r in report.rows
        ]
    parts = report.part_totals()
    # the totals with their split: principal, interest and fees (keys of ReceivablePart)
    totals = {c: {**amounts, **parts[c]} for c, amounts in report.totals().items()}
    if not group:
        rows = [{"currency": c, **amounts} for c, amounts in totals.items()]
    table = Table(
        _("Antigüedad de saldos"),
        columns,
        rows,
        subtitle=_("Al %(date)s") % {"date": short_date(as_of)},
    )
    chart = {
        "type": "bar",
        "labels": [str(b.label) for b in report.buckets],
        "series": [
            {
                "label": currency,
                "data": [fmt.amount(amounts[b.key], currency) for b in report.buckets],
            }
            for currency, amounts in report.totals().items()
        ],
    }
    context = {
        "as_of": as_of,
        "by": by,
        "group": group,
        "report": report,
        "chart": chart,
        "groups": GROUP_LABELS,
        "totals": totals,
    }
    return _respond(request, "reports/pages/aging.html", context, table, "antiguedad", as_of)


@org_member_required
def aging_drilldown(request):
    membership = request.membership
    org = membership.organization
    as_of = _date(request, "as_of", local_today(org.timezone))
    by = request.GET.get("by") if request.GET.get("by") in (BY_DUE, BY_ISSUE) else BY_DUE
    bucket = request.GET.get("bucket", "current")
    currency = request.GET.get("currency") or None
    try:
        invoices = list(
            aging_invoices(
                organization=org,
                as_of=as_of,
                bucket=bucket,
                by=by,
                currency=currency,
                customers=_scope(membership),
            )[:2000]
        )
    except ValueError:
        invoices = []
    rows = [
        {
            "number": i.number,
            "customer": i.customer.name,
            "issue_date": i.issue_date,
            "due_date": i.due_date,
            "currency": i.currency,
            "total": i.total,
            "open": i.open_amount,
            "days": max(0, (as_of - i.due_date).days),
            "pk": i.pk,
        }
        for i in invoices
    ]
    table = Table(
        _("Facturas del rango %(bucket)s") % {"bucket": bucket},
        [
            Column("number", _("Folio")),
            Column("customer", _("Cliente")),
            Column("issue_date", _("Emisión"), DATE),
            Column("due_date", _("Vencimiento"), DATE),
            Column("currency", _("Moneda")),
            Column("total", _("Total"), MONEY),
            Column("open", _("Saldo a la fecha"), MONEY),
            Column("days", _("Días vencida"), INT),
        ],
        rows,
        subtitle=_("Al %(date)s") % {"date": short_date(as_of)},
    )
    context = {"as_of": as_of, "bucket": bucket, "currency": currency, "rows": rows}
    return _respond(
        request, "reports/pages/aging_invoices.html", context, table, "antiguedad-facturas", as_of
    )


@org_member_required
def kpis_page(request):
    membership = request.membership
    org = membership.organization
    today = local_today(org.timezone)
    end = _date(request, "to", today)
    start = _date(request, "from", month_start(end))
    if start > end:
        start = month_start(end)
    scope = _scope(membership)
    result = indicators(organization=org, start=start, end=end, customers=scope)
    months = 12 if request.GET.get("trend") == "12" else 6
    trend = monthly_trend(organization=org, end=end, months=months, customers=scope)
    columns = [
        Column("currency", _("Moneda")),
        Column("credit_sales", _("Ventas a crédito (S)"), MONEY),
        Column("ar_begin", _("Cartera inicial"), MONEY),
        Column("ar_end", _("Cartera final"), MONEY),
        Column("ar_current_end", _("Cartera por vencer"), MONEY),
        Column("dso_simple", _("DSO"), DAYS),
        Column("dso_countback", _("DSO countback"), DAYS),
        Column("bpdso", _("BPDSO"), DAYS),
        Column("add", _("ADD"), DAYS),
        Column("cei", _("CEI %"), PERCENT),
    ]
    rows = [
        {
            "currency": c,
            "credit_sales": i.credit_sales,
            "ar_begin": i.ar_begin,
            "ar_end": i.ar_end,
            "ar_current_end": i.ar_current_end,
            "dso_simple": i.dso_simple,
            "dso_countback": i.dso_countback,
            "bpdso": i.bpdso,
            "add": i.add,
            "cei": i.cei,
            "exhausted": i.countback_exhausted,
        }
        for c, i in result.items()
    ]
    currencies = sorted({c for _m, per in trend for c in per})
    charts = []
    for currency in currencies:
        charts.append(
            {
                "id": f"trend-{currency}",
                "type": "line",
                "title": currency,
                "labels": [month_label(m) for m, _per in trend],
                "series": [
                    {
                        "label": label,
                        "data": [
                            fmt.days(getattr(per.get(currency), key, None)) for _m, per in trend
                        ],
                    }
                    for key, label in (
                        ("dso_simple", "DSO"),
                        ("dso_countback", "DSO countback"),
                        ("bpdso", "BPDSO"),
                        ("cei", "CEI %"),
                    )
                ],
            }
        )
    table = Table(
        _("Indicadores de cobranza"),
        columns,
        rows,
        subtitle=f"{short_date(start)} – {short_date(end)}",
    )
    context = {
        "start": start,
        "end": end,
        "rows": rows,
        "charts": charts,
        "days": (end - start).days + 1,
    }
    return _respond(request, "reports/pages/kpis.html", context, table, "indicadores", end)


def _overdue_columns(rows) -> list[Column]:
    """One money column per currency overdue anywhere in the rows: real number cells."""
    currencies = sorted({currency for row in rows for currency in row.overdue})
    return [
        Column(f"overdue_{c}", _("Vencido %(currency)s") % {"currency": c}, MONEY, currency=c)
        for c in currencies
    ]


def behaviour_table(rows, as_of: dt.date) -> Table:
    return Table(
        _("Comportamiento de pago por cliente"),
        [
            Column("external_id", _("Clave")),
            Column("name", _("Cliente")),
            Column("classification", _("Clase")),
            Column("invoices_paid", _("Pagadas"), INT),
            Column("avg_days_to_pay", _("Días para pagar"), DAYS),
            Column("avg_days_late", _("Días de atraso"), DAYS),
            Column("on_time_rate", _("% a tiempo"), PERCENT),
            Column("trend", _("Tendencia (días)"), DAYS),
            Column("oldest_overdue_days", _("Vencido más antiguo (días)"), INT),
            *_overdue_columns(rows),
            Column("promises", _("% promesas cumplidas"), PERCENT),
            Column("disputes", _("Disputas"), INT),
            Column("payments", _("Pagos recibidos"), INT),
            Column("payments_per_month", _("Pagos por mes"), DAYS),
            Column("average_payment", _("Pago promedio")),
        ],
        [
            {
                "external_id": r.external_id,
                "name": r.name,
                "classification": r.classification,
                "invoices_paid": r.invoices_paid,
                "avg_days_to_pay": r.avg_days_to_pay,
                "avg_days_late": r.avg_days_late,
                "on_time_rate": r.on_time_rate,
                "trend": r.trend_days_late,
                "oldest_overdue_days": r.oldest_overdue_days,
                "overdue": "; ".join(f"{fmt.amount(v, c)} {c}" for c, v in r.overdue.items()),
                **{f"overdue_{c}": v for c, v in r.overdue.items()},
                "overdue_by_currency": r.overdue,
                "promises": r.promises_kept_rate,
                "disputes": r.disputes,
                "payments": r.payments,
                "payments_per_month": r.payments_per_month,
                "average_payment": "; ".join(
                    f"{fmt.amount(v, c)} {c}" for c, v in r.average_payment.items()
                ),
                "pk": r.customer_id,
            }
            for r in rows
        ],
        subtitle=_("Al %(date)s") % {"date": short_date(as_of)},
    )


@org_member_required
def customers_page(request):
    membership = request.membership
    org = membership.organization
    as_of = _date(request, "as_of", local_today(org.timezone))
    rows = customer_behaviour(organization=org, as_of=as_of, customers=_scope(membership))
    wanted = request.GET.get("classification")
    if wanted in ("A", "B", "C", "D", "-"):
        rows = [r for r in rows if (r.classification or "-") == wanted]
    table = behaviour_table(rows, as_of)
    counts = {}
    for row in rows:
        counts[row.classification or "-"] = counts.get(row.classification or "-", 0) + 1
    chart = {
        "type": "doughnut",
        "labels": sorted(counts),
        "series": [{"label": _("Clientes"), "data": [counts[k] for k in sorted(counts)]}],
    }
    context = {"as_of": as_of, "chart": chart, "wanted": wanted or ""}
    return _respond(request, "reports/pages/customers.html", context, table, "clientes", as_of)


@org_member_required
def customer_statement(request, pk):
    customer = get_customer_for_user(request, pk)
    org = request.membership.organization
    as_of = _date(request, "as_of", local_today(org.timezone))
    if request.GET.get("format") in WRITERS:
        return _background(request, "customer_statement", customer=customer.pk, as_of=as_of)
    table = tables.customer_statement_table(customer, as_of=as_of)
    behaviour = customer_behaviour(
        organization=org,
        as_of=as_of,
        customers=customers_visible_to(request.membership).filter(pk=customer.pk),
    )
    context = {
        "customer": customer,
        "as_of": as_of,
        "rows": table.rows,
        "split": tables.statement_split(table.rows),
        "behaviour": behaviour[0] if behaviour else None,
        "history": ClassificationHistory.objects.filter(customer=customer)[:24],
        "activities": Activity.objects.filter(customer=customer).select_related("actor_user")[:100],
    }
    return _respond(
        request, "reports/pages/customer.html", context, table, "estado-de-cuenta", as_of
    )


@org_member_required
def invoice_story(request, pk):
    invoice = get_invoice_for_user(request, pk)
    allocations = list(
        invoice.allocations.select_related("payment", "credit_note").order_by(
            "effective_date", "id"
        )
    )
    applied = sum((a.amount for a in allocations), start=invoice.total * 0)
    paid_on = allocations[-1].effective_date if allocations and applied >= invoice.total else None
    if paid_on:
        paid_on = max(a.effective_date for a in allocations)
    activities = list(
        Activity.objects.filter(invoice=invoice)
        .select_related("actor_user")
        .order_by("created_at", "id")
    )
    rows = [
        {
            "date": a.created_at,
            "kind": a.get_kind_display(),
            "summary": a.text,
            "actor": a.actor_label,
        }
        for a in activities
    ]
    table = Table(
        _("Historia de la factura %(number)s") % {"number": invoice.number},
        [
            Column("date", _("Fecha y hora"), DATETIME),
            Column("kind", _("Tipo")),
            Column("summary", _("Detalle")),
            Column("actor", _("Quién")),
        ],
        rows,
        time_zone=invoice.organization.timezone,
    )
    context = {
        "invoice": invoice,
        "allocations": allocations,
        "paid_on": paid_on,
        "days_to_pay": (paid_on - invoice.issue_date).days if paid_on else None,
        "days_late": max(0, (paid_on - invoice.due_date).days) if paid_on else None,
        "activities": activities,
        "promises": _optional_related(invoice, "promises"),
        "disputes": _optional_related(invoice, "disputes"),
        "outreach_messages": _optional_related(invoice, "messages"),
    }
    return _respond(
        request,
        "reports/pages/invoice.html",
        context,
        table,
        "factura",
        local_today(invoice.organization.timezone),
    )


def _optional_related(obj, name: str) -> list:
    """Rows of a reverse relation added by an app that may not be installed."""
    manager = getattr(obj, name, None)
    if manager is None or not hasattr(manager, "all"):
        return []
    return list(manager.all()[:200])


@org_member_required
def forecast_page(request):
    org = request.membership.organization
    as_of = _date(request, "as_of", local_today(org.timezone))
    if request.GET.get("format") in WRITERS:
        return _background(request, "forecast", as_of=as_of)
    scope = _scope(request.membership)
    data = forecast(organization=org, as_of=as_of)
    table = tables.forecast_table(data, organization=org, scope=scope, as_of=as_of)
    charts = [
        {
            "id": f"forecast-{currency}",
            "type": "bar",
            "title": currency,
            "labels": [short_date(w.start) for w in weeks],
            "series": [
                {"label": _("Esperado"), "data": [fmt.amount(w.expected, currency) for w in weeks]},
                {"label": "P10", "data": [fmt.amount(w.p10, currency) for w in weeks]},
                {"label": "P90", "data": [fmt.amount(w.p90, currency) for w in weeks]},
            ],
        }
        for currency, weeks in data["weeks"].items()
    ]
    context = {
        "as_of": as_of,
        "weeks": data["weeks"],
        "later": data["later"],
        "charts": charts,
        "rows": table.rows[:500],
        "restricted": scope is not None,
    }
    return _respond(request, "reports/pages/forecast.html", context, table, "pronostico", as_of)


@org_member_required
def effectiveness_page(request):
    org = request.membership.organization
    today = local_today(org.timezone)
    end = _date(request, "to", today)
    start = _date(request, "from", end - dt.timedelta(days=89))
    data = effectiveness(organization=org, start=start, end=end, as_of=today)
    rows = []
    for v in data["variants"]:
        row = {
            "strategy": v.strategy or "—",
            "version": v.version,
            "step": v.step,
            "template": v.template,
            "sent": v.sent,
            "delivered": v.delivered,
            "read": v.read,
            "clicked": v.clicked,
            "chased": v.chased,
            "median": v.median_days,
        }
        for window in WINDOWS:
            rate = v.rate(window)
            row[f"paid_{window}"] = None if rate is None else rate * 100
            row[f"amounts_{window}"] = v.amount_within[window]  # the page formats them
            row |= {f"amount_{window}_{c}": a for c, a in v.amount_within[window].items()}
        rows.append(row)
    currencies = sorted({c for v in data["variants"] for w in WINDOWS for c in v.amount_within[w]})
    columns = [
        Column("strategy", _("Estrategia")),
        Column("version", _("Versión"), INT),
        Column("step", _("Paso")),
        Column("template", _("Plantilla")),
        Column("sent", _("Enviados"), INT),
        Column("delivered", _("Entregados"), INT),
        Column("read", _("Leídos"), INT),
        Column("clicked", _("Con clic"), INT),
        Column("chased", _("Facturas cobradas"), INT),
    ]
    for window in WINDOWS:
        columns.append(
            Column(f"paid_{window}", _("%% pagadas en %(d)s días") % {"d": window}, PERCENT)
        )
        columns += [
            Column(
                f"amount_{window}_{c}",
                _("Importe en %(d)s días %(currency)s") % {"d": window, "currency": c},
                MONEY,
                currency=c,
            )
            for c in currencies
        ]
    columns.append(Column("median", _("Mediana días a pago"), DAYS))
    table = Table(
        _("Efectividad de estrategias"),
        columns,
        rows,
        subtitle=f"{short_date(start)} – {short_date(end)}",
    )
    context = {"start": start, "end": end, "comparisons": data["comparisons"], "rows": rows}
    return _respond(request, "reports/pages/effectiveness.html", context, table, "efectividad", end)
