"""What every resource does the same way: scope to the token's organisation, filter a list,
answer 404 for anything outside it."""

from django.http import Http404

from cartera.lib.dates import local_today

from .pagination import paginate


def org_of(request):
    return request.auth.organization


def today_of(request):
    """The organisation's date (its time zone), the "today" the services are given."""
    return local_today(org_of(request).timezone)


def scoped(request, model):
    return model.objects.filter(organization=org_of(request))


def get_scoped(request, model, pk: int, *, queryset=None):
    """The organisation's object ``pk``; 404 for any other (another organisation's too)."""
    queryset = scoped(request, model) if queryset is None else queryset
    found = queryset.filter(organization=org_of(request), pk=pk).first()
    if found is None:
        raise Http404
    return found


def filtered_page(queryset, filters, *, date_field: str = "", updated_field: str = ""):
    """One page of ``queryset`` narrowed by the filters the resource declares (its filter
    schema has only those the model can answer)."""
    given = filters.dict(exclude_none=True)
    lookups = {
        "status": "status",
        "customer_id": "customer_id",
        "date_from": f"{date_field}__gte",
        "date_to": f"{date_field}__lte",
        "updated_since": f"{updated_field}__gte",
    }
    queryset = queryset.filter(
        **{lookup: given[name] for name, lookup in lookups.items() if name in given}
    )
    return paginate(queryset, cursor=filters.cursor, limit=filters.limit)
