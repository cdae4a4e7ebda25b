"""Form helpers every back-office app uses: the base form that marks invalid fields,
the date widget, and the one way to show a service's ValidationError on a form."""

from django import forms
from django.core.exceptions import ValidationError

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


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
