"""What the tenant's plan allows right now, cached per tenant: billing's own snapshot.

`plan_limits_get(tenant)` answers from billing's rows alone: the plan, the subscription
status and trial end, the access state (active / read_only / blocked), the lead quota and
the member and company limits, and the current usage period. The quota, the read-only
middleware and billing's pages read it; features builds its entitlements (tools) on top of
it. No query when the cache is warm (see `apps.core.snapshots`).

Cache layout (the Django cache: Redis in production, a file cache shared by every local
process in the embedded default):

    plan-limits:ver:<tenant>       a token, replaced on every change of that tenant's billing
    plans:ver                      a token, replaced when staff edit the plan catalogue
    plans:list                     (catalogue token, the plans on sale)
    plan-limits:2:full:<tenant>    PlanLimits
    plan-limits:2:access:<tenant>  Access, for the read-only guard

Every change goes through `subscription_changed` / `access_state_changed` /
`plan_catalogue_changed`: they drop billing's snapshot and emit the typed event that the
apps above (features' entitlements) subscribe to.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import caches
from django.utils import timezone
from django.utils.translation import get_language

from apps.billing import selectors
from apps.billing.events import AccessStateChanged, PlanCatalogueChanged, SubscriptionChanged
from apps.billing.models import AccessState, LimitMode, Plan
from apps.core.events import emit
from apps.core.snapshots import snapshot_get, version_bump, version_get
from apps.tenants.models import Tenant

SNAPSHOT_TTL = timedelta(minutes=10)  # a safety net; invalidation is what makes it fresh
_SNAPSHOT = "plan-limits:2:{}:{}"  # kind, tenant
_VERSION = "plan-limits:ver:{}"
CATALOGUE_VERSION = "plans:ver"
_REQUEST_ATTR = "_fastlead_plan_limits"


class AccessFlags:
    """is_active / is_read_only / is_blocked from an `access_state` attribute."""

    access_state: str

    @property
    def is_active(self) -> bool:
        return self.access_state == AccessState.ACTIVE

    @property
    def is_read_only(self) -> bool:
        return self.access_state == AccessState.READ_ONLY

    @property
    def is_blocked(self) -> bool:
        return self.access_state == AccessState.BLOCKED


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


def plan_ref(plan: Plan | None) -> PlanRef | None:
    return PlanRef(plan.code, plan.name_ru, plan.name_en) if plan else None


@dataclass(frozen=True, kw_only=True)
class PlanLimits(AccessFlags):
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
    plan_tools: tuple[str, ...] = ()  # Plan.tools as stored; features knows what they mean
    lift_plan: PlanRef | None = None  # the cheapest plan on sale with a higher lead limit
    valid_until: datetime | None = None
    max_channels: int | None = None  # connected channels (apps.channels); None = unlimited

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


@dataclass(frozen=True)
class Access(AccessFlags):
    """The access state alone: what the read-only guard needs, one query when cold."""

    access_state: str
    read_only_until: datetime | None
    valid_until: datetime | None = None


# --- the plan catalogue -----------------------------------------------------------------------


_CATALOGUE = "plans:list"


def plan_catalogue(cache=None) -> tuple[Plan, ...]:
    """The plans on sale, cached until staff edit the catalogue: stored with the catalogue
    token they were read under and read together with the current token (one cache round
    trip — a cold entitlements snapshot reads the catalogue too); a copy under an older
    token is read again."""
    cache = cache or caches["default"]
    found = cache.get_many([CATALOGUE_VERSION, _CATALOGUE])
    token = found.get(CATALOGUE_VERSION) or version_get(cache, CATALOGUE_VERSION)
    cached = found.get(_CATALOGUE)
    if cached is not None and cached[0] == token:
        return cached[1]
    plans = tuple(selectors.plan_list_public())
    cache.set(_CATALOGUE, (token, plans), SNAPSHOT_TTL.total_seconds())
    return plans


# --- the snapshot -----------------------------------------------------------------------------


def plan_limits_compute(tenant, now: datetime | None = None, *, cache=None) -> PlanLimits:
    """Build the snapshot from the database (two queries, three with a cold catalogue). Use
    `plan_limits_get`."""
    now = now or timezone.now()
    tenant_id = str(getattr(tenant, "pk", tenant))
    subscription = selectors.subscription_current(tenant_id)
    # Accounts are created with the first subscription: no subscription, no account query.
    account = selectors.billing_account_get(tenant_id) if subscription is not None else None
    period_start, period_end = selectors.usage_period(subscription, now)
    plan = subscription.plan if subscription else None
    read_only_until = account.read_only_until if account else None
    currency = plan.currency if plan else None
    trialing = subscription is not None and subscription.status == "trialing"
    boundaries = [period_end, read_only_until, subscription.trial_ends_at if trialing else None]
    lift = selectors.cheapest_plan_above(
        plan_catalogue(cache), plan.lead_limit if plan else None, currency
    )
    return PlanLimits(
        tenant_id=tenant_id,
        plan=plan_ref(plan),
        currency=currency,
        subscription_status=subscription.status if subscription else None,
        trial_ends_at=subscription.trial_ends_at if subscription else None,
        access_state=account.access_state if account else AccessState.ACTIVE,
        read_only_until=read_only_until,
        lead_limit=plan.lead_limit if plan else None,
        limit_mode=plan.limit_mode if plan else LimitMode.HARD,
        max_members=plan.max_members if plan else None,
        max_tenants=plan.max_tenants if plan else None,
        max_channels=plan.max_channels if plan else None,
        period_start=period_start,
        period_end=period_end,
        plan_tools=tuple(plan.tools or ()) if plan else (),
        lift_plan=plan_ref(lift),
        valid_until=min(b for b in boundaries if b is not None),
    )


def _keys(tenant, kind: str, *fallbacks: str) -> tuple[list[str], list[str]]:
    tenant_id = str(getattr(tenant, "pk", tenant))
    versions = [_VERSION.format(tenant_id), CATALOGUE_VERSION]
    return versions, [_SNAPSHOT.format(k, tenant_id) for k in (kind, *fallbacks)]


def plan_limits_cache_keys(tenant) -> list[str]:
    """The cache keys `plan_limits_get` reads: a snapshot built on these limits (features'
    entitlements) reads them with its own in one `get_many` and hands them over as `found`,
    so that its cold path costs no extra cache round trip."""
    versions, keys = _keys(tenant, "full")
    return [*versions, *keys]


def plan_limits_get(tenant, *, cache=None, found=None) -> PlanLimits:
    """The tenant's plan, limits, access state and usage period: one cache round trip when
    warm (none when `found` holds what `plan_limits_cache_keys` names, read by the caller)."""
    cache = cache or caches["default"]
    versions, keys = _keys(tenant, "full")
    return snapshot_get(
        cache,
        versions=versions,
        keys=keys,
        compute=lambda now: plan_limits_compute(tenant, now, cache=cache),
        ttl=SNAPSHOT_TTL.total_seconds(),
        found=found,
    )


def _access_compute(tenant) -> Access:
    state, until = selectors.access_state_get(tenant)
    return Access(state, until)


def access_get(tenant, *, cache=None) -> Access | PlanLimits:
    """The tenant's access state (active / read_only / blocked), from the full snapshot when
    that is cached, else from its own small one."""
    versions, keys = _keys(tenant, "access", "full")
    return snapshot_get(
        cache or caches["default"],
        versions=versions,
        keys=keys,
        compute=lambda now: _access_compute(tenant),
        ttl=SNAPSHOT_TTL.total_seconds(),
    )


def plan_limits_for_request(request, tenant=None) -> PlanLimits | None:
    """The plan limits of the request's tenant (or of `tenant`), read once per request: the
    access middleware, the quota, the context processor and the pages share them."""
    request = getattr(request, "_request", request)  # DRF's Request wraps the HttpRequest
    tenant = tenant if tenant is not None else getattr(request, "tenant", None)
    if tenant is None:
        return None
    tenant_id = str(getattr(tenant, "pk", tenant))
    cached = getattr(request, _REQUEST_ATTR, None)
    if cached is not None and cached.tenant_id == tenant_id:
        return cached
    setattr(request, _REQUEST_ATTR, plan_limits_get(tenant_id))
    return getattr(request, _REQUEST_ATTR)


def remember_for_request(request, snapshot) -> None:
    """Keep a full snapshot read elsewhere (the access middleware, or an app's richer
    snapshot built on these limits) for the rest of the request."""
    if isinstance(snapshot, PlanLimits):
        setattr(getattr(request, "_request", request), _REQUEST_ATTR, snapshot)


# --- changes ----------------------------------------------------------------------------------


def plan_limits_invalidate(tenant, *, cache=None) -> None:
    """Make every process recompute the tenant's plan limits (now and once the change
    commits). Billing's services call `subscription_changed` / `access_state_changed`."""
    version_bump(cache or caches["default"], _VERSION.format(getattr(tenant, "pk", tenant)))


def subscription_changed(tenant) -> None:
    """The tenant's subscription changed: drop its snapshot and tell the apps above."""
    plan_limits_invalidate(tenant)
    emit(SubscriptionChanged(tenant_id=str(getattr(tenant, "pk", tenant))))


def access_state_changed(tenant) -> None:
    """The tenant's access state changed: drop its snapshot and tell the apps above."""
    plan_limits_invalidate(tenant)
    emit(AccessStateChanged(tenant_id=str(getattr(tenant, "pk", tenant))))


def plan_catalogue_changed(plan: Plan) -> None:
    """Staff edited a plan: every tenant's snapshot is stale; tell the apps above."""
    version_bump(caches["default"], CATALOGUE_VERSION)
    emit(PlanCatalogueChanged(plan_code=plan.code))


# --- tenant references in URLs ------------------------------------------------------------------


def tenant_id_from_ref(ref) -> str | None:
    """A tenant id from a URL's tenant reference (UUID or slug); slugs are cached. (The
    access middleware resolves API tenants before the view does; features' guards too.)"""
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
