"""The `LLMClient` interface: one structured call in, one validated pydantic model out.

Adapters (Anthropic, Gemini, offline) make exactly one attempt and translate every vendor
failure into a `ProviderError` that says whether retrying can help. Rate limiting, retries and
the usage log are added around them by `apps.ai.client.get_llm_client`, so callers never talk
to an adapter directly.
"""

from __future__ import annotations

import abc
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pydantic

from apps.core.errors import ProviderError as CoreProviderError


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


class ProviderError(CoreProviderError):
    """A failed AI call: `apps.core.errors.ProviderError` (the one error of every outside
    service) plus what the AI usage log needs. Codes used here: `rate_limited`, `overloaded`,
    `server_error`, `timeout`, `malformed_json`, `schema_violation`, `refused`,
    `bad_request`, ... `usage` holds the tokens a provider still counted; `attempts` and
    `usage_id` (the AIUsage row) are set by the managed client."""

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
        user_message: str = "",
    ):
        super().__init__(
            message,
            permanent=permanent,
            retry_after=retry_after,
            code=code,
            status=status,
            user_message=user_message,
            raw=raw,
        )
        self.usage = usage
        self.attempts = 1
        self.usage_id: int | None = None  # the AIUsage row, set by the managed client

    @property
    def outcome(self) -> str:
        return Outcome.REFUSED if self.code == "refused" else Outcome.ERROR


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
