from .access import Action, active_memberships, can
from .hints import HINTS


def organization(request):
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"current_org": None, "membership": None}
    return {
        "current_org": membership.organization,
        "membership": membership,
        "my_memberships": active_memberships(request.user),
        "perms_org": {action.value: can(membership, action) for action in Action},
        "hint_topics": HINTS,
    }
