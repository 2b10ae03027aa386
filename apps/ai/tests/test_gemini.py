"""The Gemini adapter through google-genai against a local fake of generateContent."""

from decimal import Decimal

import pydantic
import pytest

from apps.ai.models import AIUsage
from apps.ai.providers.base import ProviderError, StructuredRequest

pytestmark = pytest.mark.django_db


class Page(pydantic.BaseModel):
    title: str
    sections: list[str]


def _request(tenant):
    return StructuredRequest(
        system="You write landing pages.",
        prompt="A page for a bakery.",
        schema=Page,
        purpose="hyropage",
        tenant_id=tenant.id,
        temperature=0.4,
    )


def test_success_validates_the_answer_and_logs_tokens_and_cost(
    gemini_settings, fake_gemini, managed, tenant
):
    # given
    fake_gemini.ok(
        {"title": "Хлеб", "sections": ["О нас", "Цены"]},
        prompt_tokens=2000,
        output_tokens=800,
        thoughts_tokens=200,
    )
    # when
    result = managed("gemini").structured(_request(tenant))
    # then
    assert result.data == Page(title="Хлеб", sections=["О нас", "Цены"])
    assert (result.input_tokens, result.output_tokens) == (2000, 1000)  # thinking is output
    # 2000 * 0.30 / 1M + 1000 * 2.50 / 1M
    assert result.cost == Decimal("0.003100")
    usage = AIUsage.objects.for_tenant(tenant).get()
    assert (usage.provider, usage.model_version, usage.outcome) == (
        "gemini",
        "gemini-2.5-flash",
        "ok",
    )
    sent = fake_gemini.requests[-1]
    assert sent.path == "/v1/models/gemini-2.5-flash:generateContent"
    assert sent.headers["x-goog-api-key"] == "gemini-test-key"
    config = sent.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert set(config["responseSchema"]["required"]) == {"title", "sections"}
    assert config["temperature"] == 0.4


def test_429_is_retried_then_succeeds(gemini_settings, fake_gemini, managed, sleeps, tenant):
    fake_gemini.rate_limited(retry_after=0.2).ok({"title": "t", "sections": []})
    assert managed("gemini").structured(_request(tenant)).attempts == 2
    assert 0.2 <= sleeps.waits[0] <= 0.25


def test_schema_violation_fails_with_reason(gemini_settings, fake_gemini, managed, tenant):
    fake_gemini.ok({"title": "t", "sections": "one, two"})
    with pytest.raises(ProviderError) as caught:
        managed("gemini").structured(_request(tenant))
    assert caught.value.code == "schema_violation" and "sections" in caught.value.message
    assert AIUsage.objects.for_tenant(tenant).get().input_tokens == 300


def test_400_is_not_retried(gemini_settings, fake_gemini, managed, sleeps, tenant):
    fake_gemini.bad_request()
    with pytest.raises(ProviderError) as caught:
        managed("gemini").structured(_request(tenant))
    assert caught.value.permanent and caught.value.code == "bad_request"
    assert len(fake_gemini.requests) == 1 and sleeps.waits == []


def test_503_unavailable_is_retried(gemini_settings, fake_gemini, managed, tenant):
    fake_gemini.unavailable().ok({"title": "t", "sections": []})
    assert managed("gemini").structured(_request(tenant)).attempts == 2
