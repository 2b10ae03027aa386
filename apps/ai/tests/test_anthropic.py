"""The Anthropic adapter through the real SDK against a local fake of the Messages API, wrapped
with the limiter, retries and the usage log exactly as callers get it."""

from decimal import Decimal

import pydantic
import pytest

from apps.ai.client import get_llm_client
from apps.ai.models import AIUsage
from apps.ai.providers.base import ProviderError, StructuredRequest
from apps.ai.retry import RetryPolicy
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


class Verdict(pydantic.BaseModel):
    answer: str
    score: int


def _request(tenant, **kwargs):
    return StructuredRequest(
        system="Answer as JSON.", prompt="Is it?", schema=Verdict, purpose="test", **{
            "tenant_id": tenant.id, **kwargs
        }
    )  # fmt: skip


def _usage(tenant):
    return AIUsage.objects.for_tenant(tenant).get()


def test_success_returns_validated_data_and_logs_tokens_and_computed_cost(
    anthropic_settings, fake_anthropic, managed, tenant
):
    # given
    fake_anthropic.ok({"answer": "yes", "score": 7}, input_tokens=1234, output_tokens=567)
    # when
    result = managed().structured(_request(tenant))
    # then
    assert result.data == Verdict(answer="yes", score=7)
    assert (result.input_tokens, result.output_tokens) == (1234, 567)
    # 1234 * 3 / 1M + 567 * 15 / 1M = 0.003702 + 0.008505
    assert result.cost == Decimal("0.012207")
    assert result.model_version == "claude-sonnet-4-6" and result.request_id.startswith("req_")
    usage = _usage(tenant)
    assert usage.pk == result.usage_id
    assert (usage.input_tokens, usage.output_tokens, usage.cost) == (1234, 567, Decimal("0.012207"))
    assert usage.outcome == "ok" and usage.provider == "anthropic" and not usage.offline
    assert usage.model == "claude-sonnet-4-6" and usage.model_version == "claude-sonnet-4-6"
    assert usage.purpose == "test" and usage.attempts == 1 and usage.request_id == result.request_id
    assert usage.latency_ms >= 0 and usage.total_ms >= usage.latency_ms


def test_request_carries_the_json_schema_and_no_sampling_parameters(
    anthropic_settings, fake_anthropic, managed, tenant
):
    fake_anthropic.ok({"answer": "yes", "score": 1})
    managed().structured(_request(tenant))
    body = fake_anthropic.requests[-1].body
    schema = body["output_config"]["format"]
    assert schema["type"] == "json_schema"
    assert set(schema["schema"]["required"]) == {"answer", "score"}
    assert body["model"] == "claude-sonnet-4-6" and body["max_tokens"] == 512
    assert body["system"] == "Answer as JSON."
    # API version 2026-10-21 answers 400 to temperature/top_p/top_k, even at defaults.
    assert "temperature" not in body


def test_429_with_retry_after_is_retried_after_that_wait_then_succeeds(
    anthropic_settings, fake_anthropic, managed, sleeps, tenant
):
    # given a 429 that asks for 2 seconds
    fake_anthropic.rate_limited(retry_after=2).ok({"answer": "yes", "score": 1})
    # when
    result = managed().structured(_request(tenant))
    # then the retry waited what the provider asked (plus at most 10 % jitter) ...
    assert result.data.answer == "yes" and result.attempts == 2
    assert len(fake_anthropic.requests) == 2
    assert len(sleeps.waits) == 1 and 2 <= sleeps.waits[0] <= 2.2
    assert _usage(tenant).attempts == 2 and _usage(tenant).outcome == "ok"
    # ... and the shared limiter held the retry back for that pause too (its sleep is real),
    # so every other worker of this provider waits as well.
    gap = fake_anthropic.requests[1].at - fake_anthropic.requests[0].at
    assert gap >= 1.9


def test_529_overloaded_is_retried_with_backoff(
    anthropic_settings, fake_anthropic, managed, sleeps, tenant
):
    fake_anthropic.overloaded().overloaded().ok({"answer": "ok", "score": 2})
    result = managed().structured(_request(tenant))
    assert result.attempts == 3 and len(fake_anthropic.requests) == 3
    # exponential with jitter: 1st wait in [0.5, 1], 2nd in [1, 2]
    assert 0.5 <= sleeps.waits[0] <= 1.0 and 1.0 <= sleeps.waits[1] <= 2.0


def test_500_is_retried_until_the_attempts_are_spent_then_fails_with_the_reason(
    anthropic_settings, fake_anthropic, managed, sleeps, tenant
):
    for _ in range(3):
        fake_anthropic.server_error(500)
    with pytest.raises(ProviderError) as caught:
        managed(max_attempts=3).structured(_request(tenant))
    error = caught.value
    assert error.code == "server_error" and not error.permanent and error.attempts == 3
    assert "500" in error.message
    assert len(fake_anthropic.requests) == 3 and len(sleeps.waits) == 2
    usage = _usage(tenant)
    assert usage.pk == error.usage_id
    assert (usage.outcome, usage.error_code, usage.attempts) == ("error", "server_error", 3)
    assert "500" in usage.error_message and usage.cost == 0


def test_retries_stop_when_the_next_wait_would_pass_the_time_budget(
    anthropic_settings, fake_anthropic, managed, sleeps, tenant
):
    fake_anthropic.rate_limited(retry_after=90)
    with pytest.raises(ProviderError) as caught:
        managed(max_seconds=30).structured(_request(tenant))
    assert caught.value.code == "rate_limited" and caught.value.attempts == 1
    assert sleeps.waits == [] and len(fake_anthropic.requests) == 1


def test_400_is_not_retried(anthropic_settings, fake_anthropic, managed, sleeps, tenant):
    fake_anthropic.bad_request("max_tokens: must be positive")
    with pytest.raises(ProviderError) as caught:
        managed().structured(_request(tenant))
    assert caught.value.permanent and caught.value.code == "bad_request"
    assert "invalid_request_error" in caught.value.message
    assert len(fake_anthropic.requests) == 1 and sleeps.waits == []
    assert _usage(tenant).error_code == "bad_request"


def test_a_timeout_is_retried_then_fails_with_the_reason(
    anthropic_settings, fake_anthropic, managed, sleeps, tenant
):
    anthropic_settings.AI_TIMEOUT_SECONDS = 0.3
    fake_anthropic.slow(1.5).slow(1.5)
    with pytest.raises(ProviderError) as caught:
        managed(max_attempts=2).structured(_request(tenant))
    assert caught.value.code == "timeout" and not caught.value.permanent
    assert caught.value.attempts == 2 and len(sleeps.waits) == 1
    assert _usage(tenant).error_code == "timeout"


def test_malformed_json_answer_fails_with_reason_and_still_logs_the_tokens(
    anthropic_settings, fake_anthropic, managed, sleeps, tenant
):
    fake_anthropic.ok('{"answer": "yes", "score": ', input_tokens=100, output_tokens=1000)
    with pytest.raises(ProviderError) as caught:
        managed().structured(_request(tenant))
    assert caught.value.code == "malformed_json" and caught.value.permanent
    assert "not valid JSON" in caught.value.message
    assert sleeps.waits == []  # an invalid answer is not retried
    usage = _usage(tenant)
    assert (usage.outcome, usage.input_tokens, usage.output_tokens) == ("error", 100, 1000)
    assert usage.cost == Decimal("0.015300")  # the rejected answer was still paid for


def test_malformed_http_body_is_a_transient_failure(
    anthropic_settings, fake_anthropic, managed, tenant
):
    fake_anthropic.malformed_body().ok({"answer": "yes", "score": 3})
    assert managed().structured(_request(tenant)).attempts == 2


def test_schema_violation_fails_with_the_field_and_returns_no_partial_data(
    anthropic_settings, fake_anthropic, managed, tenant
):
    fake_anthropic.ok({"answer": "yes", "score": "very high"})
    with pytest.raises(ProviderError) as caught:
        managed().structured(_request(tenant))
    error = caught.value
    assert error.code == "schema_violation" and error.permanent
    assert "score" in error.message and "very high" not in error.message  # no values logged
    assert not hasattr(error, "data")
    assert _usage(tenant).error_code == "schema_violation"


def test_refusal_is_logged_as_refused_and_not_retried(
    anthropic_settings, fake_anthropic, managed, sleeps, tenant
):
    fake_anthropic.ok("", stop_reason="refusal")
    with pytest.raises(ProviderError) as caught:
        managed().structured(_request(tenant))
    assert caught.value.code == "refused" and sleeps.waits == []
    assert _usage(tenant).outcome == "refused"


def test_an_answer_cut_off_at_max_tokens_is_discarded(
    anthropic_settings, fake_anthropic, managed, tenant
):
    fake_anthropic.ok({"answer": "yes", "score": 1}, stop_reason="max_tokens")
    with pytest.raises(ProviderError) as caught:
        managed().structured(_request(tenant))
    assert caught.value.code == "truncated"


def test_forced_tool_use_answer_is_validated_too(
    anthropic_settings, fake_anthropic, managed, tenant
):
    fake_anthropic.ok({"answer": "tool", "score": 5}, as_tool=True)
    assert managed().structured(_request(tenant)).data == Verdict(answer="tool", score=5)


def test_a_model_without_a_price_is_refused_before_any_call(
    anthropic_settings, fake_anthropic, managed, tenant
):
    with pytest.raises(ProviderError) as caught:
        managed().structured(_request(tenant, model="claude-unknown-9"))
    assert caught.value.code == "unpriced_model" and fake_anthropic.requests == []


def test_get_llm_client_wires_settings_limiter_and_log(anthropic_settings, fake_anthropic, tenant):
    fake_anthropic.ok({"answer": "yes", "score": 1})
    client = get_llm_client("anthropic", retry_policy=RetryPolicy(max_attempts=1))
    assert client.provider == "anthropic" and not client.offline
    with tenant_scope(tenant):
        result = client.structured(_request(tenant))
        assert AIUsage.objects.get().pk == result.usage_id
    assert fake_anthropic.requests[-1].headers["authorization"] == "Bearer sk-ant-test-key"


def test_a_configured_temperature_is_sent_and_api_2026_10_21_refuses_it(
    anthropic_settings, fake_anthropic, managed, sleeps, tenant
):
    # Why ANTHROPIC_TEMPERATURE stays unset by default: the current API version answers 400.
    anthropic_settings.ANTHROPIC_TEMPERATURE = 0.2
    with pytest.raises(ProviderError) as caught:
        managed().structured(_request(tenant))
    assert fake_anthropic.requests[-1].body["temperature"] == 0.2
    assert caught.value.code == "bad_request" and "temperature" in caught.value.message
    assert sleeps.waits == []
