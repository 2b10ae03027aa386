"""Gemini through `google-genai`, with JSON output enforced by `response_schema`.

The SDK's `.parsed` is silently `None` when the answer does not validate, so the answer's
text is validated here with pydantic: an invalid answer is a failure with its reason. The
SDK's own retries are off (no `retry_options`); `apps.ai.retry` retries through the shared
rate limiter. The base URL comes from settings (`http_options.base_url`).
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx2
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from apps.ai.pricing import UnpricedModel, compute_cost, price_for
from apps.ai.providers.base import (
    LLMClient,
    ProviderError,
    StructuredRequest,
    StructuredResult,
    TokenUsage,
    parse_structured_text,
)
from apps.core.http import retry_after_seconds

_STATUS_CODES = {
    400: "bad_request",
    401: "authentication_failed",
    403: "permission_denied",
    404: "not_found",
    408: "timeout",
    429: "rate_limited",
    503: "overloaded",
}
_REFUSED = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}
_TRUNCATED = {"MAX_TOKENS"}
_RETRY_DELAY = re.compile(r"^(\d+(?:\.\d+)?)s$")


class GeminiClient(LLMClient):
    """One `generateContent` call per `structured()`; every failure becomes a ProviderError."""

    provider = "gemini"

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        max_tokens: int,
        temperature: float | None = None,
        base_url: str = "",
        timeout: float = 60.0,
    ):
        self._model = model
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.timeout = timeout
        options = types.HttpOptions(base_url=base_url or None, timeout=int(timeout * 1000))
        self._sdk = genai.Client(api_key=api_key, http_options=options)

    @property
    def model(self) -> str:
        return self._model

    def structured(self, request: StructuredRequest) -> StructuredResult:
        model = request.model or self.model
        try:
            price_for(model)
        except UnpricedModel as exc:
            raise ProviderError(str(exc), permanent=True, code="unpriced_model") from exc
        max_tokens = request.max_tokens or self.max_tokens
        started = time.perf_counter()
        response = self._send(request, model, max_tokens)
        latency_ms = int((time.perf_counter() - started) * 1000)
        usage = _usage(response, model)
        data = _answer(response, request.schema, usage, max_tokens)
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
            raw=response.model_dump(mode="json", exclude={"sdk_http_response", "parsed"}),
            provider=self.provider,
            model=model,
            request_id=usage.request_id,
        )

    def _send(self, request: StructuredRequest, model: str, max_tokens: int):
        temperature = self.temperature if request.temperature is None else request.temperature
        config = types.GenerateContentConfig(
            system_instruction=request.system,
            response_mime_type="application/json",
            response_schema=request.schema,
            max_output_tokens=max_tokens,
            temperature=temperature,
        )
        try:
            return self._sdk.models.generate_content(
                model=model, contents=request.prompt, config=config
            )
        except genai_errors.UnknownApiResponseError as exc:
            raise ProviderError(
                "Gemini's response body was not valid JSON.",
                permanent=False,
                code="malformed_response",
            ) from exc
        except genai_errors.APIError as exc:
            raise status_error(exc) from exc
        except httpx2.TimeoutException as exc:
            raise ProviderError(
                f"No answer from Gemini within {self.timeout:g} s.", permanent=False, code="timeout"
            ) from exc
        except httpx2.TransportError as exc:
            raise ProviderError(
                "Could not connect to Gemini.", permanent=False, code="connection_error"
            ) from exc


def _usage(response, model: str) -> TokenUsage:
    meta = response.usage_metadata
    output = (meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0) if meta else 0
    return TokenUsage(
        model_version=response.model_version or model,
        input_tokens=(meta.prompt_token_count or 0) if meta else 0,
        output_tokens=output,  # thinking tokens are billed as output
        request_id=response.response_id or "",
    )


def _answer(response, schema, usage: TokenUsage, max_tokens: int):
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason:
        raise ProviderError("The prompt was blocked.", permanent=True, code="refused", usage=usage)
    candidate = (response.candidates or [None])[0]
    reason = getattr(getattr(candidate, "finish_reason", None), "value", None) or ""
    if reason in _REFUSED:
        raise ProviderError(
            f"The model declined to answer ({reason}).", permanent=True, code="refused", usage=usage
        )
    if reason in _TRUNCATED:
        raise ProviderError(
            f"The answer was cut off (max_tokens={max_tokens}); a partial answer is discarded.",
            permanent=True,
            code="truncated",
            usage=usage,
        )
    parts = candidate.content.parts if candidate and candidate.content else None
    text = "".join(part.text or "" for part in parts or [] if not part.thought)
    if not text.strip():
        raise ProviderError(
            "The model returned no answer.", permanent=True, code="empty_answer", usage=usage
        )
    return parse_structured_text(text, schema, usage)


def status_error(exc: genai_errors.APIError) -> ProviderError:
    """429, 503 and other 5xx and 408 are transient; every other 4xx is permanent."""
    status = int(exc.code or 0)
    transient = status in (408, 429) or status >= 500
    code = _STATUS_CODES.get(status, "server_error" if status >= 500 else "client_error")
    response = getattr(exc, "response", None)
    hint = retry_after_seconds(response.headers) if response is not None else None
    detail = (exc.message or "")[:200]
    return ProviderError(
        f"Gemini answered {status} {exc.status or 'error'}" + (f": {detail}" if detail else ""),
        permanent=not transient,
        retry_after=hint if hint is not None else _retry_info(exc.details),
        code=code,
        status=status,
    )


def _retry_info(details: Any) -> float | None:
    """`google.rpc.RetryInfo.retryDelay` ("12s") from an error body, if present."""
    error = details.get("error", details) if isinstance(details, dict) else {}
    for item in error.get("details", []) if isinstance(error, dict) else []:
        match = (
            _RETRY_DELAY.match(str(item.get("retryDelay", ""))) if isinstance(item, dict) else None
        )
        if match:
            return float(match.group(1))
    return None
