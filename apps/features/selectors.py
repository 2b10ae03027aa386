"""Effective entitlements: computed in one place, cached per tenant, invalidated on change.

`entitlements_get(tenant)` answers "what may this tenant do right now": its plan's tools,
overridden by `TenantFeature` rows, switched off while the tenant is read-only or blocked.
An `Entitlements` is billing's `PlanLimits` (plan, access state, limits, usage period: read
from billing's own cached snapshot) plus the tools, so everything that asks billing's
questions can be handed an `Entitlements` too.

Cache layout (see `apps.core.snapshots`):

    ent:ver:<tenant>       a token, replaced on every change of that tenant
    ent:ver:*              a token, replaced when the plan catalogue changes
    ent:5:full:<tenant>    ((tenant token, catalogue token), Entitlements)

Features' own changes (overrides) bump the tenant's token directly; billing's changes reach
it as typed events (`apps.billing.events`, subscribed in `apps.features.apps`), handled
inside billing's transaction so that the transaction's own later reads recompute too.
Snapshots also carry `valid_until` (the next override expiry, period end or end of grace),
after which they are recomputed even if nothing invalidated them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta

from django.core.cache import caches
from django.db import connections, router
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.billing.plan_limits import (
    PlanLimits,
    PlanRef,
    plan_catalogue,
    plan_limits_cache_keys,
    plan_limits_get,
    plan_ref,
    remember_for_request,
)
from apps.billing.selectors import cheapest_plan
from apps.core.snapshots import snapshot_get, version_bump
from apps.features.models import OverrideMode, TenantFeature, TenantFeatureHistory
from apps.features.registry import expand_tools, tool_get, tool_keys

SNAPSHOT_TTL = timedelta(minutes=10)  # a safety net; invalidation is what makes it fresh
_SNAPSHOT = "ent:5:{}:{}"  # kind, tenant
_VERSION = "ent:ver:{}"
_CATALOGUE_VERSION = "ent:ver:*"
_REQUEST_ATTR = "_fastlead_entitlements"

SOURCE_PLAN = "plan"
SOURCE_NONE = "none"
SOURCE_ACCESS = "access"  # the plan or an override grants it, but the tenant is not paid up


@dataclass(frozen=True, kw_only=True)
class Entitlements(PlanLimits):
    tools: frozenset[str]
    sources: dict[str, str] = field(default_factory=dict)
    override_expiry: dict[str, datetime] = field(default_factory=dict)

    def has(self, key: str) -> bool:
        if key not in self.sources:
            tool_get(key)  # an unregistered key in a guard is a programming error
        return key in self.tools

    @property
    def enabled(self) -> dict[str, bool]:
        """{tool: on?} for templates: `{% if entitlements.enabled.export %}`."""
        return {key: key in self.tools for key in self.sources}

    def unlock_plan(self, key: str) -> PlanRef | None:
        """The cheapest plan on sale that grants the locked tool `key` (None if it is on).
        Worked out when first asked (only refusals and locked buttons ask) from the cached
        plan catalogue, not on the cold path: a snapshot is computed far more often than a
        lock is shown."""
        if key in self.tools:
            return None
        memo = self.__dict__.setdefault("_unlock_plans", {})
        if key not in memo:
            memo[key] = plan_ref(cheapest_plan_with_tool(plan_catalogue(), key, self.currency))
        return memo[key]

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_unlock_plans", None)  # the catalogue may change; never cached with it
        return state


_LIMIT_FIELDS = tuple(f.name for f in fields(PlanLimits))


def cheapest_plan_with_tool(catalogue, tool: str, currency: str | None):
    """The cheapest plan on sale that grants `tool` (what a locked tool offers to unlock)."""
    return cheapest_plan(catalogue, currency, lambda p: tool in expand_tools(p.tools))


def entitlements_compute(
    tenant, now: datetime | None = None, *, cache=None, found=None
) -> Entitlements:
    """Build the snapshot from billing's plan limits and the overrides: one query when the
    limits are cached (and no cache round trip of its own when `found` holds them, see
    `entitlements_get`). Use `entitlements_get`."""
    now = now or timezone.now()
    limits = plan_limits_get(tenant, cache=cache, found=found)
    overrides = {
        feature: (mode, expires_at)
        for feature, mode, expires_at in _override_rows(limits.tenant_id)
        if expires_at is None or expires_at > now
    }
    plan_tools = expand_tools(limits.plan_tools)
    tools, sources = set(), {}
    for key in tool_keys():
        on, source = key in plan_tools, SOURCE_PLAN if key in plan_tools else SOURCE_NONE
        override = overrides.get(key)
        if override is not None:
            on, source = override[0] != OverrideMode.REVOKE, override[0]
        if on and not limits.is_active:
            on, source = False, SOURCE_ACCESS
        sources[key] = source
        if on:
            tools.add(key)
    expiry = {key: expires_at for key, (_mode, expires_at) in overrides.items() if expires_at}
    boundaries = [*expiry.values(), limits.valid_until]
    return Entitlements(
        **{name: getattr(limits, name) for name in _LIMIT_FIELDS if name != "valid_until"},
        tools=frozenset(tools),
        sources=sources,
        override_expiry=expiry,
        valid_until=min((b for b in boundaries if b is not None), default=None),
    )


_OVERRIDES_SQL: dict[str, str] = {}


def _override_rows(tenant_id: str) -> list[tuple]:
    """(feature, mode, expires_at) of every override of the tenant — a handful of rows: all
    are read and the expired ones dropped by the caller. The ORM builds the SQL once per
    database vendor (compiling it on every cold snapshot cost more than running it)."""
    connection = connections[router.db_for_read(TenantFeature)]
    sql = _OVERRIDES_SQL.get(connection.vendor)
    if sql is None:
        query = TenantFeature.objects.for_tenant(_ANY_TENANT).values_list(
            "feature", "mode", "expires_at"
        )
        sql = _OVERRIDES_SQL[connection.vendor] = query.query.sql_with_params()[0]
    tenant_field = TenantFeature._meta.get_field("tenant").target_field
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant_field.get_db_prep_value(tenant_id, connection)])
        rows = cursor.fetchall()
    return [(feature, mode, _aware(expires_at)) for feature, mode, expires_at in rows]


_ANY_TENANT = "00000000-0000-0000-0000-000000000000"


def _aware(value):
    """A datetime as the ORM would return it (SQLite hands back text)."""
    if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
        return value
    if isinstance(value, str):
        value = parse_datetime(value)
    return timezone.make_aware(value, UTC) if timezone.is_naive(value) else value


def entitlements_cache_keys(tenant) -> list[str]:
    """Every cache key `entitlements_get` reads (a caller that reads them with its own in one
    `get_many` hands the result over as `found`)."""
    tenant_id = str(getattr(tenant, "pk", tenant))
    versions, keys = _snapshot_keys(tenant_id)
    return [*versions, *keys, *plan_limits_cache_keys(tenant_id)]


def _snapshot_keys(tenant_id: str) -> tuple[list[str], list[str]]:
    return [_VERSION.format(tenant_id), _CATALOGUE_VERSION], [_SNAPSHOT.format("full", tenant_id)]


def entitlements_get(tenant, *, cache=None, found=None) -> Entitlements:
    """The tenant's effective entitlements: one cache round trip when warm (none when the
    caller read `entitlements_cache_keys` already: `found`). The same `get_many` reads
    billing's plan limits too, so a cold snapshot costs that round trip, the overrides query
    and the write (billing's limits cached)."""
    cache = cache or caches["default"]
    tenant_id = str(getattr(tenant, "pk", tenant))
    versions, keys = _snapshot_keys(tenant_id)
    if found is None:
        found = cache.get_many(entitlements_cache_keys(tenant_id))
    return snapshot_get(
        cache,
        versions=versions,
        keys=keys,
        compute=lambda now: entitlements_compute(tenant_id, now, cache=cache, found=found),
        ttl=SNAPSHOT_TTL.total_seconds(),
        found=found,
    )


def entitlements_for_request(request, tenant=None) -> Entitlements | None:
    """The entitlements of the request's tenant (or of `tenant`), read once per request:
    guards, pages and the context processor share one cache round trip, and billing's
    reads of the same request (quota, usage) reuse it as its plan limits."""
    request = getattr(request, "_request", request)  # DRF's Request wraps the HttpRequest
    tenant = tenant if tenant is not None else getattr(request, "tenant", None)
    if tenant is None:
        return None
    tenant_id = str(getattr(tenant, "pk", tenant))
    cached = getattr(request, _REQUEST_ATTR, None)
    if cached is not None and cached.tenant_id == tenant_id:
        return cached
    entitlements = entitlements_get(tenant_id)
    setattr(request, _REQUEST_ATTR, entitlements)
    remember_for_request(request, entitlements)
    return entitlements


def entitlements_invalidate(tenant, *, cache=None) -> None:
    """Make every process recompute the tenant's entitlements (now and once the change
    commits)."""
    version_bump(cache or caches["default"], _VERSION.format(getattr(tenant, "pk", tenant)))


def entitlements_invalidate_all(*, cache=None) -> None:
    """The plan catalogue changed: every tenant's snapshot is stale."""
    version_bump(cache or caches["default"], _CATALOGUE_VERSION)


def on_billing_changed(event) -> None:
    """Billing changed a tenant's subscription or access state (a typed event)."""
    entitlements_invalidate(event.tenant_id)


def on_plan_catalogue_changed(event) -> None:
    entitlements_invalidate_all()


def override_list(tenant):
    return TenantFeature.objects.for_tenant(tenant).select_related("created_by").order_by("feature")


def override_history(tenant, limit: int = 50):
    return (
        TenantFeatureHistory.objects.for_tenant(tenant)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def overrides_expired(now: datetime):
    """Every tenant's overrides past their expiry (a beat task's deliberate cross-tenant read)."""
    return TenantFeature.objects.unscoped().filter(expires_at__isnull=False, expires_at__lte=now)
