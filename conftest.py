"""Shared fixtures: tenants, users for each role, logged-in web and API clients."""

import os
import socket

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.ratelimit_fallback import LocalBackend
from apps.core.redis_outage import REDIS
from apps.core.tasks import send_mail_task
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from tests.factories import MembershipFactory, TenantFactory
from tests.mail_servers import MailServerDown


def pytest_configure(config):
    """dj-stripe's migrations take about a minute on SQLite (shared/ECOSYSTEM.md): the SQLite
    test database creates its tables straight from the models instead. PostgreSQL (CI) runs
    the real migrations."""
    from django.conf import settings

    if settings.configured and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        modules = getattr(settings, "MIGRATION_MODULES", {})
        settings.MIGRATION_MODULES = {**modules, "djstripe": None}


# The long proofs of issue 12 (contract, isolation, PII, money invariants, fault injection):
# `./scripts/test` runs them as their own stage after the suite (`-m proof`), so the suite
# itself stays quick; `pytest` alone runs everything.
PROOFS = (
    "tests/test_schemathesis.py",
    "tests/faults/",
    "tests/security/",
    "apps/billing/tests/test_money_invariants.py",
    "apps/leads/tests/test_widget_redis_down.py::test_1000_",
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith(PROOFS):
            item.add_marker(pytest.mark.proof)


@pytest.fixture(autouse=True)
def _fast_and_isolated(request, settings, tmp_path):
    """Fast password hashing (except where a test checks bcrypt), a clean cache (allauth rate
    limits live there), e-mails kept in memory, tasks run eagerly."""
    if "real_hashing" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")
    if not settings.REDIS_URL:
        # The embedded default's file cache is shared with anything else running from this
        # checkout; tests get a private in-memory cache (CI tests the real Redis instead).
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "fastlead-tests",
            }
        }
    else:
        # One Redis database for the whole run: each xdist worker keeps its keys under a
        # prefix of its own, so that one worker's cache.clear() never empties another's.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        default = settings.CACHES["default"]
        settings.CACHES = {"default": {**default, "KEY_PREFIX": f"fastlead-test-{worker}"}}
    cache.clear()
    REDIS.reset()  # a test that saw Redis down must not make the next one skip it
    yield
    cache.clear()
    REDIS.reset()


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    """Redis unreachable: the production cache (ResilientRedisCache) pointed at a closed
    port; the limiters' in-process fallbacks start empty."""
    settings.CACHES = {
        "default": {
            "BACKEND": "apps.core.redis_outage.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/1",
        }
    }
    LocalBackend.clear_all()
    yield
    LocalBackend.clear_all()


@pytest.fixture(autouse=True)
def _skip_postgres_only(request):
    if "postgres" in request.keywords:
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.skip("needs PostgreSQL row locks and real concurrency; CI runs it there")


@pytest.fixture
def mail_server(settings):
    """A mail server that is down: every send fails until the test sets `.failures` to the
    number of sends that fail before it is back. Celery's retries run at once (eagerly, no
    countdown) and a task's last failure is its result, not raised, as in a worker."""
    settings.EMAIL_BACKEND = f"{MailServerDown.__module__}.MailServerDown"
    MailServerDown.failures, MailServerDown.attempts = -1, 0
    conf = send_mail_task.app.conf
    propagates, conf.task_eager_propagates = conf.task_eager_propagates, False
    yield MailServerDown
    conf.task_eager_propagates = propagates


@pytest.fixture
def tenant(db):
    return TenantFactory(name="Acme")


@pytest.fixture
def other_tenant(db):
    return TenantFactory(name="Other Co")


def _member(tenant, role):
    return MembershipFactory(tenant=tenant, role=role).user


@pytest.fixture
def admin_user(tenant):
    return _member(tenant, Role.ADMIN)


@pytest.fixture
def operator_user(tenant):
    return _member(tenant, Role.OPERATOR)


@pytest.fixture
def analyst_user(tenant):
    return _member(tenant, Role.ANALYST)


@pytest.fixture
def outsider(other_tenant):
    """An admin of another tenant: must see nothing of `tenant`."""
    return _member(other_tenant, Role.ADMIN)


@pytest.fixture
def scoped(tenant):
    with tenant_scope(tenant):
        yield tenant


def api_client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def admin_api(admin_user):
    return api_client_for(admin_user)


@pytest.fixture
def operator_api(operator_user):
    return api_client_for(operator_user)


@pytest.fixture
def analyst_api(analyst_user):
    return api_client_for(analyst_user)


@pytest.fixture
def outsider_api(outsider):
    return api_client_for(outsider)


@pytest.fixture
def admin_client_web(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def operator_client_web(client, operator_user):
    client.force_login(operator_user)
    return client


@pytest.fixture
def analyst_client_web(client, analyst_user):
    client.force_login(analyst_user)
    return client


@pytest.fixture
def outsider_client_web(client, outsider):
    client.force_login(outsider)
    return client


@pytest.fixture
def english_ui(settings, client):
    """Run a test in English: its assertions read the English source strings, while the
    product's default interface language is Russian. Services (gettext at call time), API
    requests (the default language) and the dashboard (the language cookie, which wins over
    the user's saved language) all answer in English."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield
