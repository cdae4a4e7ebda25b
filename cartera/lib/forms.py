"""Form helpers every app uses (back office and portal): the base form that marks
invalid fields, the date input, and the one way to show a service's ValidationError on a
form."""

from django import forms
from django.core.exceptions import ValidationError

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
