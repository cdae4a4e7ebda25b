"""View decorators for the back office.

``@org_member_required`` is the gate in front of every back-office view:

- no organisation exists yet (first run)  → redirect to the onboarding page;
- anonymous                               → redirect to the login page (``?next=``);
- logged in but member of no organisation → 403 with a friendly "no access" page that says
  whom to ask (the same page for every URL, so nothing is leaked).

Writes still call ``cartera.orgs.access.require(request, Action.X)`` inside the view;
``@org_member_required(action=Action.X)`` is a shortcut that does both.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render

from .access import Action, require
from .models import Organization


def org_member_required(view=None, *, action: Action | None = None):
    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if getattr(request, "membership", None) is None:
                if not Organization.objects.exists():
                    return redirect("orgs:onboarding")
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                return render(request, "orgs/no_access.html", status=403)
            if action is not None:
                require(request, action)
            return func(request, *args, **kwargs)

        return wrapper

    if view is not None:
        return decorator(view)
    return decorator
