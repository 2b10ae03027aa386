"""HyroPage test fixtures: the local fake Gemini, settings pointing at it, a valid page."""

from __future__ import annotations

import pytest

from apps.ai.tests.fake_gemini import FakeGemini
from apps.ai.tests.fake_server import Reply
from apps.billing.tests.helpers import subscribe
from apps.hyropage.brief import Brief
from apps.hyropage.offline import offline_page


def gemini_error(status: int, kind: str, message: str) -> Reply:
    return Reply(status, {"error": {"code": status, "message": message, "status": kind}})


@pytest.fixture
def fake_gemini():
    with FakeGemini() as fake:
        yield fake


@pytest.fixture
def gemini(settings, fake_gemini):
    """A configured Gemini key pointing at the local fake; no retries (a 5xx is persistent at
    once), so fallbacks are exercised without waiting."""
    settings.GEMINI_API_KEY = "gemini-test-key"
    settings.GEMINI_BASE_URL = fake_gemini.base_url
    settings.HYROPAGE_MODEL = "gemini-2.5-flash"
    settings.HYROPAGE_FALLBACK_MODELS = ["gemini-2.5-flash-lite"]
    settings.AI_TIMEOUT_SECONDS = 2.0
    settings.AI_RETRY_MAX_ATTEMPTS = 1
    return fake_gemini


@pytest.fixture
def offline(settings):
    settings.GEMINI_API_KEY = ""
    return settings


@pytest.fixture
def brief_ru() -> Brief:
    return Brief(
        product="Ремонт ванных комнат под ключ в Казани",
        audience="владельцы квартир в новостройках",
        tone="friendly",
        language="ru",
        details="Гарантия 3 года по договору.\nСмета бесплатно за один день.",
        company="Ромашка",
    )


@pytest.fixture
def page_content(brief_ru) -> dict:
    """A valid page (what Gemini is scripted to answer)."""
    content = offline_page(brief_ru).model_dump()
    content["headline"] = "Ванная под ключ за 14 дней"
    return content


@pytest.fixture
def on_pro(tenant):
    subscribe(tenant, "pro")
    return tenant
