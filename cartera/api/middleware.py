"""Around every ``/api/v1/`` call: the ``Idempotency-Key`` replay of POSTs and the
security log (one ``ApiRequest`` per authenticated call, whatever it answered).

Idempotency follows the IETF draft (draft-ietf-httpapi-idempotency-key-header): the same key
with the same method, path and body replays the first answer (marked ``Idempotent-Replayed:
true``); the same key with another request answers 422. Keys are per organisation. Answers of
5xx are not kept, so a retry after a crash runs again.
"""

import hashlib

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _

from .auth import token_for_request
from .models import ApiRequest, IdempotencyRecord
from .problems import problem

API_PREFIX = "/api/v1/"
HEADER = "Idempotency-Key"
MAX_KEY = 255


def _request_hash(request) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.get_full_path().encode(), request.body):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status_code, content_type=record.content_type
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _keep(token, key: str, request_hash: str, response) -> None:
    if response.status_code >= 500 or getattr(response, "streaming", False):
        return
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                organization_id=token.organization_id,
                key=key,
                request_hash=request_hash,
                status_code=response.status_code,
                content_type=response.get("Content-Type", "application/json"),
                body=response.content,
            )
    except IntegrityError:  # a concurrent request with the same key kept its answer first
        pass


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        response = self._idempotent(request)
        token = getattr(request, "api_token", None)
        if token is not None:
            ApiRequest.objects.create(
                organization_id=token.organization_id,
                token=token,
                method=request.method,
                path=request.get_full_path()[:500],
                status_code=response.status_code,
            )
        return response

    def _idempotent(self, request):
        key = request.headers.get(HEADER, "")
        token = token_for_request(request) if request.method == "POST" and key else None
        if token is None or not token.can_write:  # a read token's POST is refused anyway
            return self.get_response(request)
        if len(key) > MAX_KEY:
            return problem(
                422, _("Datos inválidos"), errors=[(HEADER, _("Clave demasiado larga."))]
            )
        request_hash = _request_hash(request)
        record = IdempotencyRecord.objects.filter(
            organization_id=token.organization_id, key=key
        ).first()
        if record is not None:
            if record.request_hash != request_hash:
                return problem(
                    422,
                    _("Clave de idempotencia reutilizada"),
                    _("Esta Idempotency-Key ya se usó con otra solicitud."),
                )
            return _replay(record)
        response = self.get_response(request)
        _keep(token, key, request_hash, response)
        return response
