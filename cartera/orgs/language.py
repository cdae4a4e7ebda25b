"""Background work speaks the organisation's language.

Timeline summaries, task titles and import problems are stored as text. Web requests
already run in the organisation's language (the middleware); workers, the scheduler and
the CLI do not, so their per-organisation entry points are wrapped here.
"""

import functools

from django.conf import settings
from django.utils import translation

from .models import Organization


def organization_language(organization_id: int) -> str:
    language = (
        Organization.objects.filter(pk=organization_id).values_list("language", flat=True).first()
    )
    return language or settings.LANGUAGE_CODE


def in_organization_language(func):
    """Run ``func(organization_id, …)`` with the organisation's language active."""

    @functools.wraps(func)
    def wrapper(organization_id, *args, **kwargs):
        with translation.override(organization_language(organization_id)):
            return func(organization_id, *args, **kwargs)

    return wrapper
