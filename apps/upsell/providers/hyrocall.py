"""HYROCALL over HTTP (httpx).

    POST {base}/v1/calls   Authorization: Bearer <key>, Idempotency-Key: <our key>
         {"phone": "+7…", "script": "…", "callback_url": "…", "metadata": {...}}
    → 201 {"id": "call_…", "status": "queued"}

Outcome webhook to the callback URL, signed `X-Hyrocall-Signature: sha256=<hex HMAC-SHA256
of the raw body with the webhook secret>`:

    {"event_id": "evt_…", "type": "call.completed", "call_id": "call_…",
     "status": "answered|no_answer|busy|failed", "duration_seconds": 63,
     "summary": "…", "transcript": "…"}
"""

from __future__ import annotations

import hashlib
import hmac

import httpx

from apps.core.errors import ProviderError
from apps.core.http import make_client, retry_after_seconds
from apps.upsell.providers.base import OUTCOMES, CallOutcome, CallPlaced, CallPlatform, CallRequest

SIGNATURE_HEADER = "X-Hyrocall-Signature"
TIMEOUT = 15.0


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class HyrocallPlatform(CallPlatform):
    provider = "hyrocall"

    def __init__(self, *, api_key: str, base_url: str, webhook_secret: str, transport=None):
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.webhook_secret = webhook_secret
        self.transport = transport

    def create_call(self, request: CallRequest) -> CallPlaced:
        payload = {
            "phone": request.phone,
            "script": request.script,
            "callback_url": request.callback_url,
            "metadata": request.metadata,
        }
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Idempotency-Key": request.idempotency_key,
        }
        try:
            with make_client(
                base_url=self.base_url, timeout=TIMEOUT, transport=self.transport
            ) as client:
                response = client.post("/v1/calls", json=payload, headers=headers)
        except httpx.TimeoutException:
            raise ProviderError("HYROCALL did not answer in time.", code="timeout") from None
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"HYROCALL unreachable ({exc.__class__.__name__}).", code="unreachable"
            ) from None
        return self._placed(response)

    def _placed(self, response: httpx.Response) -> CallPlaced:
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code in (200, 201) and data.get("id"):
            return CallPlaced(call_id=str(data["id"]), status=str(data.get("status", "")), raw=data)
        error = (data.get("error") or {}) if isinstance(data, dict) else {}
        message = str(error.get("message") or f"HTTP {response.status_code}")[:200]
        transient = response.status_code == 429 or response.status_code >= 500
        raise ProviderError(
            f"HYROCALL refused the call: {message}",
            permanent=not transient,
            retry_after=retry_after_seconds(response.headers),
            code=str(error.get("code") or ("rate_limited" if response.status_code == 429 else
                                           "server_error" if transient else "refused")),
            status=response.status_code,
        )  # fmt: skip

    def verify_webhook(self, body: bytes, headers) -> bool:
        given = headers.get(SIGNATURE_HEADER, "")
        if not self.webhook_secret or not given:
            return False
        return hmac.compare_digest(sign(self.webhook_secret, body), given.strip())

    def parse_outcome(self, payload: dict) -> CallOutcome:
        status = str(payload.get("status", ""))
        if status not in OUTCOMES or not payload.get("event_id") or not payload.get("call_id"):
            raise ValueError("not a HYROCALL call outcome")
        return CallOutcome(
            event_id=str(payload["event_id"])[:128],
            call_id=str(payload["call_id"])[:128],
            outcome=status,
            summary=str(payload.get("summary") or "")[:5000],
            transcript=str(payload.get("transcript") or "")[:50000],
            duration_seconds=int(payload.get("duration_seconds") or 0),
        )
