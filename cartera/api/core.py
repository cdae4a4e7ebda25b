"""The one ``NinjaAPI``: authentication, error answers (RFC 9457) and the routers.

Mounted at ``/api/``: resources under ``/api/v1/``, the OpenAPI 3.1 document at
``/api/openapi.json`` and the browsable docs at ``/api/docs`` (Swagger UI from ninja's own
static files: no CDN, and no inline script, so the strict CSP holds).
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from .auth import TokenAuth
from .problems import (
    RateLimited,
    WriteForbidden,
    django_field_errors,
    problem,
    pydantic_field_errors,
)

api = NinjaAPI(
    title="Cartera API",
    version="1",
    description="REST API de Cartera (cobranza). Autenticación: `Authorization: Bearer <token>`.",
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return problem(
        401,
        _("No autenticado"),
        _("Envíe un token válido en Authorization: Bearer."),
        headers={"WWW-Authenticate": "Bearer"},
    )


@api.exception_handler(WriteForbidden)
def _read_only(request, exc):
    return problem(403, _("Prohibido"), _("Este token es de solo lectura."))


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return problem(403, _("Prohibido"), str(exc))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem(404, _("No encontrado"))


@api.exception_handler(RateLimited)
def _rate_limited(request, exc):
    return problem(
        429,
        _("Demasiadas solicitudes"),
        _("Espere %(s)s segundos.") % {"s": exc.retry_after},
        headers={"Retry-After": str(exc.retry_after)},
    )


@api.exception_handler(NinjaValidationError)
def _invalid_request(request, exc):
    return problem(422, _("Datos inválidos"), errors=pydantic_field_errors(exc.errors))


@api.exception_handler(DjangoValidationError)
def _refused(request, exc):
    return problem(422, _("Datos inválidos"), errors=django_field_errors(exc))


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return problem(exc.status_code, str(exc))
