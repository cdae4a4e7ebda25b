"""Each form submission runs once.

Every POST form of the back office and the portal carries a one-time key (``_submission``,
added by ``static/cartera/app.js`` when the form is first submitted and kept for that page).
The first POST with a key claims it; a repeat — a double click, a slow page submitted again,
a browser resending — does not reach the view: it is sent where the first one's answer went
(303), or told that the first one is still being processed (409). So no form can create two
payments, two notes or two messages by being sent twice, and the views need nothing for it.

The key also covers what was submitted: the same page sent back with other values (after the
browser's "back", say) is a new submission.

A key is kept only when the first answer was a redirect (the "post, redirect, get" every
successful form here ends with); any other answer — the form shown again with its errors, an
error page, a download — frees it, so the same page may be submitted again after a correction.
Requests without a key (API clients, webhooks, scripts) are not affected.
"""

import datetime as dt
import hashlib
import json
import re

from django.db import IntegrityError, transaction
from django.shortcuts import render
from django.utils import timezone

from .models import FormSubmission

FIELD = "_submission"
_VALID_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
KEPT_FOR = dt.timedelta(days=2)
UNSIGNED_FIELDS = {FIELD, "csrfmiddlewaretoken"}  # the CSRF token may be rotated between sends


def _who(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    session_key = request.session.session_key if hasattr(request, "session") else None
    return f"session:{session_key}" if session_key else ""


def _contents(request) -> list:
    """What was submitted: a page sent back and changed is a new submission."""
    fields = sorted(
        (name, values) for name, values in request.POST.lists() if name not in UNSIGNED_FIELDS
    )
    files = sorted(
        (name, [(f.name, f.size) for f in items]) for name, items in request.FILES.lists()
    )
    return [fields, files]


def submission_key(request) -> str | None:
    """The stored key of this POST, or None when the request carries no valid page key."""
    if request.method != "POST" or request.content_type not in FORM_CONTENT_TYPES:
        return None
    page_key = request.POST.get(FIELD, "")
    who = _who(request)
    if not who or not _VALID_KEY.match(page_key):
        return None
    identity = json.dumps([who, request.path, page_key, _contents(request)], default=str)
    return hashlib.sha256(identity.encode()).hexdigest()


def _claim(key: str) -> bool:
    try:
        with transaction.atomic():
            FormSubmission.objects.create(key=key)
    except IntegrityError:
        return False
    return True


def _answer_location(response) -> str:
    if 300 <= response.status_code < 400:
        return response.get("Location", "")
    return response.get("HX-Redirect", "") or response.get("HX-Location", "")


def _remember(key: str, response) -> None:
    location = _answer_location(response)
    if location:
        FormSubmission.objects.filter(key=key).update(location=location[:2000])
    else:
        FormSubmission.objects.filter(key=key).delete()


def _repeat(request, key: str):
    first = FormSubmission.objects.filter(key=key).first()
    location = first.location if first else ""
    if location and request.headers.get("HX-Request"):
        response = render(request, "orgs/submission_repeated.html", status=200)
        response["HX-Redirect"] = location
        return response
    if location:
        response = render(request, "orgs/submission_repeated.html", {"location": location})
        response.status_code, response["Location"] = 303, location
        return response
    return render(request, "orgs/submission_repeated.html", status=409)


class OnceOnlySubmissionMiddleware:
    """Placed after the authentication middleware (the key is per user, or per session)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = submission_key(request)
        if key is None:
            return self.get_response(request)
        if not _claim(key):
            return _repeat(request, key)
        response = self.get_response(request)
        _remember(key, response)
        return response


def prune_submissions(*, now: dt.datetime | None = None) -> int:
    """Forget keys older than two days (a page left open that long is submitted anew)."""
    cutoff = (now or timezone.now()) - KEPT_FOR
    deleted, _per_model = FormSubmission.objects.filter(created_at__lt=cutoff).delete()
    return deleted
