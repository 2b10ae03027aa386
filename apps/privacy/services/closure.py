"""Closing a company: its admin closes it (the subscription is canceled at the end of its
period through billing), it stays read-only for 30 days (apps/privacy/middleware.py) with its
full export on offer, then a beat task deletes it for good; the platform audit log keeps that it
happened. Staff may restore it within the 30 days (admin action)."""

from __future__ import annotations

import structlog
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.services.subscription_actions import (
    subscription_cancel,
    subscription_reactivate,
)
from apps.core import private_files
from apps.core.errors import ApplicationError, Conflict
from apps.payments.invoice_pdf import invoice_pdfs_stored
from apps.payments.services.retention import tenant_records_retain
from apps.privacy.flags import COMPANY_CLOSED
from apps.privacy.models import CLOSURE_GRACE, ClosureStatus, TenantClosure, TenantExport
from apps.privacy.services.company_archive import tenant_files, tenant_models
from apps.tenants.audit import AuditAction, audit_record
from apps.tenants.models import Tenant

logger = structlog.get_logger("fastlead.privacy.closure")


def closure_get(tenant) -> TenantClosure | None:
    return TenantClosure.objects.for_tenant(tenant).first()


def tenant_is_closed(tenant_id) -> bool:
    """Cached (the widget asks on every submission); forgotten when a closure changes."""
    return COMPANY_CLOSED.get(tenant_id)


def _forget(tenant_id) -> None:
    COMPANY_CLOSED.invalidate(tenant_id)  # now and after commit


def _billing(call, **kwargs) -> str:
    """Billing's own answer: "done", or why it did nothing (a trial, already canceled...)."""
    try:
        with transaction.atomic():
            call(**kwargs)
    except ApplicationError as error:
        return error.code
    return "done"


@transaction.atomic
def company_close(*, tenant, actor, request=None) -> TenantClosure:
    """Close the company: read-only from now, deleted for good after 30 days."""
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
    closure = closure_get(tenant)
    if closure is not None and closure.is_closed:
        raise Conflict(_("The company is already closed."), "already_closed")
    now = timezone.now()
    billing = _billing(subscription_cancel, tenant=tenant, actor=actor, at_period_end=True)
    closure = closure or TenantClosure(tenant=tenant)
    closure.status = ClosureStatus.CLOSED
    closure.closed_at = now
    closure.delete_after = now + CLOSURE_GRACE
    closure.closed_by = actor if not getattr(actor, "is_api_key", False) else None
    closure.restored_at = closure.restored_by = None
    closure.save()
    _forget(tenant.pk)
    audit_record(
        tenant=tenant,
        actor=actor,
        action=AuditAction.COMPANY_CLOSED,
        target=tenant,
        after={"delete_after": closure.delete_after, "subscription": billing},
        request=request,
    )
    return closure


@transaction.atomic
def company_restore(*, closure: TenantClosure, actor) -> TenantClosure:
    """Staff: open a closed company again (its canceled subscription resumes when it can)."""
    if not closure.is_closed:
        raise Conflict(_("The company is not closed."), "not_closed")
    tenant = closure.tenant
    billing = _billing(subscription_reactivate, tenant=tenant, actor=actor)
    closure.status = ClosureStatus.RESTORED
    closure.restored_at = timezone.now()
    closure.restored_by = actor
    closure.save(update_fields=["status", "restored_at", "restored_by"])
    _forget(tenant.pk)
    audit_record(
        tenant=tenant,
        actor=actor,
        action=AuditAction.COMPANY_RESTORED,
        target=tenant,
        after={"subscription": billing},
    )
    return closure


def closed_companies_delete(now=None) -> int:
    """Delete for good every company closed more than 30 days ago (beat). Idempotent."""
    now = now or timezone.now()
    due = TenantClosure.objects.unscoped().filter(
        status=ClosureStatus.CLOSED, delete_after__lte=now
    )
    deleted = 0
    for closure in due.select_related("tenant"):
        company_delete(closure)
        deleted += 1
    return deleted


def _files_of(tenant) -> list[str]:
    """Stored files of the company: its rows' files and its full exports."""
    exports = TenantExport.objects.unscoped().filter(tenant=tenant).exclude(file="")
    return tenant_files(tenant.pk) + list(exports.values_list("file", flat=True))


def _rows_delete(tenant_id) -> None:
    """Delete the company's rows table by table. PROTECT foreign keys between its own rows
    (a billing line's rate card) stop one cascade from the tenant: a protected table waits
    for the pass after the rows that point at it are gone."""
    remaining = tenant_models()
    for _pass in range(len(remaining) + 1):
        blocked = []
        for model in remaining:
            try:
                with transaction.atomic():
                    model._base_manager.filter(tenant_id=tenant_id).delete()
            except (ProtectedError, RestrictedError):
                blocked.append(model)
        if not blocked or len(blocked) == len(remaining):
            return
        remaining = blocked


@transaction.atomic
def company_delete(closure: TenantClosure) -> None:
    """Every row of the company goes (the foreign keys cascade from the tenant), except the
    accounting records the law makes the seller keep: its invoices and the payments and
    refunds they record are detached first, kept until their `retain_until`, without the
    personal contacts accounting does not need (apps/payments/services/retention.py). The
    platform audit row (no tenant) keeps who closed it, when, and that it is gone."""
    tenant = closure.tenant
    files = _files_of(tenant) + invoice_pdfs_stored(tenant.pk)
    kept = tenant_records_retain(tenant.pk)
    audit_record(
        tenant=None,
        actor=None,
        action=AuditAction.COMPANY_DELETED,
        target=("tenants.tenant", tenant.pk),
        after={
            "name": tenant.name,
            "slug": tenant.slug,
            "closed_at": closure.closed_at,
            "closed_by": closure.closed_by_id,
            "kept_for_accounting": kept,
        },
    )
    _rows_delete(tenant.pk)
    Tenant.objects.filter(pk=tenant.pk).delete()
    _forget(tenant.pk)
    transaction.on_commit(lambda: [private_files.delete(name) for name in files])
    logger.info("company_deleted", tenant_id=str(tenant.pk))
