"""The one entry point of the AI layer: `get_llm_client(provider)`.

    from apps.ai.client import get_llm_client
    from apps.ai.providers.base import ProviderError, StructuredRequest

    client = get_llm_client("anthropic")        # offline stand-in when no key is configured
    try:
        result = client.structured(StructuredRequest(..., tenant_id=tenant.id))
    except ProviderError as exc:                # exc.code, exc.message, exc.permanent
        ...

Every call goes through the shared rate limiter (each retry too), the retry policy, and ends
in exactly one `AIUsage` row — success or failure — whose id is on the result or the error
(`usage_id`). Call it outside database transactions: the usage row must survive the caller's
rollback, and a request should never hold a transaction open while a provider thinks.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

from django.conf import settings

from apps.ai.models import Outcome
from apps.ai.pricing import UnpricedModel, compute_cost
from apps.ai.providers.base import LLMClient, ProviderError, StructuredRequest, StructuredResult
from apps.ai.providers.offline import OfflineClient
from apps.ai.ratelimit import RateLimiter, get_rate_limiter
from apps.ai.retry import RetryPolicy, call_with_retry
from apps.ai.services import ai_usage_record
from apps.tenants.scoping import TenantScopeMissing, current_tenant

PROVIDERS = ("anthropic", "gemini")
_CHARS_PER_TOKEN = 3  # a conservative estimate for Russian and English; settled afterwards


@dataclass
class _Progress:
    attempts: int = 0
    latency_ms: int = 0


class ManagedLLMClient(LLMClient):
    """An adapter wrapped with the limiter, retries, timing and the usage log."""

    def __init__(
        self,
        adapter: LLMClient,
        *,
        limiter: RateLimiter | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep=time.sleep,
    ):
        self.adapter = adapter
        self.provider = adapter.provider
        self.offline = adapter.offline
        self.limiter = limiter
        self.retry_policy = retry_policy or RetryPolicy.from_settings()
        self.sleep = sleep

    @property
    def model(self) -> str:
        return self.adapter.model

    def structured(self, request: StructuredRequest) -> StructuredResult:
        """Answer `request` or raise ProviderError; either way one AIUsage row is written."""
        _check_scope(request)
        started, progress = time.monotonic(), _Progress()
        try:
            if self.offline:
                result = self._attempt(request, progress, limited=False)
            else:
                result = call_with_retry(
                    lambda: self._attempt(request, progress, limited=True),
                    self.retry_policy,
                    sleep=self.sleep,
                )
        except ProviderError as exc:
            exc.usage_id = self._log(request, progress, started, error=exc).pk
            raise
        except Exception as exc:
            failure = ProviderError(
                f"Unexpected {exc.__class__.__name__} in the AI layer.",
                permanent=True,
                code="internal_error",
            )
            self._log(request, progress, started, error=failure)
            raise
        result.attempts = progress.attempts
        result.usage_id = self._log(request, progress, started, result=result).pk
        return result

    def _attempt(self, request: StructuredRequest, progress: _Progress, *, limited: bool):
        progress.attempts += 1
        permit = None
        if limited and self.limiter is not None:
            permit = self.limiter.acquire(self.provider, _estimate(request, self.adapter))
        attempt_started = time.monotonic()
        try:
            result = self.adapter.structured(request)
        except ProviderError as exc:
            progress.latency_ms = _ms_since(attempt_started)
            if permit is not None:
                if exc.code != "timeout":  # a timed-out call may still have been processed
                    permit.settle(exc.usage.total_tokens if exc.usage else 0)
                if exc.code == "rate_limited" and exc.retry_after:
                    self.limiter.pause(self.provider, exc.retry_after)
            raise
        progress.latency_ms = result.latency_ms or _ms_since(attempt_started)
        if permit is not None:
            permit.settle(result.total_tokens)
        return result

    def _log(self, request, progress, started, *, result=None, error=None):
        usage = error.usage if error is not None else None
        fields = {
            "purpose": request.purpose,
            "provider": self.provider,
            "offline": self.offline,
            "model": request.model or self.model,
            "latency_ms": progress.latency_ms,
            "total_ms": _ms_since(started),
            "attempts": max(progress.attempts, 1),
        }
        if result is not None:
            fields.update(
                model_version=result.model_version,
                input_tokens=result.input_tokens,
                output_tokens=result.output_tokens,
                cost=result.cost,
                outcome=Outcome.OK,
                request_id=result.request_id,
            )
        else:
            fields.update(
                model_version=usage.model_version if usage else "",
                input_tokens=usage.input_tokens if usage else 0,
                output_tokens=usage.output_tokens if usage else 0,
                cost=_cost_of_failure(usage, request.model or self.model),
                outcome=error.outcome,
                error_code=error.code,
                error_message=error.message,
                request_id=usage.request_id if usage else "",
            )
        return ai_usage_record(tenant_id=request.tenant_id, **fields)


def _check_scope(request: StructuredRequest) -> None:
    """Inside a tenant's scope, a call may only be logged for that tenant (fail closed
    before any money is spent)."""
    scope = current_tenant()
    if (
        scope is not None
        and request.tenant_id is not None
        and str(scope.pk) != str(request.tenant_id)
    ):
        raise TenantScopeMissing("An AI call for another tenant inside a tenant's scope")


def _estimate(request: StructuredRequest, adapter: LLMClient) -> int:
    """Input tokens from the text length plus the whole output budget (settled afterwards)."""
    chars = len(request.system) + len(request.prompt) + 400  # the schema travels too
    max_tokens = request.max_tokens or getattr(adapter, "max_tokens", 1024)
    return chars // _CHARS_PER_TOKEN + max_tokens


def _cost_of_failure(usage, model: str):
    """A rejected answer still cost its tokens."""
    if usage is None or not usage.total_tokens:
        return 0
    try:
        return compute_cost(
            usage.input_tokens, usage.output_tokens, model_version=usage.model_version, model=model
        )
    except UnpricedModel:
        return 0


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


@functools.lru_cache(maxsize=16)
def _adapter(provider: str, api_key: str, base_url: str, model: str, max_tokens: int,
             temperature: float | None, timeout: float) -> LLMClient:  # fmt: skip
    """One SDK client (and its connection pool) per configuration and process."""
    if provider == "anthropic":
        # Lazy on purpose: each vendor SDK takes seconds to import; only a configured one loads.
        from apps.ai.providers.anthropic_client import AnthropicClient

        cls = AnthropicClient
    else:
        # Lazy on purpose, as above: google-genai loads only where Gemini is configured.
        from apps.ai.providers.gemini_client import GeminiClient

        cls = GeminiClient
    return cls(
        api_key=api_key,
        base_url=base_url,
        model=model,
        max_tokens=max_tokens,
        temperature=temperature,
        timeout=timeout,
    )


def provider_adapter(provider: str = "anthropic") -> LLMClient:
    """The bare adapter configured in settings: the vendor's SDK, or the offline stand-in."""
    if provider not in PROVIDERS:
        raise ValueError(f"Unknown AI provider {provider!r}; expected one of {PROVIDERS}")
    prefix = provider.upper()
    api_key = getattr(settings, f"{prefix}_API_KEY", "")
    if not api_key:
        return OfflineClient(stands_in_for=provider)
    return _adapter(
        provider,
        api_key,
        getattr(settings, f"{prefix}_BASE_URL", ""),
        getattr(settings, f"{prefix}_MODEL"),
        getattr(settings, f"{prefix}_MAX_TOKENS"),
        getattr(settings, f"{prefix}_TEMPERATURE", None),
        settings.AI_TIMEOUT_SECONDS,
    )


def get_llm_client(
    provider: str = "anthropic",
    *,
    limiter: RateLimiter | None = None,
    retry_policy: RetryPolicy | None = None,
) -> ManagedLLMClient:
    """The client for `provider` ("anthropic" or "gemini"): the real SDK when its API key is
    set, else the labelled offline provider; with the shared limiter, retries and usage log."""
    adapter = provider_adapter(provider)
    return ManagedLLMClient(
        adapter,
        limiter=None if adapter.offline else (limiter or get_rate_limiter()),
        retry_policy=retry_policy,
    )
