"""Signed source tokens: how a page hosted by Fast Lead tells the public widget API which
source to record, without letting anyone else claim it.

A page above leads (HyroPage's public page) renders the widget with a token made by
`source_token_make(tenant_id, source, ref)`: a signature (SECRET_KEY, a salt of its own) over
the tenant, the source and a reference (the page id). The widget API accepts the source only
when the token verifies, names the same tenant as the publishable key, is younger than
`MAX_AGE` and the submission comes from Fast Lead's own origin (hosted pages live there). Any
other submission — a forged, stale or foreign token, or a tenant's own site — stays "widget".
The API and imports never accept these sources at all (`TOKEN_ONLY_SOURCES`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

from apps.leads.models import Source

SALT = "fastlead.leads.source-token"
MAX_AGE = 2 * 24 * 3600  # a page left open over a weekend still submits with its source
TOKEN_ONLY_SOURCES = frozenset({Source.HYROPAGE.value})


@dataclass(frozen=True)
class SourceRef:
    source: str
    ref: str


def source_token_make(tenant_id, source: str, ref: str) -> str:
    """A token for the widget on a page hosted by Fast Lead (`ref`: e.g. the page id)."""
    if source not in TOKEN_ONLY_SOURCES:
        raise ValueError(f"{source!r} is not a source set by token")
    return signing.dumps({"t": str(tenant_id), "s": source, "r": str(ref)}, salt=SALT)


def source_token_read(token: str, tenant_id) -> SourceRef | None:
    """The source and reference of a valid token for `tenant_id`, else None."""
    if not token:
        return None
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or data.get("t") != str(tenant_id):
        return None
    if data.get("s") not in TOKEN_ONLY_SOURCES:
        return None
    return SourceRef(source=data["s"], ref=str(data.get("r", ""))[:64])
