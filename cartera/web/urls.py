"""URL patterns of the composite pages. The project's urls.py adds each list to the
namespace of the section it belongs to, so ``customers:detail``, ``reports:home`` and
``followup:call`` keep their names."""

from django.urls import path

from .views import by_hand, calls, customers, dashboard, onboarding

home_patterns = [
    path("", dashboard.home, name="home"),
]

customer_patterns = [
    path("", customers.customer_list, name="list"),
    path("<int:pk>/", customers.customer_detail, name="detail"),
    path("<int:pk>/credit-notes/new/", customers.credit_note_create, name="credit_note_create"),
    path("<int:pk>/send/", by_hand.send_by_hand_view, name="send_by_hand"),
    path("<int:pk>/send/preview/", by_hand.send_by_hand_preview, name="send_by_hand_preview"),
]

work_patterns = [
    path("tasks/<int:pk>/call/", calls.call, name="call"),
]

# ``/onboarding/``: served here (it composes several apps); before any organisation
# exists it answers with the orgs app's first-run sign-up (``orgs:onboarding``).
onboarding_patterns = [
    path("", onboarding.onboarding, name="start"),
    path("sender/", onboarding.sender, name="sender"),
    path("bank/", onboarding.bank, name="bank"),
    path("strategies/", onboarding.strategies, name="strategies"),
    path("test-send/", onboarding.test_send, name="test_send"),
    path("skip/<str:step>/", onboarding.skip, name="skip"),
    path("close/", onboarding.close, name="close"),
]
