"""Checking the chain (``verify``), signing its daily anchor (``anchor_chain``) and
exporting what a third party needs to check entries (``chain_proof``).

The format is specified in docs/timeline-chain.md. Verification streams the entries in
sequence order, so memory does not grow with the timeline.
"""

import base64
import datetime as dt

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import IntegrityError, transaction

from .chain import CONTENT_FIELDS, FORMAT, GENESIS, anchor_message, canonical, content_of, link_hash
from .models import Activity, ChainAnchor, ChainHead, ChainKey

CHUNK = 2_000
_FIELDS = ("id", "chain_hash", *CONTENT_FIELDS)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _key_for(organization_id: int) -> ChainKey:
    """The organisation's signing key, generated on first use."""
    key = ChainKey.objects.filter(organization_id=organization_id).first()
    if key is not None:
        return key
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    try:
        with transaction.atomic():
            return ChainKey.objects.create(
                organization_id=organization_id,
                private_key=_b64(private.private_bytes_raw()),
                public_key=_b64(public),
            )
    except IntegrityError:  # a concurrent first anchor made it
        return ChainKey.objects.get(organization_id=organization_id)


def _signature_ok(public_key: str, anchor) -> bool:
    message = anchor_message(anchor.organization_id, anchor.day, anchor.sequence, anchor.chain_hash)
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key)).verify(
            base64.b64decode(anchor.signature), message
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def anchor_chain(*, organization_id: int, day: dt.date) -> ChainAnchor | None:
    """Sign the chain head for ``day``; the anchor already stored for that day is returned
    unchanged (safe to run twice). None while the organisation has no entries."""
    existing = ChainAnchor.objects.filter(organization_id=organization_id, day=day).first()
    if existing is not None:
        return existing
    head = ChainHead.objects.filter(organization_id=organization_id).first()
    if head is None or head.last_sequence == 0:
        return None
    key = _key_for(organization_id)
    private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(key.private_key))
    message = anchor_message(organization_id, day, head.last_sequence, head.last_hash)
    try:
        with transaction.atomic():
            return ChainAnchor.objects.create(
                organization_id=organization_id,
                day=day,
                sequence=head.last_sequence,
                chain_hash=head.last_hash,
                signature=_b64(private.sign(message)),
            )
    except IntegrityError:  # the other run of the same slot won
        return ChainAnchor.objects.get(organization_id=organization_id, day=day)


def _anchor_json(anchor, public_key: str) -> dict:
    return {
        "organization": anchor.organization_id,
        "day": anchor.day.isoformat(),
        "sequence": anchor.sequence,
        "chain_hash": anchor.chain_hash,
        "signature": anchor.signature,
        "public_key": public_key,
    }


def _bad(row: dict, reason: str) -> dict:
    return {"id": row["id"], "sequence": row["sequence"], "reason": reason}


def _walk(organization_id: int, anchors: dict) -> tuple[int, dict | None, int, str]:
    """Stream the chain: (entries, first bad entry or None, last sequence, last hash)."""
    rows = (
        Activity.objects.filter(organization_id=organization_id, sequence__isnull=False)
        .order_by("sequence")
        .values(*_FIELDS)
        .iterator(chunk_size=CHUNK)
    )
    count, sequence, previous = 0, 0, GENESIS
    for row in rows:
        count += 1
        if row["sequence"] != sequence + 1:
            return count, _bad(row, f"gap: sequence {sequence + 1} is missing"), sequence, previous
        if link_hash(previous, content_of(row)) != row["chain_hash"]:
            return count, _bad(row, "content does not match its hash (edited)"), sequence, previous
        anchor = anchors.get(row["sequence"])
        if anchor is not None and anchor.chain_hash != row["chain_hash"]:
            return (
                count,
                _bad(row, f"hash differs from the anchor of {anchor.day}"),
                sequence,
                previous,
            )
        sequence, previous = row["sequence"], row["chain_hash"]
    return count, None, sequence, previous


def _unchained(organization_id: int) -> dict | None:
    row = (
        Activity.objects.filter(organization_id=organization_id, sequence__isnull=True)
        .order_by("created_at", "id")
        .values("id", "sequence")
        .first()
    )
    return None if row is None else _bad(row, "entry has no sequence (not chained)")


def _anchors_bad(organization_id: int, anchors: dict, last_sequence: int) -> dict | None:
    key = ChainKey.objects.filter(organization_id=organization_id).first()
    for anchor in sorted(anchors.values(), key=lambda a: a.sequence):
        if key is None or not _signature_ok(key.public_key, anchor):
            return {
                "id": None,
                "sequence": anchor.sequence,
                "reason": f"anchor of {anchor.day}: bad signature",
            }
        if anchor.sequence > last_sequence:
            return {
                "id": None,
                "sequence": anchor.sequence,
                "reason": f"anchor of {anchor.day}: entry {anchor.sequence} is missing (truncated)",
            }
    return None


def verify_chain(*, organization_id: int) -> dict:
    """Recompute the chain and check every anchor; ``first_bad`` names the first problem."""
    anchors = {a.sequence: a for a in ChainAnchor.objects.filter(organization_id=organization_id)}
    count, first_bad, last_sequence, _last = _walk(organization_id, anchors)
    first_bad = (
        first_bad
        or _unchained(organization_id)
        or _anchors_bad(organization_id, anchors, last_sequence)
    )
    latest = max(anchors.values(), key=lambda a: a.sequence, default=None)
    return {
        "ok": first_bad is None,
        "entries": count,
        "first_bad": first_bad,
        "anchor": {
            "count": len(anchors),
            "latest": None
            if latest is None
            else {
                "day": latest.day.isoformat(),
                "sequence": latest.sequence,
                "chain_hash": latest.chain_hash,
            },
        },
    }


def chain_proof(
    *, organization_id: int, entry_ids: list[int], anchored_by: dt.date | None = None
) -> dict:
    """For each entry: its content, canonical text, previous and own hash; plus the latest
    anchor (``anchored_by``: the latest of that day or before, so a proof made for a past
    date stays the same) and the public key that signed it (docs/timeline-chain.md)."""
    rows = list(
        Activity.objects.filter(organization_id=organization_id, pk__in=entry_ids)
        .order_by("sequence")
        .values(*_FIELDS)
    )
    missing = set(entry_ids) - {row["id"] for row in rows}
    if missing:
        raise LookupError(f"entries not in this organisation: {sorted(missing)}")
    previous = dict(
        Activity.objects.filter(
            organization_id=organization_id, sequence__in=[row["sequence"] - 1 for row in rows]
        ).values_list("sequence", "chain_hash")
    )
    entries = []
    for row in rows:
        content = content_of(row)
        entries.append(
            {
                "id": row["id"],
                "content": content,
                "canonical": canonical(content),
                "previous_hash": GENESIS
                if row["sequence"] == 1
                else previous.get(row["sequence"] - 1),
                "chain_hash": row["chain_hash"],
            }
        )
    anchors = ChainAnchor.objects.filter(organization_id=organization_id)
    if anchored_by is not None:
        anchors = anchors.filter(day__lte=anchored_by)
    anchor = anchors.order_by("-sequence").first()
    key = ChainKey.objects.filter(organization_id=organization_id).first()
    return {
        "format": FORMAT,
        "entries": entries,
        "anchor": None if anchor is None or key is None else _anchor_json(anchor, key.public_key),
    }
