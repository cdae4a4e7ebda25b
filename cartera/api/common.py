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


def filtered_page(queryset, filters, *, date_field: str | None, updated_field: str | None):
    """One page of ``queryset`` narrowed by the common filters the model has."""
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.customer_id is not None:
        queryset = queryset.filter(customer_id=filters.customer_id)
    if date_field and filters.date_from:
        queryset = queryset.filter(**{f"{date_field}__gte": filters.date_from})
    if date_field and filters.date_to:
        queryset = queryset.filter(**{f"{date_field}__lte": filters.date_to})
    if updated_field and filters.updated_since:
        queryset = queryset.filter(**{f"{updated_field}__gte": filters.updated_since})
    return paginate(queryset, cursor=filters.cursor, limit=filters.limit)
