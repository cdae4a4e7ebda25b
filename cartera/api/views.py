"""The owners' page for API tokens: create, list, rotate, revoke. The secret is shown once,
in the answer to the POST that made it, and never stored."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cartera.lib.forms import add_service_errors
from cartera.orgs.access import Action
from cartera.orgs.decorators import org_member_required

from .forms import TokenCreateForm
from .models import ApiToken
from .tokens import create_api_token, revoke_api_token, rotate_api_token


def _token_for(request, pk: int) -> ApiToken:
    token = ApiToken.objects.filter(organization=request.organization, pk=pk).first()
    if token is None:
        raise Http404
    return token


def _page(request, form, *, secret: str = "", secret_for=None):
    tokens = ApiToken.objects.filter(organization=request.organization).select_related("created_by")
    context = {"form": form, "tokens": tokens, "secret": secret, "secret_for": secret_for}
    return render(request, "api/tokens.html", context)


@org_member_required(action=Action.MANAGE_ORGANIZATION)
def tokens(request):
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = create_api_token(
                organization=request.organization,
                actor=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _page(request, TokenCreateForm(), secret=secret, secret_for=token)
    return _page(request, form)


@require_POST
@org_member_required(action=Action.MANAGE_ORGANIZATION)
def rotate(request, pk: int):
    token = _token_for(request, pk)
    try:
        secret = rotate_api_token(token=token, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("api_settings:tokens")
    return _page(request, TokenCreateForm(), secret=secret, secret_for=token)


@require_POST
@org_member_required(action=Action.MANAGE_ORGANIZATION)
def revoke(request, pk: int):
    token = _token_for(request, pk)
    revoke_api_token(token=token, actor=request.user)
    messages.success(request, _("Token revocado: %(name)s") % {"name": token.name})
    return redirect("api_settings:tokens")
