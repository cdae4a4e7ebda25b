"""First-visit hints on the core pages: which exist, and closing one for good.

A hint is closed per membership (a person in one organisation), stored server-side in
``Membership.dismissed_hints``. Closing a hint is a screen preference, not an act on
the portfolio, so it writes no timeline entry.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Membership

# The pages that greet a first visit (the text lives in templates/help/<key>_hint.html).
HINTS = ("dashboard", "customers", "customer", "worklist", "outbox")


def dismiss_hint(*, membership: Membership, hint: str) -> Membership:
    """Close ``hint`` for this membership; closing it again changes nothing."""
    if hint not in HINTS:
        raise ValidationError({"hint": _("Aviso desconocido: %(hint)s.") % {"hint": hint}})
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if hint not in locked.dismissed_hints:
            locked.dismissed_hints = [*locked.dismissed_hints, hint]
            locked.save(update_fields=["dismissed_hints"])
    membership.dismissed_hints = locked.dismissed_hints
    return membership


def shows_hint(membership: Membership | None, hint: str) -> bool:
    return membership is not None and hint in HINTS and hint not in membership.dismissed_hints
