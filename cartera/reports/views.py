from django.shortcuts import render

from cartera.invoices.selectors import invoices_visible_to
from cartera.lib.dates import local_today
from cartera.orgs.decorators import org_member_required

from .selectors import receivables_by_currency, top_debtors


@org_member_required
def home(request):
    membership = request.membership
    today = local_today(membership.organization.timezone)
    receivables = receivables_by_currency(membership, as_of=today)
    context = {
        "today": today,
        "receivables": receivables,
        "debtors": top_debtors(membership, as_of=today),
        "has_invoices": bool(receivables) or invoices_visible_to(membership).exists(),
    }
    return render(request, "reports/home.html", context)
