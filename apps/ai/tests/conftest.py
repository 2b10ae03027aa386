"""Fixtures of the AI layer's tests: local fake providers, configured settings, a limiter."""

import uuid

import pytest

from apps.ai.client import ManagedLLMClient, provider_adapter
from apps.ai.ratelimit import CacheBackend, RateLimiter, default_backend
from apps.ai.retry import RetryPolicy
from apps.ai.tests.fake_anthropic import FakeAnthropic
from apps.ai.tests.fake_gemini import FakeGemini
from tests.factories import UserFactory
from tests.staff import staff_login


@pytest.fixture
def fake_anthropic():
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def fake_gemini():
    with FakeGemini() as fake:
        yield fake


@pytest.fixture
def anthropic_settings(settings, fake_anthropic):
    settings.ANTHROPIC_API_KEY = "sk-ant-test-key"
    settings.ANTHROPIC_BASE_URL = fake_anthropic.base_url
    settings.ANTHROPIC_MODEL = "claude-sonnet-4-6"
    settings.ANTHROPIC_MAX_TOKENS = 512
    settings.AI_TIMEOUT_SECONDS = 2.0
    settings.AI_RETRY_MAX_ATTEMPTS = 4
    settings.AI_RETRY_MAX_SECONDS = 60.0
    return settings


@pytest.fixture
def gemini_settings(settings, fake_gemini):
    settings.GEMINI_API_KEY = "gemini-test-key"
    settings.GEMINI_BASE_URL = fake_gemini.base_url
    settings.GEMINI_MODEL = "gemini-2.5-flash"
    settings.AI_TIMEOUT_SECONDS = 2.0
    return settings


@pytest.fixture
def shared_backend(settings, tmp_path):
    """The real shared backend: Redis when REDIS_URL is set (CI), else the cache fallback
    with its lock files in the test's temporary directory."""
    return default_backend() if settings.REDIS_URL else CacheBackend(lock_dir=tmp_path / "locks")


@pytest.fixture
def limiter(shared_backend):
    """A generous limiter, namespaced so that concurrent test runs never share a budget."""
    return RateLimiter(
        requests_per_window=1000,
        tokens_per_window=10_000_000,
        backend=shared_backend,
        namespace=f"test-{uuid.uuid4().hex[:8]}",
    )


class SleepRecorder:
    """Stands in for time.sleep in the retry loop: records the waits, returns at once."""

    def __init__(self):
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps():
    return SleepRecorder()


@pytest.fixture
def managed(limiter, sleeps):
    """`managed("anthropic")`: the managed client from settings, retry waits recorded."""

    def build(provider="anthropic", **policy):
        return ManagedLLMClient(
            provider_adapter(provider),
            limiter=limiter,
            retry_policy=RetryPolicy(**{"max_attempts": 4, "max_seconds": 60.0, **policy}),
            sleep=sleeps,
        )

    return build


@pytest.fixture
def staff_client(client, db):
    user = UserFactory(is_staff=True, is_superuser=True)
    staff_login(client, user)
    return client
