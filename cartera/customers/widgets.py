"""A customer picker that scales: a search box instead of a ``<select>`` of every customer.

Typing asks ``customers:pick`` (htmx) for the matches, shown as radio buttons that carry
the field's own name, so the form posts the chosen customer's id exactly as a select
would and the field's queryset still decides what is valid. Without a search the box
offers the chosen customer, or the first few by name."""

from django import forms
from django.db.models import Q

FIRST_OFFERED = 8
MAX_MATCHES = 20


def matching_customers(customers, query: str, *, limit: int = MAX_MATCHES):
    """The customers whose name, legal name, key or RFC contains ``query``."""
    query = (query or "").strip()
    if query:
        customers = customers.filter(
            Q(name__icontains=query)
            | Q(legal_name__icontains=query)
            | Q(external_id__icontains=query)
            | Q(tax_id__icontains=query)
        )
    return list(customers.order_by("name", "pk")[:limit])


class CustomerSearchWidget(forms.Widget):
    template_name = "customers/widgets/customer_search.html"
    # Extra attributes for the results box (e.g. an htmx refresh when the choice changes).
    results_attrs: dict | None = None

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        customers = self.choices.queryset
        # a posted value may be anything: only a number can name a customer
        chosen = customers.filter(pk=int(value)).first() if str(value).isdigit() else None
        offered = [chosen] if chosen else matching_customers(customers, "", limit=FIRST_OFFERED)
        context["widget"].update(
            offered=offered,
            chosen_pk=chosen.pk if chosen else None,
            results_attrs=self.results_attrs or {},
        )
        return context

    def value_from_datadict(self, data, files, name):
        return data.get(name)

    def id_for_label(self, id_):
        return f"{id_}-q" if id_ else id_
