"""Which invoices a debtor sees and pays, and how: the one rule every debtor-facing
place calls (the portal's statement, its PDF and forms, the scheduled account
statements).

A factored (ceded) invoice is owed to the factor, not to the organisation: the debtor
never pays, reports, promises or is charged for it here. Per the organisation's setting
(``FactoringSettings``, edited on the portal settings page) it is either listed apart
as payable to the factor, or not shown at all. See docs/portal.md.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, QuerySet

from .choices import FactoredDisplay
from .models import FactoringSettings, Invoice


def factored_display(organization) -> FactoredDisplay:
    row = FactoringSettings.objects.filter(organization=organization).first()
    return FactoredDisplay(row.debtor_display) if row else FactoredDisplay.PAYABLE_TO_FACTOR


@transaction.atomic
def set_factored_display(*, organization, display: str) -> bool:
    """Save the setting; whether it changed (the caller records the configuration change)."""
    display = FactoredDisplay(display)
    row, _created = FactoringSettings.objects.select_for_update().get_or_create(
        organization=organization
    )
    if row.debtor_display == display:
        return False
    row.debtor_display = display
    row.save(update_fields=["debtor_display"])
    return True


def factored_q(*, prefix: str = "") -> Q:
    """Invoices ceded to a factor: the debtor owes them to the factor, not to us, so
    they are neither chased nor shown to the debtor as payable to us."""
    return Q(**{f"{prefix}is_factored": True})


def payable_by_debtor(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """The invoices the debtor pays to the organisation (and may report, promise, pay
    online, or find in the statement's totals)."""
    return invoices.exclude(factored_q())


def payable_to_factor(invoices: QuerySet[Invoice], *, organization) -> QuerySet[Invoice]:
    """The factored invoices the debtor is shown as payable to their factor (none when the
    organisation hides them)."""
    if factored_display(organization) == FactoredDisplay.HIDDEN:
        return invoices.none()
    return invoices.filter(factored_q())


def visible_to_debtor(invoices: QuerySet[Invoice], *, organization) -> QuerySet[Invoice]:
    """Everything the debtor may see (open a file of, dispute): payable ones, plus the
    factored ones unless hidden."""
    if factored_display(organization) == FactoredDisplay.HIDDEN:
        return payable_by_debtor(invoices)
    return invoices


def split_for_debtor(invoices: Iterable[Invoice], *, organization) -> tuple[list, list]:
    """Already-fetched invoices as (payable to the organisation, shown as payable to the
    factor): the same rule as the querysets above, for a page that reads them once."""
    show_factored = factored_display(organization) != FactoredDisplay.HIDDEN
    payable = [i for i in invoices if not i.is_factored]
    factored = [i for i in invoices if i.is_factored and show_factored]
    return payable, factored
