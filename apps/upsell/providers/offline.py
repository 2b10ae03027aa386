"""The labelled offline call platform (no HYROCALL key): it places no call and says so; the
case keeps its call script for a person to call by hand."""

from __future__ import annotations

from apps.core.errors import ProviderError
from apps.upsell.providers.base import CallOutcome, CallPlaced, CallPlatform, CallRequest


class OfflineCallPlatform(CallPlatform):
    provider = "offline"
    offline = True

    def create_call(self, request: CallRequest) -> CallPlaced:
        raise ProviderError(
            "Offline: no HYROCALL key is configured, no call was placed.",
            permanent=True,
            code="offline",
        )

    def verify_webhook(self, body: bytes, headers) -> bool:
        return False

    def parse_outcome(self, payload: dict) -> CallOutcome:
        raise ValueError("offline: no call outcomes")
