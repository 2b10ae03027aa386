"""Each company's retention settings ("keep conversations N days", empty keeps them) and the
beat task's pass that deletes what is past them, through the rules the apps registered
(apps/core/personal_data.py `register_retention`)."""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.db import transaction
from django.utils import timezone

from apps.core.personal_data import RETENTION_CATEGORIES, retention_rules
from apps.privacy.models import RetentionSettings
from apps.tenants.audit import AuditAction, audit_record

logger = structlog.get_logger("fastlead.privacy.retention")
FIELDS = tuple(f"{category}_days" for category in RETENTION_CATEGORIES)


def retention_get(tenant) -> RetentionSettings:
    """The company's settings (unsaved, all empty, when never set)."""
    found = RetentionSettings.objects.for_tenant(tenant).first()
    return found or RetentionSettings(tenant=tenant)


@transaction.atomic
def retention_update(*, tenant, actor, request=None, **days) -> RetentionSettings:
    """Set the days per category (None keeps the data); audited with before and after."""
    settings = retention_get(tenant)
    before = {name: getattr(settings, name) for name in FIELDS}
    for name in FIELDS:
        if name in days:
            setattr(settings, name, days[name])
    settings.save()
    after = {name: getattr(settings, name) for name in FIELDS}
    if before != after:
        audit_record(
            tenant=tenant,
            actor=actor,
            action=AuditAction.RETENTION_CHANGED,
            target=settings,
            before=before,
            after=after,
            request=request,
        )
    return settings


def retention_apply(now=None) -> dict[str, int]:
    """Delete (or clear) every company's data past its settings; {rule: rows}. Idempotent:
    a second pass at the same time finds nothing."""
    now = now or timezone.now()
    done: dict[str, int] = {}
    for settings in RetentionSettings.objects.unscoped().iterator():
        for category in RETENTION_CATEGORIES:
            days = settings.days(category)
            if days is None:
                continue
            cutoff = now - timedelta(days=days)
            for rule in retention_rules(category):
                with transaction.atomic():
                    count = rule.apply(settings.tenant_id, cutoff)
                if count:
                    done[rule.name] = done.get(rule.name, 0) + count
    if done:
        logger.info("retention_applied", **done)
    return done
