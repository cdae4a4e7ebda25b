"""Every date and number field of every form (back office and portal) renders a value
the browser accepts: ISO ``yyyy-MM-dd`` in ``<input type=date>`` (anything else is
dropped and the form posts an empty date) and plain ``1234.50`` in number inputs."""

import datetime as dt
import importlib
import pkgutil
from decimal import Decimal

import pytest
from django import forms
from django.utils import translation

import cartera
from cartera.lib.forms import DATE_WIDGET, DateInput


def _all_form_classes() -> list[type[forms.BaseForm]]:
    for module in pkgutil.walk_packages(cartera.__path__, "cartera."):
        name = module.name
        if ".tests" in name or ".migrations" in name or name.endswith(".wsgi"):
            continue
        importlib.import_module(name)
    found, pending = [], [forms.Form, forms.ModelForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("cartera."):
            found.append(cls)
    return found


def _fields(kind):
    return [
        pytest.param(field, id=f"{form.__module__}.{form.__name__}.{name}")
        for form in _all_form_classes()
        for name, field in form.base_fields.items()
        if isinstance(field, kind)
    ]


@pytest.mark.parametrize("field", _fields(forms.DateField))
@pytest.mark.parametrize("language", ["es-mx", "en"])
def test_every_date_field_renders_and_parses_iso(field, language):
    with translation.override(language):
        html = field.widget.render("d", dt.date(2026, 12, 4))
        assert isinstance(field.widget, DateInput)
        assert 'type="date"' in html and 'value="2026-12-04"' in html
        assert field.clean("2026-12-04") == dt.date(2026, 12, 4)


@pytest.mark.parametrize("field", _fields(forms.DecimalField))
def test_every_number_field_renders_a_plain_decimal(field):
    with translation.override("es-mx"):
        html = field.widget.render("n", Decimal("11600.50"))
    assert 'value="11600.50"' in html


def test_the_sweep_sees_the_forms_with_dates():
    names = {f.__name__ for f in _all_form_classes()}
    assert {"CallForm", "ReportPaymentForm", "PromiseForm", "PaymentForm"} <= names


def test_date_widget_renders_iso_under_the_spanish_locale():
    with translation.override("es-mx"):
        assert 'value="2026-12-04"' in DATE_WIDGET.render("d", dt.date(2026, 12, 4))
