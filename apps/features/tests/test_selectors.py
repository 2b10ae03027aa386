"""Effective entitlements: plan defaults, override precedence and expiry, plan changes,
access state, and the per-tenant cache with its invalidation across cache clients."""

import os
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache, caches
from django.core.cache.backends.filebased import FileBasedCache
from django.utils import timezone
from django_redis.cache import RedisCache

from apps.billing import services as billing
from apps.billing.models import Plan
from apps.billing.plan_limits import access_get
from apps.billing.tests.helpers import start_trial, subscribe
from apps.features import selectors, services
from apps.features.registry import tool_keys
from apps.features.selectors import entitlements_get

pytestmark = pytest.mark.django_db


def _set(tenant, feature, mode, **kwargs):
    return services.tenant_feature_set(
        tenant=tenant, feature=feature, mode=mode, reason="support ticket 42", **kwargs
    )


def test_trial_grants_every_tool_and_its_limits(tenant):
    start_trial(tenant)
    ent = entitlements_get(tenant)
    assert ent.tools == frozenset(tool_keys())
    assert (ent.plan_code, ent.lead_limit, ent.max_members, ent.limit_mode) == (
        "trial",
        50,
        3,
        "hard",
    )
    assert ent.is_trial and ent.trial_days_left == 14


def test_plan_defaults_decide_without_overrides(tenant):
    subscribe(tenant, "start")
    ent = entitlements_get(tenant)
    assert ent.has("messaging_rules") and not ent.has("export")
    assert ent.sources["export"] == "none"
    assert ent.unlock_plan("export").code == "pro"
    assert ent.unlock_plan("api_access").code == "business"


def test_a_tenant_without_subscription_has_no_tools_and_no_limits(tenant):
    ent = entitlements_get(tenant)
    assert ent.tools == frozenset() and ent.lead_limit is None and ent.max_members is None


def test_grant_beats_a_plan_without_the_tool_and_revoke_beats_the_plan(tenant):
    subscribe(tenant, "pro")
    _set(tenant, "api_access", "grant")
    _set(tenant, "export", "revoke")
    ent = entitlements_get(tenant)
    assert ent.has("api_access") and ent.sources["api_access"] == "grant"
    assert not ent.has("export") and ent.sources["export"] == "revoke"
    assert ent.has("custom_branding") and ent.sources["custom_branding"] == "plan"


def test_override_expires_on_time_even_before_the_beat_task_runs(tenant):
    subscribe(tenant, "start")
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        _set(tenant, "export", "trial", expires_at=now + timedelta(days=7))
        assert entitlements_get(tenant).has("export")
        assert entitlements_get(tenant).override_expiry["export"] == now + timedelta(days=7)
    with time_machine.travel(now + timedelta(days=7, seconds=1), tick=False):
        ent = entitlements_get(tenant)  # the cached snapshot is past its valid_until
        assert not ent.has("export") and ent.sources["export"] == "none"


def test_expired_revoke_gives_the_tool_back_to_the_plan(tenant):
    subscribe(tenant, "pro")
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        _set(tenant, "export", "revoke", expires_at=now + timedelta(hours=1))
        assert not entitlements_get(tenant).has("export")
    with time_machine.travel(now + timedelta(hours=2), tick=False):
        assert entitlements_get(tenant).has("export")


def test_plan_change_keeps_manual_overrides(tenant):
    subscribe(tenant, "start")
    _set(tenant, "hyrocall", "grant")
    _set(tenant, "messaging_rules", "revoke")
    subscribe(tenant, "pro")  # upgrade
    ent = entitlements_get(tenant)
    assert ent.plan_code == "pro"
    assert ent.has("hyrocall") and ent.sources["hyrocall"] == "grant"
    assert not ent.has("messaging_rules") and ent.sources["messaging_rules"] == "revoke"
    assert ent.has("export")  # the new plan's default
    subscribe(tenant, "business")
    assert not entitlements_get(tenant).has("messaging_rules")


def test_read_only_and_blocked_tenants_have_no_tools_even_with_overrides(tenant):
    start_trial(tenant)
    _set(tenant, "export", "grant")
    after_trial = timezone.now() + timedelta(days=14, minutes=1)
    with time_machine.travel(after_trial, tick=False):
        billing.trials_expire()
        ent = entitlements_get(tenant)
        assert ent.is_read_only and ent.tools == frozenset()
        assert ent.sources["export"] == "access" and access_get(tenant).is_read_only
    subscribe(tenant, "start")
    ent = entitlements_get(tenant)
    assert ent.is_active and ent.has("export") and ent.has("messaging_rules")


def test_warm_snapshot_costs_no_query(tenant, django_assert_num_queries):
    subscribe(tenant, "pro")
    entitlements_get(tenant)
    with django_assert_num_queries(0):
        assert entitlements_get(tenant).has("export")
        assert access_get(tenant).is_active


def test_cold_snapshot_costs_at_most_three_queries(tenant, django_assert_max_num_queries):
    subscribe(tenant, "pro")
    entitlements_get(tenant)  # warms the plan catalogue
    services.tenant_feature_set(tenant=tenant, feature="export", mode="revoke", reason="x")
    with django_assert_max_num_queries(3):
        assert not entitlements_get(tenant).has("export")


class _CountingCache:
    """Counts the calls that go to the cache server (one round trip each)."""

    OPERATIONS = ("get", "get_many", "set", "add", "set_many", "delete")

    def __init__(self, cache):
        self.calls = []
        for name in self.OPERATIONS:
            setattr(self, name, self._counted(name, getattr(cache, name)))

    def _counted(self, name, method):
        def call(*args, **kwargs):
            self.calls.append(name)
            return method(*args, **kwargs)

        return call


def test_cold_snapshot_is_one_query_and_two_cache_round_trips(tenant, django_assert_num_queries):
    # given billing's limits and the catalogue cached, and an override that drops the
    # tenant's snapshot

    subscribe(tenant, "pro")
    entitlements_get(tenant)
    services.tenant_feature_set(tenant=tenant, feature="export", mode="revoke", reason="x")
    counting = _CountingCache(caches["default"])
    # when the snapshot is recomputed
    with django_assert_num_queries(1):
        ent = entitlements_get(tenant, cache=counting)
    # then: one read of both snapshots, the overrides query, one write
    assert not ent.has("export") and ent.has("messaging_rules")
    assert counting.calls == ["get_many", "set"]
    # and the unlock plan of a locked tool is still offered (read when asked)
    assert ent.unlock_plan("export").code in {"pro", "business"}
    assert ent.unlock_plan("messaging_rules") is None


def test_access_state_alone_costs_one_query_when_cold(tenant, django_assert_num_queries):
    start_trial(tenant)
    billing.billing_account_ensure(tenant)

    cache.clear()
    with django_assert_num_queries(1):
        assert access_get(tenant).is_active


def test_every_change_invalidates_the_cached_snapshot(tenant):
    subscribe(tenant, "start")
    assert not entitlements_get(tenant).has("export")
    _set(tenant, "export", "grant")
    assert entitlements_get(tenant).has("export")
    services.tenant_feature_remove(tenant=tenant, feature="export", reason="done")
    assert not entitlements_get(tenant).has("export")
    subscribe(tenant, "pro")
    assert entitlements_get(tenant).has("export")


def test_plan_catalogue_edit_reaches_every_tenant(tenant, other_tenant):
    subscribe(tenant, "start")
    subscribe(other_tenant, "start")
    assert not entitlements_get(tenant).has("export")
    assert not entitlements_get(other_tenant).has("export")
    start = Plan.objects.get(code="start")
    start.tools = [*start.tools, "export"]
    start.lead_limit = 700
    billing.plan_save(plan=start)
    assert entitlements_get(tenant).has("export") and entitlements_get(other_tenant).has("export")
    assert entitlements_get(tenant).lead_limit == 700


def _second_client(kind, tmp_path, settings):
    """The project's cache (the web process) and an independent client of the same store
    (a worker process)."""
    if kind == "file":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path),
            }
        }
        return FileBasedCache(str(tmp_path), {})
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL is not set")

    options = {"CLIENT_CLASS": "django_redis.client.DefaultClient"}
    prefix = f"t{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "tests.redis_cache.PrefixOnlyRedisCache",  # clear() spares other workers
            "LOCATION": url,
            "KEY_PREFIX": prefix,
            "OPTIONS": options,
        }
    }
    return RedisCache(url, {"KEY_PREFIX": prefix, "OPTIONS": options})


@pytest.mark.parametrize("kind", ["file", "redis"])
def test_a_switch_reaches_a_second_cache_client_on_the_next_read(kind, tenant, tmp_path, settings):
    # given a web process and a worker, each with its own client of the shared cache
    worker = _second_client(kind, tmp_path, settings)
    subscribe(tenant, "start")
    assert not entitlements_get(tenant).has("export")
    assert not entitlements_get(tenant, cache=worker).has("export")

    # when staff grant a tool in the web process
    _set(tenant, "export", "grant")

    # then the worker sees it on its very next read, and a revoke likewise
    assert entitlements_get(tenant, cache=worker).has("export")
    _set(tenant, "export", "revoke")
    assert not entitlements_get(tenant, cache=worker).has("export")
    assert not entitlements_get(tenant).has("export")


def test_a_stale_snapshot_written_after_an_invalidation_is_ignored(tenant):
    # A reader computed from old rows, then an invalidation, then the reader's late write:
    # the next reader must not serve the stale snapshot.

    subscribe(tenant, "start")
    stale = entitlements_get(tenant)
    old_versions = cache.get(selectors._SNAPSHOT.format("full", tenant.pk))[0]
    _set(tenant, "export", "grant")
    cache.set(selectors._SNAPSHOT.format("full", tenant.pk), (old_versions, stale))
    assert entitlements_get(tenant).has("export")
