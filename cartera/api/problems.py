"""Errors as ``application/problem+json`` (RFC 9457), with field-level details."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from ninja import Schema

PROBLEM_TYPE = "application/problem+json"


class FieldError(Schema):
    field: str
    message: str


class Problem(Schema):
    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: list[FieldError] = []


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__("rate limited")
        self.retry_after = retry_after


class WriteForbidden(Exception):
    """A read-only token tried to write."""


def problem(status: int, title: str, detail: str = "", errors=(), headers=None) -> JsonResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body["errors"] = [{"field": field, "message": message} for field, message in errors]
    response = JsonResponse(body, status=status, content_type=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def django_field_errors(exc: DjangoValidationError) -> list[tuple[str, str]]:
    """(field, message) pairs of a service's ValidationError; "" for non-field errors."""
    if hasattr(exc, "error_dict"):
        return [
            (field, str(message))
            for field, errors in exc.message_dict.items()
            for message in errors
            if field != "__all__"
        ] + [("", str(message)) for message in exc.message_dict.get("__all__", [])]
    return [("", str(message)) for message in exc.messages]


def pydantic_field_errors(errors: list[dict]) -> list[tuple[str, str]]:
    """(field, message) pairs of ninja's request validation errors; the location without
    its first part (``body``/``query``/``path``) and the schema's argument name."""
    pairs = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        field = ".".join(location[2:] if len(location) > 2 else location[1:])
        pairs.append((field, str(error.get("msg", ""))))
    return pairs
