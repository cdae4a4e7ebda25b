"""Cursor pagination: pages in id order, the cursor an opaque token for the last id seen.
Keyset (``id > last``) rather than offsets, so page 1,000 costs what page 1 costs and rows
added meanwhile are neither skipped nor repeated."""

import base64
import binascii

from django.core.exceptions import ValidationError

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "id":
            raise ValueError(raw)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationError({"cursor": "invalid cursor"}) from exc


def paginate(queryset, *, cursor: str | None, limit: int) -> dict:
    """``{"items": [...], "next_cursor": str | None}`` for one page of ``queryset``."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError({"limit": f"limit must be between 1 and {MAX_LIMIT}"})
    queryset = queryset.order_by("pk")
    if cursor:
        queryset = queryset.filter(pk__gt=decode_cursor(cursor))
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor(rows[-1].pk) if more and rows else None}
