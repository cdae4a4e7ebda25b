"""The timeline's hash chain: the canonical form of an entry and its hash.

Pure functions, no queries (docs/timeline-chain.md is the specification; keep them in step).
An entry's ``chain_hash`` is ``sha256(previous_hash + "\\n" + canonical_json(content))``; the
first entry of an organisation chains to ``GENESIS``.
"""

import datetime as dt
import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder

FORMAT = "cartera-timeline-chain/1"
GENESIS = "0" * 64

# The content fields of an entry, as attribute names of ``Activity``; every one is hashed.
CONTENT_FIELDS = (
    "organization_id",
    "sequence",
    "created_at",
    "kind",
    "actor_kind",
    "actor_user_id",
    "customer_id",
    "invoice_id",
    "summary",
    "data",
)


def iso_utc(moment: dt.datetime) -> str:
    """Microsecond ISO 8601 in UTC with a ``Z``: the same before saving and after reading."""
    utc = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


def stored_data(data) -> object:
    """``data`` as the JSON column gives it back (Decimals and dates become strings), so the
    hash computed before saving matches the one recomputed from the database."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def content_of(values: dict) -> dict:
    """The hashed content of an entry from its field values (attribute names as keys)."""
    return {
        "organization": values["organization_id"],
        "sequence": values["sequence"],
        "created_at": iso_utc(values["created_at"]),
        "kind": values["kind"],
        "actor_kind": values["actor_kind"],
        "actor_user": values["actor_user_id"],
        "customer": values["customer_id"],
        "invoice": values["invoice_id"],
        "summary": values["summary"],
        "data": stored_data(values["data"]),
    }


def canonical(content: dict) -> str:
    """Sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(previous_hash: str, content: dict) -> str:
    payload = previous_hash + "\n" + canonical(content)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def entry_hash(activity, previous_hash: str) -> str:
    values = {name: getattr(activity, name) for name in CONTENT_FIELDS}
    return link_hash(previous_hash, content_of(values))


def anchor_message(organization_id: int, day: dt.date, sequence: int, chain_hash: str) -> bytes:
    """What an anchor's Ed25519 signature covers: ``org|day|sequence|hash``."""
    return f"{organization_id}|{day.isoformat()}|{sequence}|{chain_hash}".encode("ascii")
