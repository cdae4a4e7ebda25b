"""Form helpers every app uses (back office and portal): the base form that marks
invalid fields, the date input, and the one way to show a service's ValidationError on a
form."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    """``<input type=date>``. Browsers accept only ``yyyy-MM-dd`` as its value and drop
    anything else (the locale's ``04/12/2026`` arrives empty), so it always renders ISO,
    whatever the active language; what the browser posts back is ISO too."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):  # noqa: A002 (Django's argument name)
        super().__init__(attrs=attrs, format=format or ISO_DATE)


# The widget of every DateField (a fresh copy per form, Django deep-copies widgets).
DATE_WIDGET = DateInput()


class BackOfficeForm(forms.Form):
    """Marks invalid fields with ``aria-invalid`` (Pico paints them) and links errors."""

    def full_clean(self):
        super().full_clean()
        self.mark_invalid_fields()

    def mark_invalid_fields(self):
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = (
                    f"id_{self.prefix + '-' if self.prefix else ''}{name}_error"
                )


def add_service_errors(
    form: forms.Form, exc: ValidationError, *, rename: dict[str, str] | None = None
) -> None:
    """Put a service's ValidationError next to the fields it names (else on top).

    ``rename`` maps a service's argument name to the form field showing it."""
    rename = rename or {}
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            name = rename.get(name, name)
            target = name if name in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)
    if isinstance(form, BackOfficeForm):
        form.mark_invalid_fields()


# Primary keys are 64-bit: a longer number is not an id (and SQLite cannot even bind it).
MAX_ID = 2**63 - 1


def is_id(value) -> bool:
    text = str(value).strip()
    return text.isdigit() and 0 < int(text) <= MAX_ID


def clean_ids(values) -> list[int]:
    """The values that can be primary keys, as ints (anything else is dropped)."""
    return [int(str(value).strip()) for value in values if is_id(value)]


class ModelChoiceField(forms.ModelChoiceField):
    """Django's, refusing a value that cannot be an id before it reaches the database."""

    def to_python(self, value):
        if value not in self.empty_values and not is_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, refusing values that cannot be ids before they reach the database."""

    def _check_values(self, value):
        for item in value:
            if not is_id(item):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": str(item)[:40]},
                )
        return super()._check_values(value)


def length_errors(model, values: dict) -> dict:
    """Field errors for text longer than its column: the service refuses it with the field
    named, instead of the database refusing the row (PostgreSQL) or keeping it (SQLite)."""
    errors = {}
    for name, value in values.items():
        try:
            limit = model._meta.get_field(name).max_length
        except LookupError:
            continue
        if limit and isinstance(value, str) and len(value) > limit:
            errors[name] = _("Como máximo %(limit)s caracteres (tiene %(length)s).") % {
                "limit": limit,
                "length": len(value),
            }
    return errors
