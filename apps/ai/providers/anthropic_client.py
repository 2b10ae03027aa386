"""Claude through the official `anthropic` SDK, with JSON output enforced by a schema.

The request carries `output_config.format = {"type": "json_schema", "schema": ...}` built from
the pydantic model (the SDK's structured-output feature, what `messages.parse(output_format=…)`
sends). We call `messages.create` and validate the text ourselves rather than using `parse`,
because `parse` raises on an invalid answer before we can read its `usage` — and a rejected
answer still cost tokens that the usage log must show. A `tool_use` block (forced tool use)
is accepted too. The SDK's own retries are off: `apps.ai.retry` retries, and each retry passes
through the shared rate limiter again.

Sampling: the SDK (2.x) sends API version 2026-10-21, which rejects `temperature`, `top_p` and
`top_k` with a 400 even at their defaults, and has no such arguments any more. A temperature is
therefore only sent when ANTHROPIC_TEMPERATURE is configured (for an endpoint or API version
that accepts it); a request's own `temperature` is a hint for providers that support it.
"""

from __future__ import annotations

import time
from typing import Any

import anthropic
import pydantic

from apps.ai.pricing import UnpricedModel, compute_cost, price_for
from apps.ai.providers.base import (
    LLMClient,
    ProviderError,
    StructuredRequest,
    StructuredResult,
    TokenUsage,
    parse_structured_text,
    validation_reason,
)
from apps.core.http import retry_after_seconds

_STATUS_CODES = {
    400: "bad_request",
    401: "authentication_failed",
    402: "payment_required",
    403: "permission_denied",
    404: "not_found",
    408: "timeout",
    413: "request_too_large",
    422: "unprocessable",
    429: "rate_limited",
    529: "overloaded",
}
_TRANSIENT_4XX = {408, 429}
_TRUNCATED = {"max_tokens", "model_context_window_exceeded"}


class AnthropicClient(LLMClient):
    """One Messages API call per `structured()`; every failure becomes a `ProviderError`."""

    provider = "anthropic"

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        max_tokens: int,
        temperature: float | None = None,
        base_url: str = "",
        timeout: float = 60.0,
        http_client: Any = None,
    ):
        self._model = model
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.timeout = timeout
        self._sdk = anthropic.Anthropic(
            api_key=api_key,
            base_url=base_url or None,
            timeout=timeout,
            max_retries=0,
            http_client=http_client,
        )

    @property
    def model(self) -> str:
        return self._model

    def structured(self, request: StructuredRequest) -> StructuredResult:
        model = request.model or self.model
        _ensure_priced(model)
        max_tokens = request.max_tokens or self.max_tokens
        started = time.perf_counter()
        message = self._send(request, model, max_tokens)
        latency_ms = int((time.perf_counter() - started) * 1000)
        usage = TokenUsage(
            model_version=message.model or model,
            input_tokens=message.usage.input_tokens,
            output_tokens=message.usage.output_tokens,
            request_id=getattr(message, "_request_id", None) or "",
        )
        data = _answer(message, request.schema, usage, max_tokens)
        return StructuredResult(
            data=data,
            model_version=usage.model_version,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost=compute_cost(
                usage.input_tokens,
                usage.output_tokens,
                model_version=usage.model_version,
                model=model,
            ),
            latency_ms=latency_ms,
            raw=message.to_dict(),
            provider=self.provider,
            model=model,
            request_id=usage.request_id,
        )

    def _send(self, request: StructuredRequest, model: str, max_tokens: int):
        extra = {"temperature": self.temperature} if self.temperature is not None else None
        try:
            return self._sdk.messages.create(
                model=model,
                max_tokens=max_tokens,
                system=request.system,
                messages=[{"role": "user", "content": request.prompt}],
                output_config={"format": output_format(request.schema)},
                extra_body=extra,
            )
        except anthropic.APIStatusError as exc:
            raise status_error(exc) from exc
        except anthropic.APITimeoutError as exc:
            raise ProviderError(
                f"No answer from Anthropic within {self.timeout:g} s.",
                permanent=False,
                code="timeout",
            ) from exc
        except anthropic.APIConnectionError as exc:
            raise ProviderError(
                "Could not connect to Anthropic.", permanent=False, code="connection_error"
            ) from exc
        except (anthropic.APIResponseValidationError, ValueError) as exc:
            # A 200 whose body is not a Messages API response: nothing usable, and the
            # cause (a proxy, a cut connection) may well pass.
            raise ProviderError(
                "Anthropic's response body was not valid JSON.",
                permanent=False,
                code="malformed_response",
            ) from exc


def output_format(schema: type[pydantic.BaseModel]) -> dict[str, Any]:
    """`output_config.format` for a pydantic model, as the SDK's `parse()` builds it."""
    return {"type": "json_schema", "schema": anthropic.transform_schema(schema)}


def _ensure_priced(model: str) -> None:
    try:
        price_for(model)
    except UnpricedModel as exc:
        # Refuse before spending: a call whose cost cannot be computed is not made.
        raise ProviderError(str(exc), permanent=True, code="unpriced_model") from exc


def _answer(message, schema: type[pydantic.BaseModel], usage: TokenUsage, max_tokens: int):
    """The validated model from a Messages API response, or a permanent ProviderError."""
    if message.stop_reason == "refusal":
        raise ProviderError(
            "The model declined to answer.", permanent=True, code="refused", usage=usage
        )
    if message.stop_reason in _TRUNCATED:
        raise ProviderError(
            f"The answer was cut off ({message.stop_reason}, max_tokens={max_tokens}); "
            f"a partial answer is discarded.",
            permanent=True,
            code="truncated",
            usage=usage,
        )
    for block in message.content:
        if block.type == "tool_use":
            try:
                return schema.model_validate(block.input)
            except pydantic.ValidationError as exc:
                raise ProviderError(
                    f"The answer does not match the schema: {validation_reason(exc)}",
                    permanent=True,
                    code="schema_violation",
                    usage=usage,
                ) from exc
    text = "".join(block.text for block in message.content if block.type == "text")
    if not text.strip():
        raise ProviderError(
            "The model returned no answer.", permanent=True, code="empty_answer", usage=usage
        )
    return parse_structured_text(text, schema, usage)


def status_error(exc: anthropic.APIStatusError) -> ProviderError:
    """429, 529/overloaded, 5xx and 408 are transient; every other 4xx is permanent."""
    status = exc.status_code
    transient = status in _TRANSIENT_4XX or status >= 500
    code = _STATUS_CODES.get(status, "server_error" if status >= 500 else "client_error")
    detail = (exc.api_message or "")[:200]
    kind = exc.type or "error"
    return ProviderError(
        f"Anthropic answered {status} {kind}" + (f": {detail}" if detail else ""),
        permanent=not transient,
        retry_after=retry_after_seconds(exc.response.headers),
        code=code,
        status=status,
        usage=TokenUsage(request_id=exc.request_id or ""),
    )
