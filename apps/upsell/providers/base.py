"""The `CallPlatform` interface: place a call with a script, learn its outcome by webhook."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any

from apps.core.errors import ProviderError

OUTCOMES = ("answered", "no_answer", "busy", "failed")


@dataclass(frozen=True)
class CallRequest:
    phone: str
    script: str
    callback_url: str
    idempotency_key: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CallPlaced:
    call_id: str
    status: str
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallOutcome:
    event_id: str
    call_id: str
    outcome: str  # one of OUTCOMES
    summary: str = ""
    transcript: str = ""
    duration_seconds: int = 0


class CallPlatform(abc.ABC):
    provider: str = ""
    offline: bool = False

    @abc.abstractmethod
    def create_call(self, request: CallRequest) -> CallPlaced:
        """Ask the platform to call; raises ProviderError."""

    @abc.abstractmethod
    def verify_webhook(self, body: bytes, headers) -> bool:
        """Whether an outcome webhook really comes from the platform."""

    @abc.abstractmethod
    def parse_outcome(self, payload: dict) -> CallOutcome:
        """The outcome of a verified webhook; raises ValueError on an unknown shape."""


__all__ = ["CallOutcome", "CallPlaced", "CallPlatform", "CallRequest", "ProviderError"]
