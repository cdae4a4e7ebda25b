"""Closing a first-visit hint (POST only, CSRF-protected like every form)."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cartera.lib.redirects import safe_next

from .decorators import org_member_required
from .hints import dismiss_hint


@require_POST
@org_member_required
def hint_dismiss(request, hint: str):
    if request.POST.get("dismiss") != "1":  # an empty or stray POST changes nothing
        return HttpResponseBadRequest("")
    try:
        dismiss_hint(membership=request.membership, hint=hint)
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    if request.headers.get("HX-Request"):
        return HttpResponse("")  # htmx swaps the hint away
    return redirect(safe_next(request, "/"))
