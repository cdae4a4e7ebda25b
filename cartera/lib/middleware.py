"""Refuse requests whose form or query values hold NUL characters.

PostgreSQL cannot store or even compare a NUL inside text, so such a value in a search box
or a form field used to end in a database error (a 500). No legitimate form sends one.
"""

from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(query_dict) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in query_dict.lists()
    )


class RejectNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _has_nul(request.GET) or self._form_has_nul(request):
            return HttpResponseBadRequest(
                _("La solicitud contiene caracteres no válidos (NUL)."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    @staticmethod
    def _form_has_nul(request) -> bool:
        # Only forms: JSON webhooks read (and sign) the raw body themselves. Django keeps the
        # parsed form and files, so views read them as usual afterwards.
        if request.method != "POST" or request.content_type not in FORM_CONTENT_TYPES:
            return False
        return _has_nul(request.POST)
