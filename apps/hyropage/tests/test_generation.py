"""Generation through apps.ai against the local fake Gemini: success, a retired model falling
back, persistent 5xx falling back, failures that must not fall back, offline, usage logged."""

from __future__ import annotations

import pytest

from apps.ai.client import ManagedLLMClient, provider_adapter
from apps.ai.models import AIUsage
from apps.ai.retry import RetryPolicy
from apps.billing.tests.helpers import subscribe
from apps.hyropage import generation as gen
from apps.hyropage.models import Generation, HyroPage
from apps.hyropage.runner import generation_run
from apps.hyropage.schema import PageContent
from apps.hyropage.tests.conftest import gemini_error

pytestmark = pytest.mark.django_db


def test_success_uses_the_configured_model_and_logs_usage(gemini, brief_ru, page_content, tenant):
    gemini.ok(page_content, prompt_tokens=1200, output_tokens=900)

    outcome = gen.generate(brief_ru, tenant_id=tenant.id)

    assert outcome.content == PageContent.model_validate(page_content)
    assert outcome.model_used == "gemini-2.5-flash" and not outcome.offline
    sent = gemini.requests[-1]
    assert sent.path == "/v1/models/gemini-2.5-flash:generateContent"
    assert sent.body["generationConfig"]["maxOutputTokens"] == 8192
    assert "Russian" in sent.body["systemInstruction"]["parts"][0]["text"]
    usage = AIUsage.objects.for_tenant(tenant).get()
    assert (usage.purpose, usage.input_tokens, usage.output_tokens) == ("hyropage", 1200, 900)
    assert usage.cost > 0 and outcome.usage_ids == [usage.pk]


def test_changing_the_setting_switches_the_model(gemini, settings, brief_ru, page_content, tenant):
    settings.HYROPAGE_MODEL = "gemini-2.5-pro"
    gemini.ok(page_content)

    outcome = gen.generate(brief_ru, tenant_id=tenant.id)

    assert gemini.requests[-1].path == "/v1/models/gemini-2.5-pro:generateContent"
    assert outcome.model_used == "gemini-2.5-pro"


def test_a_retired_model_falls_back_to_the_next_one(gemini, brief_ru, page_content, tenant):
    gemini.enqueue(
        gemini_error(404, "NOT_FOUND", "models/gemini-2.5-flash is not found for API version v1")
    )
    gemini.ok(page_content)

    outcome = gen.generate(brief_ru, tenant_id=tenant.id)

    assert [r.path.split("/")[-1] for r in gemini.requests] == [
        "gemini-2.5-flash:generateContent",
        "gemini-2.5-flash-lite:generateContent",
    ]
    assert outcome.model_used == "gemini-2.5-flash-lite"
    assert outcome.models_tried == ["gemini-2.5-flash", "gemini-2.5-flash-lite"]
    assert AIUsage.objects.for_tenant(tenant).count() == 2  # the failed call is logged too


def test_a_deprecation_answer_falls_back(gemini, brief_ru, page_content, tenant):
    gemini.enqueue(gemini_error(400, "INVALID_ARGUMENT", "This model has been deprecated."))
    gemini.ok(page_content)
    assert gen.generate(brief_ru, tenant_id=tenant.id).model_used == "gemini-2.5-flash-lite"


def test_persistent_5xx_falls_back_after_the_retries(gemini, brief_ru, page_content, tenant):
    waits: list[float] = []
    client = ManagedLLMClient(
        provider_adapter("gemini"),
        retry_policy=RetryPolicy(max_attempts=2, max_seconds=60.0),
        sleep=waits.append,  # the retry waits are recorded, not slept
    )
    gemini.enqueue(gemini_error(500, "INTERNAL", "boom"), gemini_error(500, "INTERNAL", "boom"))
    gemini.ok(page_content)

    outcome = gen.generate(brief_ru, tenant_id=tenant.id, client=client)

    paths = [r.path.split("/")[-1].split(":")[0] for r in gemini.requests]
    assert paths == ["gemini-2.5-flash", "gemini-2.5-flash", "gemini-2.5-flash-lite"]
    assert len(waits) == 1  # retried once on the same model, then moved on
    assert outcome.model_used == "gemini-2.5-flash-lite" and outcome.content is not None


def test_every_model_failing_reports_the_last_error(gemini, brief_ru, tenant):
    gemini.unavailable().unavailable()

    outcome = gen.generate(brief_ru, tenant_id=tenant.id)

    assert outcome.content is None and outcome.error.code == "overloaded"
    assert len(gemini.requests) == 2


def test_a_bad_answer_does_not_move_to_another_model(gemini, brief_ru, tenant):
    gemini.ok({"title": "only a title"})

    outcome = gen.generate(brief_ru, tenant_id=tenant.id)

    assert outcome.content is None and outcome.error.code == "schema_violation"
    assert len(gemini.requests) == 1


def test_offline_builds_an_honest_page_from_the_brief(offline, brief_ru, tenant):
    outcome = gen.generate(brief_ru, tenant_id=tenant.id)

    assert outcome.offline and outcome.model_used == "offline-heuristic-v1"
    page = outcome.content
    assert page.headline == brief_ru.product
    assert any("Гарантия 3 года" in p.text for p in page.value_points)
    assert all(proof.placeholder for proof in page.social_proof)
    usage = AIUsage.objects.for_tenant(tenant).get()
    assert usage.offline and usage.cost == 0


def test_the_task_generates_nothing_once_the_tool_is_gone(gemini, tenant, on_pro, page_content):

    page = HyroPage.objects.create(tenant=tenant, slug="x", product="p", audience="a")
    generation = Generation.objects.create(tenant=tenant, page=page, model_requested="m")
    subscribe(tenant, "start")  # no HyroPage on Start

    done = generation_run(tenant, generation.pk)

    assert (done.status, done.error_code) == ("failed", "feature_locked")
    assert gemini.requests == []


def test_a_generation_runs_once(offline, tenant, on_pro):

    page = HyroPage.objects.create(tenant=tenant, slug="x", product="p", audience="a")
    generation = Generation.objects.create(tenant=tenant, page=page, model_requested="offline")

    assert generation_run(tenant, generation.pk).status == "done"
    assert generation_run(tenant, generation.pk) is None  # claimed already: nothing twice
    page.refresh_from_db()
    assert page.version == 1
