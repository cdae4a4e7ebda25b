"""Template helpers of the back office: money, status badges, query strings.

``{% load cartera_tags %}`` then ``{{ invoice.balance|money:invoice.currency }}``.
"""

import datetime as dt
from decimal import Decimal

from babel.numbers import format_decimal
from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy

from cartera.lib import dates
from cartera.lib.money import format_money

register = template.Library()


@register.filter
def money(amount, currency="MXN"):
    """Amount with the currency's decimals and its ISO code, grouped per the active
    language: ``11,600.00 MXN``, ``250,000 CLP`` (``lib.money.format_money``)."""
    return format_money(amount, currency)


@register.filter
def amounts(by_currency) -> str:
    """A ``{currency: amount}`` mapping as formatted amounts, "1,200.00 MXN · 50.00 USD"
    (currencies in alphabetical order; empty mapping: "—")."""
    if not by_currency:
        return "—"
    return " · ".join(money(by_currency[c], c) for c in sorted(by_currency))


@register.filter
def local_datetime(value):
    """An aware datetime, or its ISO text (as dry-run results carry it), as a short date and
    time in the active (organisation's) time zone; never raw ISO UTC."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, "SHORT_DATETIME_FORMAT")


@register.filter
def short_date(value):
    """``03/12/2026`` in Spanish, ``12/03/2026`` in English (lib.dates.short_date)."""
    return dates.short_date(value)


@register.filter
def long_date(value):
    """``3 de diciembre de 2026`` in Spanish, ``December 3, 2026`` in English."""
    return dates.long_date(value)


@register.filter
def number(value, places=0):
    if value is None or value == "":
        return ""
    places = int(places)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(Decimal(value), format=pattern, locale=dates.babel_locale())


@register.simple_tag
def invoice_badge(invoice, today):
    """Status badge; an open invoice past its due date reads "vencida". The rule is the
    invoice's own (``Invoice.days_overdue``); the badge class is named after the status."""
    if today and invoice.days_overdue(on=today) > 0:
        return format_html('<span class="badge badge-overdue">{}</span>', gettext("Vencida"))
    css = f"badge-{invoice.status}"
    return format_html('<span class="badge {}">{}</span>', css, invoice.get_status_display())


@register.simple_tag
def days_overdue(invoice, today):
    return 0 if today is None else invoice.days_overdue(on=today)


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (``None`` removes one).

    ``<a href="?{% query_with page=3 %}">`` keeps the filters while paging or sorting.
    """
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.simple_tag(takes_context=True)
def sort_link(context, field, label):
    """A column header that sorts by ``field`` and flips direction on a second click."""
    current = context["request"].GET.get("sort", "")
    if current == field:
        target, mark, sort_state = f"-{field}", " ↑", "ascending"
    elif current == f"-{field}":
        target, mark, sort_state = field, " ↓", "descending"
    else:
        target, mark, sort_state = field, "", None
    params = context["request"].GET.copy()
    params["sort"] = target
    params.pop("page", None)
    if sort_state:
        return format_html(
            '<a href="?{}" aria-sort="{}">{}{}</a>', params.urlencode(), sort_state, label, mark
        )
    return format_html('<a href="?{}">{}</a>', params.urlencode(), label)


# Weekday keys as stored in settings (``["mon", "tue"]``) and their names.
WEEKDAY_NAMES = {
    "mon": gettext_lazy("lunes"),
    "tue": gettext_lazy("martes"),
    "wed": gettext_lazy("miércoles"),
    "thu": gettext_lazy("jueves"),
    "fri": gettext_lazy("viernes"),
    "sat": gettext_lazy("sábado"),
    "sun": gettext_lazy("domingo"),
}


@register.filter
def weekday_names(keys) -> str:
    """``["mon", "fri"]`` as "lunes, viernes" (in the active language); unknown keys as
    they are."""
    return ", ".join(str(WEEKDAY_NAMES.get(key, key)) for key in keys or ())
