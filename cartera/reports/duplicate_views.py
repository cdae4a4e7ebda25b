"""The duplicate-send report page and its exports (reports.duplicates)."""

import datetime as dt

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from cartera.customers.selectors import customers_visible_to
from cartera.dunning.choices import Stage
from cartera.lib.dates import local_today
from cartera.lib.exports import DATE, INT, WRITERS, Column, Table, export_response
from cartera.orgs.access import restricted_to_assigned
from cartera.orgs.decorators import org_member_required

from .duplicates import DEFAULT_WINDOW_DAYS, duplicate_sends

MAX_WINDOW_DAYS = 90


def _date(request, name: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return default


def _window(request) -> int:
    try:
        days = int(request.GET.get("days", DEFAULT_WINDOW_DAYS))
    except ValueError:
        return DEFAULT_WINDOW_DAYS
    return min(max(days, 1), MAX_WINDOW_DAYS)


def duplicates_table(found, *, start: dt.date, end: dt.date, days: int) -> Table:
    stages = dict(Stage.choices)
    rows = [
        {
            "customer": d.customer,
            "customer_id": d.customer_id,
            "stage": str(stages.get(d.stage, d.stage)),
            "first_day": d.first_day,
            "first_channel": d.first_channel,
            "second_day": d.second_day,
            "second_channel": d.second_channel,
            "days_apart": d.days_apart,
        }
        for d in found
    ]
    columns = [
        Column("customer", _("Cliente")),
        Column("stage", _("Etapa")),
        Column("first_day", _("Primer mensaje"), DATE),
        Column("first_channel", _("Canal")),
        Column("second_day", _("Segundo mensaje"), DATE),
        Column("second_channel", _("Canal")),
        Column("days_apart", _("Días entre ambos"), INT),
    ]
    subtitle = _("%(start)s – %(end)s, ventana de %(days)s días") % {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days": days,
    }
    return Table(_("Envíos duplicados"), columns, rows, subtitle=subtitle)


@org_member_required
def duplicates_page(request):
    membership = request.membership
    org = membership.organization
    end = _date(request, "to", local_today(org.timezone))
    start = _date(request, "from", end - dt.timedelta(days=89))
    days = _window(request)
    scope = customers_visible_to(membership) if restricted_to_assigned(membership) else None
    found = duplicate_sends(organization=org, start=start, end=end, days=days, customers=scope)
    table = duplicates_table(found, start=start, end=end, days=days)
    if request.GET.get("format") in WRITERS:
        return export_response(table, request.GET["format"], name="envios-duplicados", day=end)
    for row in table.rows:
        row["url"] = reverse("customers:detail", args=[row["customer_id"]])
    context = {"table": table, "start": start, "end": end, "days": days, "rows": table.rows}
    return render(request, "reports/pages/duplicates.html", context)
