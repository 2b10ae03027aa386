"""The `LLMClient` interface: one structured call in, one validated pydantic model out.

Adapters (Anthropic, Gemini, offline) make exactly one attempt and translate every vendor
failure into a `ProviderError` that says whether retrying can help. Rate limiting, retries and
the usage log are added around them by `apps.ai.client.get_llm_client`, so callers never talk
to an adapter directly.
"""

from __future__ import annotations

import abc
import email.utils
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pydantic


class Outcome:
    """How a call ended, as logged on `AIUsage.outcome`."""

    OK = "ok"
    ERROR = "error"
    REFUSED = "refused"


@dataclass(frozen=True)
class StructuredRequest:
    """One structured generation.

    `schema` is the pydantic model the answer must validate against; nothing else is returned.
    `context` holds the facts the prompt was built from (e.g. the lead's own fields): it is
    never sent to a provider, but lets the offline provider work from data instead of text.
    `max_tokens`, `temperature` and `model` default to the provider's settings.
    """

    system: str
    prompt: str
    schema: type[pydantic.BaseModel]
    purpose: str
    tenant_id: uuid.UUID | str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    model: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class StructuredResult:
    """A validated answer. `cost` is in USD, unrounded (rounded only when it becomes a charge)."""

    data: pydantic.BaseModel
    model_version: str
    input_tokens: int
    output_tokens: int
    cost: Decimal
    latency_ms: int
    raw: dict[str, Any]
    provider: str = ""
    model: str = ""
    request_id: str = ""
    offline: bool = False
    attempts: int = 1
    usage_id: int | None = None  # the AIUsage row, set by the managed client

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class TokenUsage:
    """What a provider reported for an answer we could not use (tokens were still spent)."""

    model_version: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    request_id: str = ""

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class ProviderError(Exception):
    """A failed call. `permanent` says retrying cannot help (bad input, refusal, invalid
    answer); `retry_after` is the provider's own hint in seconds; `code` is stable and
    short (`rate_limited`, `overloaded`, `server_error`, `timeout`, `malformed_json`,
    `schema_violation`, `refused`, `bad_request`, ...); the message is a reason safe to store
    on a row (no personal data, no secrets)."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        code: str = "provider_error",
        status: int | None = None,
        usage: TokenUsage | None = None,
        raw: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.code = code
        self.status = status
        self.usage = usage
        self.raw = raw or {}
        self.attempts = 1
        self.usage_id: int | None = None  # the AIUsage row, set by the managed client

    @property
    def outcome(self) -> str:
        return Outcome.REFUSED if self.code == "refused" else Outcome.ERROR

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class LLMClient(abc.ABC):
    """Anything that answers a `StructuredRequest` with a `StructuredResult` or raises
    `ProviderError`."""

    provider: str = ""
    offline: bool = False

    @property
    @abc.abstractmethod
    def model(self) -> str:
        """The model id used when a request names none."""

    @abc.abstractmethod
    def structured(self, request: StructuredRequest) -> StructuredResult:
        """Generate an answer validated against `request.schema`."""


def validation_reason(error: pydantic.ValidationError, limit: int = 5) -> str:
    """A schema violation as a short reason: field paths and messages, never the values
    (they may hold personal data)."""
    parts = []
    for item in error.errors(include_input=False, include_url=False)[:limit]:
        where = ".".join(str(p) for p in item.get("loc", ())) or "(root)"
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    more = error.error_count() - limit
    if more > 0:
        parts.append(f"... and {more} more")
    return "; ".join(parts)


def parse_structured_text(text: str, schema: type[pydantic.BaseModel], usage: TokenUsage):
    """Validate the model's JSON text against the schema, all or nothing."""
    try:
        payload = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ProviderError(
            f"The model answered with text that is not valid JSON ({exc.__class__.__name__}).",
            permanent=True,
            code="malformed_json",
            usage=usage,
        ) from exc
    try:
        return schema.model_validate(payload)
    except pydantic.ValidationError as exc:
        raise ProviderError(
            f"The answer does not match the schema: {validation_reason(exc)}",
            permanent=True,
            code="schema_violation",
            usage=usage,
        ) from exc


def retry_after_seconds(headers) -> float | None:
    """Seconds from `retry-after-ms`, or `retry-after` in seconds or as an HTTP date."""
    try:
        if headers.get("retry-after-ms"):
            return max(float(headers["retry-after-ms"]) / 1000, 0.0)
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return max(float(value), 0.0)
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(when.timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None
