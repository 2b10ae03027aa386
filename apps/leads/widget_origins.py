"""Sites that tried to load the widget without being allowed: recorded (at most once an hour
per site, at most MAX_PENDING waiting per tenant, so a flood of fake origins cannot fill the
table), shown to the tenant's administrators, and allowed (added to the tenant's origins,
audited) or dismissed by them."""

from __future__ import annotations

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.core.errors import ObjectNotFound
from apps.leads.models import WidgetOriginAttempt
from apps.tenants.audit import audit_record
from apps.tenants.models import AuditAction, Tenant
from apps.tenants.services import tenant_update

MAX_PENDING = 20
RECORD_EVERY_SECONDS = 3600


def origin_attempt_record(tenant_id: str, origin: str) -> None:
    """Note that `origin` tried to load the tenant's widget (cheap on repeats: one cache add)."""
    if not cache.add(f"widget:refused:{tenant_id}:{origin}", 1, RECORD_EVERY_SECONDS):
        return
    rows = WidgetOriginAttempt.objects.unscoped().filter(tenant_id=tenant_id, origin=origin)
    if rows.update(attempts=F("attempts") + 1, last_seen=timezone.now()):
        return
    pending = WidgetOriginAttempt.objects.unscoped().filter(tenant_id=tenant_id, dismissed=False)
    if pending.count() >= MAX_PENDING:
        return
    try:
        with transaction.atomic():
            WidgetOriginAttempt.objects.create(tenant_id=tenant_id, origin=origin[:200])
    except IntegrityError:  # recorded by a concurrent request
        pass


def origin_attempts_pending(tenant) -> list[WidgetOriginAttempt]:
    return list(
        WidgetOriginAttempt.objects.for_tenant(tenant)
        .filter(dismissed=False)
        .order_by("-last_seen")[:MAX_PENDING]
    )


def _attempt_get(tenant, attempt_id) -> WidgetOriginAttempt:
    try:
        return WidgetOriginAttempt.objects.for_tenant(tenant).get(pk=int(attempt_id))
    except (WidgetOriginAttempt.DoesNotExist, ValueError, TypeError):
        raise ObjectNotFound() from None


@transaction.atomic
def origin_attempt_allow(tenant: Tenant, *, actor, attempt_id, request=None) -> str:
    """Add the site to the tenant's allowed origins (audited) and clear its notice."""
    attempt = _attempt_get(tenant, attempt_id)
    before = list(tenant.allowed_origins or [])
    tenant_update(tenant=tenant, actor=actor, allowed_origins=[*before, attempt.origin])
    audit_record(
        tenant=tenant,
        actor=actor,
        action=AuditAction.WIDGET_ORIGIN_ALLOWED,
        target=tenant,
        before={"allowed_origins": before},
        after={"allowed_origins": tenant.allowed_origins},
        request=request,
    )
    attempt.delete()
    return attempt.origin


def origin_attempt_dismiss(tenant: Tenant, *, attempt_id) -> None:
    attempt = _attempt_get(tenant, attempt_id)
    attempt.dismissed = True
    attempt.save(update_fields=["dismissed"])
