"""Test helpers for plans, subscriptions and meters (other apps' tests may use them too)."""

import uuid

import pytest
from django.core.cache import cache

from apps.billing import services
from apps.billing.models import Plan, UsageMeter
from apps.billing.plan_limits import plan_limits_get
from tests.staff import staff_login


def plan(code: str) -> Plan:
    return Plan.objects.get(code=code)


def subscribe(tenant, code: str = "pro", **kwargs):
    """Put the tenant on a paid plan now (as a confirmed payment would)."""
    return services.subscription_activate(tenant=tenant, plan=plan(code), **kwargs)


def start_trial(tenant):
    return services.subscription_start_trial(tenant=tenant)


def meter_set(tenant, used: int) -> UsageMeter:
    """Set this period's count (opening the meter if needed)."""
    meter = services.meter_ensure(tenant)
    UsageMeter.objects.for_tenant(tenant).filter(pk=meter.pk).update(leads_used=used)
    meter.refresh_from_db()
    return meter


def meter_used(tenant) -> int:
    ent = plan_limits_get(tenant)
    meter = UsageMeter.objects.for_tenant(tenant).filter(period_start=ent.period_start).first()
    return meter.leads_used if meter else 0


@pytest.fixture(autouse=True)
def private_cache(request, settings):
    """Each test gets its own in-process cache, so that other processes clearing the shared
    file cache or Redis cannot disturb it (tests using the `shared_cache` fixture keep the
    project's real cache)."""
    if "shared_cache" in request.fixturenames:
        yield
        return
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4().hex}",
        }
    }
    yield


@pytest.fixture
def shared_cache(settings, tmp_path):
    """Opt out of `private_cache`: a cache that other processes can share. Redis when
    REDIS_URL is set (CI), else a file cache in a temporary folder. Yields the environment a
    child process needs to use the same cache (see entitlements_probe)."""
    env = {}
    if settings.REDIS_URL:  # the same keys: this run's prefix (conftest.py)
        env["CACHE_KEY_PREFIX"] = settings.CACHES["default"].get("KEY_PREFIX", "")
    else:
        location = str(tmp_path / "shared-cache")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": location,
            }
        }
        env["PROBE_FILE_CACHE"] = location
    cache.clear()
    yield env
    cache.clear()


@pytest.fixture
def admin_client_staff(client):
    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True, is_superuser=True)
    staff_login(client, staff)
    client.staff_user = staff
    return client
