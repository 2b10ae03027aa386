"""Effective entitlements: computed in one place, cached per tenant, invalidated on change.

`entitlements_get(tenant)` answers "what may this tenant do right now": its plan's tools,
overridden by `TenantFeature` rows, switched off while the tenant is read-only or blocked,
plus the plan's limits and the current usage period (the lead quota reads those from here,
so the unlimited path touches no database).

Cache layout (the Django cache: Redis in production, a file cache shared by every local
process in the embedded default):

    ent:ver:<tenant>       a random token, replaced on every change of that tenant
    ent:ver:*              a random token, replaced when the plan catalogue changes
    ent:plans:<token>      the plans on sale
    ent:2:full:<tenant>    ((tenant token, catalogue token), Entitlements)
    ent:2:access:<tenant>  ((tenant token, catalogue token), Access) for the read-only guard

One `get_many` reads tokens and snapshot. A snapshot counts only if it was computed under
the current tokens, so a reader that computed from old rows and wrote after an invalidation
is ignored by the next reader instead of serving stale data: a switch is seen on the next
request by every web process and worker. Snapshots also carry `valid_until` (the next
override expiry or period end), after which they are recomputed even if no task
invalidated them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import caches
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language

from apps.features.models import OverrideMode, TenantFeature, TenantFeatureHistory
from apps.features.registry import expand_tools, tool_get, tool_keys
from apps.tenants.models import Tenant

SNAPSHOT_TTL = timedelta(minutes=10)  # a safety net; invalidation is what makes it fresh
_SNAPSHOT = "ent:2:{}:{}"  # kind, tenant
_VERSION = "ent:ver:{}"
_CATALOGUE_VERSION = "ent:ver:*"

SOURCE_PLAN = "plan"
SOURCE_NONE = "none"
SOURCE_ACCESS = "access"  # the plan or an override grants it, but the tenant is not paid up


class _AccessStateFlags:
    """is_active / is_read_only / is_blocked from an `access_state` attribute."""

    access_state: str

    @property
    def is_active(self) -> bool:
        return self.access_state == "active"

    @property
    def is_read_only(self) -> bool:
        return self.access_state == "read_only"

    @property
    def is_blocked(self) -> bool:
        return self.access_state == "blocked"


@dataclass(frozen=True)
class PlanRef:
    code: str
    name_ru: str
    name_en: str

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "ru").startswith("en") else self.name_ru

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Entitlements(_AccessStateFlags):
    tenant_id: str
    plan: PlanRef | None
    currency: str | None
    subscription_status: str | None
    trial_ends_at: datetime | None
    access_state: str
    read_only_until: datetime | None
    lead_limit: int | None
    limit_mode: str
    max_members: int | None
    max_tenants: int | None
    period_start: datetime
    period_end: datetime
    tools: frozenset[str]
    sources: dict[str, str] = field(default_factory=dict)
    override_expiry: dict[str, datetime] = field(default_factory=dict)
    unlock_plans: dict[str, PlanRef] = field(default_factory=dict)
    lift_plan: PlanRef | None = None
    valid_until: datetime | None = None

    def has(self, key: str) -> bool:
        if key not in self.sources:
            tool_get(key)  # an unregistered key in a guard is a programming error
        return key in self.tools

    @property
    def enabled(self) -> dict[str, bool]:
        """{tool: on?} for templates: `{% if entitlements.enabled.export %}`."""
        return {key: key in self.tools for key in self.sources}

    def unlock_plan(self, key: str) -> PlanRef | None:
        return self.unlock_plans.get(key)

    @property
    def plan_code(self) -> str | None:
        return self.plan.code if self.plan else None

    @property
    def unlimited(self) -> bool:
        return self.lead_limit is None

    @property
    def is_trial(self) -> bool:
        return self.subscription_status == "trialing"

    @property
    def trial_days_left(self) -> int | None:
        if not self.is_trial or self.trial_ends_at is None:
            return None
        seconds = (self.trial_ends_at - timezone.now()).total_seconds()
        return max(0, int(-(-seconds // 86400)))


def _ref(plan) -> PlanRef | None:
    return PlanRef(plan.code, plan.name_ru, plan.name_en) if plan else None


def entitlements_compute(tenant, now: datetime | None = None) -> Entitlements:
    """Build the snapshot from the database (four queries). Use `entitlements_get`."""
    from apps.billing.selectors import cheapest_plan_above, cheapest_plan_with_tool, plan_state

    now = now or timezone.now()
    tenant_id = str(getattr(tenant, "pk", tenant))
    state = plan_state(tenant_id, now)
    plan = state.plan
    overrides = {
        o.feature: o
        for o in TenantFeature.objects.for_tenant(tenant_id).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )
    }
    plan_tools = expand_tools(plan.tools) if plan else frozenset()
    paid_up = state.access_state == "active"
    tools, sources = set(), {}
    for key in tool_keys():
        on, source = key in plan_tools, SOURCE_PLAN if key in plan_tools else SOURCE_NONE
        override = overrides.get(key)
        if override is not None:
            on, source = override.mode != OverrideMode.REVOKE, override.mode
        if on and not paid_up:
            on, source = False, SOURCE_ACCESS
        sources[key] = source
        if on:
            tools.add(key)
    currency = plan.currency if plan else None
    subscription = state.subscription
    boundaries = [o.expires_at for o in overrides.values() if o.expires_at]
    boundaries += [state.period_end, state.read_only_until]
    if subscription is not None and subscription.status == "trialing":
        boundaries.append(subscription.trial_ends_at)
    return Entitlements(
        tenant_id=tenant_id,
        plan=_ref(plan),
        currency=currency,
        subscription_status=subscription.status if subscription else None,
        trial_ends_at=subscription.trial_ends_at if subscription else None,
        access_state=state.access_state,
        read_only_until=state.read_only_until,
        lead_limit=plan.lead_limit if plan else None,
        limit_mode=plan.limit_mode if plan else "hard",
        max_members=plan.max_members if plan else None,
        max_tenants=plan.max_tenants if plan else None,
        period_start=state.period_start,
        period_end=state.period_end,
        tools=frozenset(tools),
        sources=sources,
        override_expiry={k: o.expires_at for k, o in overrides.items() if o.expires_at},
        unlock_plans={
            key: _ref(cheapest_plan_with_tool(state.catalogue, key, currency))
            for key in tool_keys()
            if key not in tools
        },
        lift_plan=_ref(
            cheapest_plan_above(state.catalogue, plan.lead_limit if plan else None, currency)
        ),
        valid_until=min(b for b in boundaries if b is not None),
    )


def _version(cache, key: str, value) -> str:
    if value is not None:
        return value
    cache.add(key, uuid.uuid4().hex, None)  # first use: atomic, never overwrites a bump
    return cache.get(key)


def _cached(tenant, kind: str, compute, cache=None, *, fallback: str | None = None):
    """Read `kind`'s snapshot of a tenant under the current version tokens (one `get_many`
    when warm), else compute and store it. `fallback` names a richer snapshot that also
    answers (the full entitlements carry the access state)."""
    cache = cache or caches["default"]
    tenant_id = str(getattr(tenant, "pk", tenant))
    keys = [_VERSION.format(tenant_id), _CATALOGUE_VERSION, _SNAPSHOT.format(kind, tenant_id)]
    if fallback:
        keys.append(_SNAPSHOT.format(fallback, tenant_id))
    found = cache.get_many(keys)
    versions = (
        _version(cache, keys[0], found.get(keys[0])),
        _version(cache, keys[1], found.get(keys[1])),
    )
    now = timezone.now()
    for key in keys[2:]:
        cached = found.get(key)
        fresh = cached is not None and cached[0] == versions
        if fresh and (cached[1].valid_until is None or cached[1].valid_until > now):
            return cached[1]
    snapshot = compute(tenant_id, now)
    timeout = SNAPSHOT_TTL.total_seconds()
    if snapshot.valid_until is not None:
        timeout = max(1, min(timeout, (snapshot.valid_until - now).total_seconds()))
    cache.set(keys[2], (versions, snapshot), timeout)
    return snapshot


def entitlements_get(tenant, *, cache=None) -> Entitlements:
    """The tenant's effective entitlements: one cache round trip when warm."""
    return _cached(tenant, "full", entitlements_compute, cache)


@dataclass(frozen=True)
class Access(_AccessStateFlags):
    """The access state alone: what the read-only guard needs, one query when cold."""

    access_state: str
    read_only_until: datetime | None
    valid_until: datetime | None = None


def _access_compute(tenant_id: str, now: datetime) -> Access:
    from apps.billing.selectors import access_state_get

    state, until = access_state_get(tenant_id)
    return Access(state, until)


def access_get(tenant, *, cache=None) -> Access | Entitlements:
    """The tenant's access state (active / read_only / blocked), from the full snapshot when
    that is cached, else from its own small one."""
    return _cached(tenant, "access", _access_compute, cache, fallback="full")


def plan_catalogue(cache=None) -> tuple:
    """The plans on sale, cached until staff edit the catalogue."""
    from apps.billing.selectors import plan_list_public

    cache = cache or caches["default"]
    version = _version(cache, _CATALOGUE_VERSION, cache.get(_CATALOGUE_VERSION))
    key = f"ent:plans:{version}"
    plans = cache.get(key)
    if plans is None:
        plans = tuple(plan_list_public())
        cache.set(key, plans, SNAPSHOT_TTL.total_seconds())
    return plans


def entitlements_for_request(request, tenant=None) -> Entitlements | None:
    """The entitlements of the request's tenant (or of `tenant`), read once per request: the
    access middleware, guards, context processor and quota share one cache round trip."""
    request = getattr(request, "_request", request)  # DRF's Request wraps the HttpRequest
    tenant = tenant if tenant is not None else getattr(request, "tenant", None)
    if tenant is None:
        return None
    tenant_id = str(getattr(tenant, "pk", tenant))
    cached = getattr(request, "_fastlead_entitlements", None)
    if cached is not None and cached.tenant_id == tenant_id:
        return cached
    request._fastlead_entitlements = entitlements_get(tenant_id)
    return request._fastlead_entitlements


def remember_for_request(request, snapshot) -> None:
    """Keep a snapshot read elsewhere (the access middleware) for the rest of the request."""
    if isinstance(snapshot, Entitlements):
        getattr(request, "_request", request)._fastlead_entitlements = snapshot


def entitlements_invalidate(tenant, *, cache=None) -> None:
    """Make every process recompute the tenant's entitlements, once the change commits."""
    _bump(cache or caches["default"], _VERSION.format(getattr(tenant, "pk", tenant)))


def entitlements_invalidate_all(*, cache=None) -> None:
    """The plan catalogue changed: every tenant's snapshot is stale."""
    _bump(cache or caches["default"], _CATALOGUE_VERSION)


def _bump(cache, key: str) -> None:
    # Now, so that this transaction's own later reads recompute; and again after commit, so
    # that a snapshot another process computed from the old rows meanwhile is dropped too.
    cache.set(key, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(key, uuid.uuid4().hex, None), robust=True)


def tenant_id_from_ref(ref) -> str | None:
    """A tenant id from a URL's tenant reference (UUID or slug); slugs are cached."""
    try:
        return str(uuid.UUID(str(ref)))
    except ValueError:
        pass
    cache = caches["default"]
    key = f"tenant-slug:{ref}"
    tenant_id = cache.get(key)
    if tenant_id is None:
        tenant_id = Tenant.objects.filter(slug=str(ref)).values_list("pk", flat=True).first()
        if tenant_id is None:
            return None
        cache.set(key, str(tenant_id), 3600)
    return str(tenant_id)


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
