"""URL patterns of the composite pages. The project's urls.py adds each list to the
namespace of the section it belongs to, so ``customers:detail``, ``reports:home`` and
``followup:call`` keep their names."""

from django.urls import path

from .views import calls, customers, dashboard

home_patterns = [
    path("", dashboard.home, name="home"),
]

customer_patterns = [
    path("", customers.customer_list, name="list"),
    path("<int:pk>/", customers.customer_detail, name="detail"),
    path("<int:pk>/credit-notes/new/", customers.credit_note_create, name="credit_note_create"),
]

work_patterns = [
    path("tasks/<int:pk>/call/", calls.call, name="call"),
]
