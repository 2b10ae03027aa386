"""Tenant API keys (server-to-server, secret) and publishable widget keys (public).

API key: `fl_` + 10-character prefix + secret. The prefix finds the row; only the SHA-256 of the
whole key is stored, so a leaked database reveals no usable key. The full key is returned once,
by `api_key_create`.

Publishable key: `pk_…`, embedded in the tenant's site. It names the tenant and grants nothing
but the public widget API. The key → tenant lookup is cached (one cache read on the widget's hot
path) and invalidated on rotation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

import structlog
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import NotFound, ObjectNotFound, ValidationFailed
from apps.tenants.audit import audit_record
from apps.tenants.models import AuditAction, PublishableKey, Tenant, TenantAPIKey
from apps.tenants.roles import Role

API_KEY_PREFIX = "fl_"
PREFIX_LENGTH = 10
PUBLISHABLE_PREFIX = "pk_"
_ALPHABET = string.ascii_lowercase + string.digits
LAST_USED_RESOLUTION = timedelta(minutes=1)
_PK_CACHE = "widget:pk:v1:"
PK_CACHE_SECONDS = 60  # name/origin edits reach the widget within a minute
logger = structlog.get_logger("fastlead.audit")


# --- tenant API keys ----------------------------------------------------------------------


def hash_api_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


@transaction.atomic
def api_key_create(*, tenant: Tenant, actor, name: str, role: str = Role.OPERATOR):
    """Create a key; returns (row, full key). The full key is never retrievable again."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Name the key."), fields={"name": [_("This field is required.")]})
    if role not in (Role.OPERATOR, Role.ANALYST):
        raise ValidationFailed(
            _("An API key acts as an operator or an analyst."),
            fields={"role": [_("Must be one of: operator, analyst.")]},
        )
    prefix = _random(PREFIX_LENGTH)
    raw = f"{API_KEY_PREFIX}{prefix}{secrets.token_urlsafe(32)}"
    key = TenantAPIKey.objects.create(
        tenant=tenant,
        name=name[:100],
        role=role,
        prefix=prefix,
        key_hash=hash_api_key(raw),
        created_by=actor if getattr(actor, "is_api_key", False) is False else None,
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        action=AuditAction.API_KEY_CREATED,
        target=key,
        after={"name": key.name, "role": key.role, "prefix": key.prefix},
    )
    logger.info("api_key_created", tenant_id=str(tenant.pk), api_key_id=key.pk)
    return key, raw


def api_key_list(tenant: Tenant):
    return TenantAPIKey.objects.for_tenant(tenant).select_related("created_by").order_by("-pk")


def api_key_get(tenant: Tenant, key_id) -> TenantAPIKey:
    try:
        return api_key_list(tenant).get(pk=int(key_id))
    except (TenantAPIKey.DoesNotExist, TypeError, ValueError):
        raise ObjectNotFound() from None


@transaction.atomic
def api_key_revoke(*, tenant: Tenant, actor, key_id) -> TenantAPIKey:
    """Revoke a key (idempotent); requests made with it answer 401 from now on."""
    key = api_key_get(tenant, key_id)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action=AuditAction.API_KEY_REVOKED,
            target=key,
            before={"revoked_at": None},
            after={"revoked_at": key.revoked_at},
        )
        logger.info("api_key_revoked", tenant_id=str(tenant.pk), api_key_id=key.pk)
    return key


def api_key_authenticate(raw: str) -> TenantAPIKey | None:
    """The live key row for a presented key, or None (unknown, malformed, wrong or revoked)."""
    raw = (raw or "").strip()
    if not raw.startswith(API_KEY_PREFIX) or len(raw) < len(API_KEY_PREFIX) + PREFIX_LENGTH + 8:
        return None
    prefix = raw[len(API_KEY_PREFIX) : len(API_KEY_PREFIX) + PREFIX_LENGTH]
    key = TenantAPIKey.objects.unscoped().select_related("tenant").filter(prefix=prefix).first()
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.key_hash, hash_api_key(raw)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        # At most one write a minute per key: the hot path stays read-only.
        TenantAPIKey.objects.unscoped().filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


# --- publishable (widget) keys ------------------------------------------------------------


@dataclass(frozen=True)
class WidgetTenant:
    """What the public widget API needs to know about a key's tenant (cached)."""

    tenant_id: str
    name: str
    allowed_origins: tuple[str, ...]

    def origin_allowed(self, origin: str) -> bool:
        return origin.rstrip("/").lower() in self.allowed_origins

    def as_cache(self) -> list:
        return [self.tenant_id, self.name, list(self.allowed_origins)]


def _new_publishable_key() -> str:
    return PUBLISHABLE_PREFIX + secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")


def publishable_key_live(tenant: Tenant) -> PublishableKey | None:
    """The tenant's live key, or None (nothing is created).

    `tenant_create` issues every tenant its key, and rotation replaces it in one transaction,
    so None means staff revoked it in the admin: the widget is off until an administrator
    issues a new key (rotation). Readers show that; they never create a key."""
    return PublishableKey.objects.for_tenant(tenant).filter(revoked_at__isnull=True).first()


def publishable_key_text(tenant: Tenant) -> str:
    """The live key itself, or "" when there is none (pages then show the no-key notice)."""
    key = publishable_key_live(tenant)
    return key.key if key else ""


def publishable_key_get(tenant: Tenant) -> PublishableKey:
    """The tenant's live key; 404 `no_widget_key` when it has none (see `publishable_key_live`)."""
    key = publishable_key_live(tenant)
    if key is None:
        raise NotFound(no_widget_key_message(), code="no_widget_key")
    return key


def no_widget_key_message() -> str:
    """What readers show a tenant with no live key (translated when shown)."""
    return _(
        "The widget has no live key, so the form on your site does not work. "
        "An administrator can issue a new key."
    )


def publishable_key_get_or_create(tenant: Tenant) -> PublishableKey:
    """The tenant's live key, created if missing. For writers only (tenant creation, page
    publishing, the site seed); a read uses `publishable_key_live` or `publishable_key_get`."""
    key = publishable_key_live(tenant)
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return PublishableKey.objects.create(tenant=tenant, key=_new_publishable_key())
    except IntegrityError:  # a concurrent request created it first
        return PublishableKey.objects.for_tenant(tenant).get(revoked_at__isnull=True)


def publishable_key_rotate(tenant: Tenant, actor=None) -> PublishableKey:
    """Revoke the live key and issue a new one; the old key answers 404 at once."""
    with transaction.atomic():
        old = list(
            PublishableKey.objects.for_tenant(tenant)
            .select_for_update()
            .filter(revoked_at__isnull=True)
        )
        PublishableKey.objects.for_tenant(tenant).filter(pk__in=[k.pk for k in old]).update(
            revoked_at=timezone.now()
        )
        new = PublishableKey.objects.create(tenant=tenant, key=_new_publishable_key())
        audit_record(
            tenant=tenant,
            actor=actor,
            action=AuditAction.WIDGET_KEY_ROTATED,
            target=new,
            before={"key_ids": [k.pk for k in old]},  # ids only: the keys are public, still
            after={"key_id": new.pk},
        )
        stale = [_PK_CACHE + k.key for k in old]
        # Now, and again after commit: a lookup in between may have re-cached the old key.
        cache.delete_many(stale)
        transaction.on_commit(lambda: cache.delete_many(stale))
    logger.info(
        "publishable_key_rotated",
        tenant_id=str(tenant.pk),
        actor_id=getattr(actor, "pk", None) if not getattr(actor, "is_api_key", False) else None,
    )
    return new


def publishable_key_invalidate(tenant: Tenant) -> None:
    """Drop the cached lookup of the tenant's keys (after its name or origins change)."""
    keys = PublishableKey.objects.for_tenant(tenant).values_list("key", flat=True)
    cache.delete_many([_PK_CACHE + k for k in keys])


def _looks_like_publishable_key(key: str) -> bool:
    return key.startswith(PUBLISHABLE_PREFIX) and 8 < len(key) <= 64


def widget_tenant_resolve(key: str) -> WidgetTenant | None:
    """The tenant of a live publishable key (cached), or None for unknown/revoked keys.

    Unknown keys are cached too (as False) so guessing keys costs no database queries.
    """
    if not _looks_like_publishable_key(key):
        return None
    cached = cache.get(_PK_CACHE + key)
    if cached is None:
        cached = _widget_tenant_load(key)
        cache.set(_PK_CACHE + key, cached, PK_CACHE_SECONDS)
    if not cached:
        return None
    return WidgetTenant(cached[0], cached[1], tuple(cached[2]))


def widget_tenant_from_cache(cached) -> WidgetTenant | None:
    if not cached:
        return None
    return WidgetTenant(cached[0], cached[1], tuple(cached[2]))


def widget_tenant_cache_key(key: str) -> str:
    return _PK_CACHE + key


def _widget_tenant_load(key: str):
    row = (
        PublishableKey.objects.unscoped()
        .filter(key=key, revoked_at__isnull=True)
        .values_list("tenant_id", "tenant__name", "tenant__allowed_origins")
        .first()
    )
    if row is None:
        return False
    tenant_id, name, origins = row
    origins = tuple(str(o).rstrip("/").lower() for o in (origins or []))
    return WidgetTenant(str(tenant_id), name, origins).as_cache()


def widget_tenant_load_for_cache(key: str):
    """Load (bypassing the cache) what `widget_tenant_resolve` caches, and cache it."""
    value = _widget_tenant_load(key) if _looks_like_publishable_key(key) else False
    cache.set(_PK_CACHE + key, value, PK_CACHE_SECONDS)
    return value
