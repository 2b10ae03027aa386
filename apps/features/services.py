"""Every write to tool overrides. Each one records history, writes an audit row and invalidates
the cache."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import NotFound, ValidationFailed
from apps.core.events import log_event
from apps.features.models import HistoryAction, OverrideMode, TenantFeature, TenantFeatureHistory
from apps.features.registry import is_tool
from apps.features.selectors import entitlements_invalidate, overrides_expired
from apps.tenants.audit import audit_record
from apps.tenants.models import AuditAction


def override_validate(feature: str, mode: str, reason: str, expires_at: datetime | None) -> None:
    """Raise ValidationFailed with field errors for an override that cannot be saved."""
    errors: dict[str, list[str]] = {}
    if not is_tool(feature):
        errors["feature"] = [_("Unknown tool.")]
    if mode not in OverrideMode.values:
        errors["mode"] = [_("Choose grant, trial or revoke.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Say why (it is kept in the history).")]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("The expiry must be in the future.")]
    if mode == OverrideMode.TRIAL and expires_at is None:
        errors["expires_at"] = [_("A trial needs an end date.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)


def _history(tenant, feature: str, action: str, actor, **fields) -> None:
    TenantFeatureHistory.objects.create(
        tenant=tenant, feature=feature, action=action, actor=actor, **fields
    )


def _state(override: TenantFeature | None) -> dict | None:
    if override is None:
        return None
    return {"mode": override.mode, "expires_at": override.expires_at, "reason": override.reason}


def _audit(tenant, feature: str, action: str, actor, before=None, after=None) -> None:
    target = ("features.tenantfeature", feature)  # the tool key: a row per override comes and goes
    audit_record(
        tenant=tenant, actor=actor, action=action, target=target, before=before, after=after
    )


def _current(tenant, feature: str) -> TenantFeature | None:
    return TenantFeature.objects.for_tenant(tenant).filter(feature=feature).first()


@transaction.atomic
def tenant_feature_set(
    *,
    tenant,
    feature: str,
    mode: str,
    reason: str,
    actor=None,
    expires_at: datetime | None = None,
) -> TenantFeature:
    """Grant, trial or revoke one tool for a tenant, whatever its plan says.

    The override survives plan changes; with `expires_at` it lapses on time (the snapshot
    stops counting it at that instant, and a beat task removes it and records the expiry).
    """
    override_validate(feature, mode, reason, expires_at)
    reason = reason.strip()[:500]
    before = _state(_current(tenant, feature))
    override, _created = TenantFeature.objects.for_tenant(tenant).update_or_create(
        tenant=tenant,
        feature=feature,
        defaults={
            "mode": mode,
            "expires_at": expires_at,
            "reason": reason,
            "created_by": actor,
        },
    )
    _history(
        tenant,
        feature,
        HistoryAction.SET,
        actor,
        mode=mode,
        expires_at=expires_at,
        reason=reason,
    )
    _audit(tenant, feature, AuditAction.FEATURE_OVERRIDE_SET, actor, before, _state(override))
    log_event(
        "feature_override_set",
        tenant_id=str(tenant.pk),
        feature=feature,
        mode=mode,
        actor_id=getattr(actor, "pk", None),
        expires_at=expires_at.isoformat() if expires_at else None,
    )
    entitlements_invalidate(tenant)
    return override


@transaction.atomic
def tenant_feature_remove(*, tenant, feature: str, reason: str = "", actor=None) -> None:
    """Drop an override: the tool follows the plan again."""
    before = _state(_current(tenant, feature))
    deleted, _rows = TenantFeature.objects.for_tenant(tenant).filter(feature=feature).delete()
    if not deleted:
        raise NotFound(_("This company has no override for this tool."))
    _history(tenant, feature, HistoryAction.REMOVED, actor, reason=(reason or "").strip()[:500])
    _audit(tenant, feature, AuditAction.FEATURE_OVERRIDE_REMOVED, actor, before)
    log_event(
        "feature_override_removed",
        tenant_id=str(tenant.pk),
        feature=feature,
        actor_id=getattr(actor, "pk", None),
    )
    entitlements_invalidate(tenant)


def tenant_features_expire(now: datetime | None = None) -> int:
    """Remove every override past its expiry, record it, invalidate. Safe to run twice and
    on two workers at once: each row is claimed by its delete."""
    now = now or timezone.now()
    expired = 0
    for override in overrides_expired(now).select_related("tenant").order_by("pk")[:1000]:
        with transaction.atomic():
            claimed, _rows = (
                TenantFeature.objects.unscoped()
                .filter(pk=override.pk, expires_at=override.expires_at, expires_at__lte=now)
                .delete()
            )
            if not claimed:
                continue  # renewed or removed meanwhile, or another worker took it
            _history(
                override.tenant,
                override.feature,
                HistoryAction.EXPIRED,
                None,
                mode=override.mode,
                expires_at=override.expires_at,
                reason=override.reason,
            )
            _audit(
                override.tenant,
                override.feature,
                AuditAction.FEATURE_OVERRIDE_EXPIRED,
                None,
                _state(override),
            )
            log_event(
                "feature_override_expired",
                tenant_id=str(override.tenant_id),
                feature=override.feature,
                mode=override.mode,
            )
            entitlements_invalidate(override.tenant)
            expired += 1
    return expired
