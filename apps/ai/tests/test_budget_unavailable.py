"""The AI budget fails closed (issue #12, item 5): when it cannot be checked (Redis down) no
provider call is made and the caller is told to come back later; bookkeeping after a paid
call never throws its answer away."""

import pydantic
import pytest
from django.core.cache import cache

from apps.ai.client import ManagedLLMClient, provider_adapter
from apps.ai.models import AIUsage
from apps.ai.providers.base import ProviderError, StructuredRequest
from apps.ai.ratelimit import RateLimiter, get_rate_limiter
from apps.ai.reasons import reason_label
from apps.ai.retry import RetryPolicy
from apps.core.redis_outage import REDIS

pytestmark = pytest.mark.django_db


class Verdict(pydantic.BaseModel):
    answer: str
    score: int


class _Down:
    """A shared backend that cannot be reached."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("Redis down")

        return fail


def _request(tenant):
    return StructuredRequest(
        system="Answer as JSON.", prompt="Is it?", schema=Verdict, purpose="test",
        tenant_id=tenant.id,
    )  # fmt: skip


def _client(limiter, sleeps):
    return ManagedLLMClient(
        provider_adapter("anthropic"),
        limiter=limiter,
        retry_policy=RetryPolicy(max_attempts=4, max_seconds=60.0),
        sleep=sleeps,
    )


def test_no_provider_call_when_the_budget_cannot_be_checked(
    anthropic_settings, fake_anthropic, sleeps, tenant, english_ui
):
    # given the shared budget's backend is unreachable
    limiter = RateLimiter(requests_per_window=50, tokens_per_window=100_000, backend=_Down())
    fake_anthropic.ok({"answer": "yes", "score": 1})
    # when a call is made
    with pytest.raises(ProviderError) as caught:
        _client(limiter, sleeps).structured(_request(tenant))
    # then the provider never heard of it, nothing was retried here, and the caller is told
    # to come back later (transient), with a reason a person can read
    error = caught.value
    assert fake_anthropic.requests == [] and sleeps.waits == []
    assert (error.code, error.permanent) == ("budget_unavailable", False)
    assert error.retry_after and "later" in str(reason_label(error.code))
    usage = AIUsage.objects.for_tenant(tenant).get()
    assert (usage.outcome, usage.error_code, usage.cost, usage.input_tokens) == (
        "error",
        "budget_unavailable",
        0,
        0,
    )
    assert REDIS.down


def test_with_redis_down_the_configured_budget_refuses_too(
    anthropic_settings, fake_anthropic, sleeps, tenant, redis_down
):
    # given Redis down, and this process already knows it (the breaker is open)
    anthropic_settings.AI_REQUESTS_PER_MINUTE = 50
    cache.get("anything")
    assert REDIS.is_open()
    # when the configured client is built and called
    with pytest.raises(ProviderError) as caught:
        _client(get_rate_limiter(), sleeps).structured(_request(tenant))
    assert caught.value.code == "budget_unavailable" and fake_anthropic.requests == []


class _SettleFails:
    """Grants work, the bookkeeping after the call does not (Redis died meanwhile)."""

    def __init__(self, real):
        self.real = real

    def try_acquire(self, *args, **kwargs):
        return self.real.try_acquire(*args, **kwargs)

    def settle(self, *args, **kwargs):
        raise ConnectionError("Redis down")

    pause = settle


def test_an_answer_already_paid_for_is_kept_when_settling_the_budget_fails(
    anthropic_settings, fake_anthropic, sleeps, tenant, shared_backend
):
    limiter = RateLimiter(requests_per_window=50, backend=_SettleFails(shared_backend))
    fake_anthropic.ok({"answer": "yes", "score": 1})
    result = _client(limiter, sleeps).structured(_request(tenant))
    assert result.data.answer == "yes" and len(fake_anthropic.requests) == 1
    assert AIUsage.objects.for_tenant(tenant).get().outcome == "ok"
