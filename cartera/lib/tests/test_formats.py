"""One style for dates, weekdays and money per language, as people read them."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.utils import translation

from cartera.lib.dates import (
    long_date,
    month_label,
    short_date,
    spreadsheet_date_format,
    weekday_name,
)
from cartera.lib.templatetags.cartera_tags import money, weekday_names

DAY = dt.date(2026, 12, 3)
NBSP = "\xa0"


def test_short_and_long_dates_in_spanish_and_english():
    assert short_date(DAY, "es-mx") == "03/12/2026"
    assert long_date(DAY, "es-mx") == "3 de diciembre de 2026"
    assert short_date(DAY, "en") == "12/03/2026"
    assert long_date(DAY, "en") == "December 3, 2026"
    assert weekday_name(DAY, "es-mx") == "jueves"
    assert weekday_name(DAY, "en") == "Thursday"


def test_dates_follow_the_active_language_and_accept_iso_text_and_datetimes():
    late_evening = dt.datetime(2026, 12, 3, 23, 30, tzinfo=ZoneInfo("America/Mexico_City"))
    with translation.override("es-mx"):
        assert short_date("2026-01-09") == "09/01/2026"
        assert long_date(dt.date(2026, 1, 9)) == "9 de enero de 2026"
        assert long_date(late_evening) == "3 de diciembre de 2026"
    with translation.override("en"):
        assert short_date("2026-01-09") == "01/09/2026"
        assert long_date(dt.date(2026, 1, 9)) == "January 9, 2026"
    assert short_date(None) == "" and long_date("") == ""


def test_template_filters_render_the_same_strings():
    template = Template("{% load cartera_tags %}{{ d|short_date }} · {{ d|long_date }}")
    with translation.override("es-mx"):
        assert template.render(Context({"d": DAY})) == "03/12/2026 · 3 de diciembre de 2026"
    with translation.override("en"):
        assert template.render(Context({"d": DAY})) == "12/03/2026 · December 3, 2026"


def test_month_labels_and_spreadsheet_formats_follow_the_language():
    assert month_label(DAY, "es-mx") == "dic 2026"
    assert month_label(dt.date(2026, 9, 1), "es-mx") == "sep 2026"
    assert month_label(DAY, "en") == "Dec 2026"
    assert spreadsheet_date_format("es-mx") == "dd/mm/yyyy"
    assert spreadsheet_date_format("en") == "mm/dd/yyyy"


def test_weekday_keys_are_shown_as_names():
    with translation.override("es-mx"):
        assert weekday_names(["mon", "wed", "sun"]) == "lunes, miércoles, domingo"
    with translation.override("en"):
        assert weekday_names(["mon", "wed", "sun"]) == "Monday, Wednesday, Sunday"
    assert weekday_names([]) == ""


def test_money_has_one_style_in_both_languages():
    with translation.override("es-mx"):
        assert money(Decimal("1234.5"), "MXN") == f"1,234.50{NBSP}MXN"
        assert money(Decimal("250000"), "CLP") == f"250,000{NBSP}CLP"
    with translation.override("en"):
        assert money(Decimal("1234.5"), "MXN") == f"1,234.50{NBSP}MXN"
        assert money(Decimal("-0.004"), "USD") == f"0.00{NBSP}USD"
