"""The signature of a webhook, as Stripe signs its own (docs/webhooks.md has the receiver's
side): `Fastlead-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the
endpoint's secret>`. The timestamp is signed too, so a receiver can refuse old replays."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Fastlead-Signature"
SCHEME = "v1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},{SCHEME}={signature(secret, timestamp, body)}"


def signature_verify(
    secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300
) -> bool:
    """What a receiver does (and the tests do): the header's time within `tolerance` seconds
    and one of its v1 signatures equal, compared in constant time."""
    parts = [item.split("=", 1) for item in (header or "").split(",") if "=" in item]
    stamps = [v for k, v in parts if k.strip() == "t"]
    if not stamps or not stamps[0].isdigit() or abs(now - int(stamps[0])) > tolerance:
        return False
    expected = signature(secret, int(stamps[0]), body)
    return any(k.strip() == SCHEME and hmac.compare_digest(v, expected) for k, v in parts)
