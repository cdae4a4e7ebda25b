"""Friendly uniqueness checks: a field error per duplicated value, before the database
constraint would raise an IntegrityError that a person cannot act on."""


def duplicate_errors(queryset, values: dict, messages: dict[str, str], *, exclude_pk=None) -> dict:
    """``{field: message}`` for each field of ``messages`` whose non-empty value already
    exists in ``queryset`` (other than the row ``exclude_pk``). Messages may use
    ``%(value)s``."""
    others = queryset.exclude(pk=exclude_pk) if exclude_pk is not None else queryset
    errors = {}
    for field, message in messages.items():
        value = values.get(field)
        if value and others.filter(**{field: value}).exists():
            errors[field] = message % {"value": value}
    return errors
