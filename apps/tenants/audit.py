"""The one audit log: `audit_record(...)` writes who did what to which object, with the state
before and after, in the caller's transaction (so a rolled-back change leaves no row).

    audit_record(tenant=tenant, actor=user, action=AuditAction.MEMBER_ROLE_CHANGED,
                 target=membership, before={"role": "operator"}, after={"role": "admin"})

`target` is a model instance (its label and pk are stored) or a `(type, id)` pair for things
that are not rows (a tool key). `actor` is a user, an API key principal (anything with
`is_api_key`), or None for the system. before/after are small dicts (dates, decimals and
UUIDs allowed) holding no secrets and no personal data beyond ids and roles.
"""

from __future__ import annotations

from typing import Any

from apps.core.net import client_ip
from apps.tenants.models import AuditAction, AuditLogEntry, Tenant

__all__ = [
    "STAFF_ACCESS_ACTIONS",
    "AuditAction",
    "AuditLogEntry",
    "audit_log",
    "audit_record",
    "staff_access_log",
    "staff_access_record",
]

# What the tenant's admins see on their "Staff access" page.
STAFF_ACCESS_ACTIONS = (AuditAction.STAFF_VIEWED, AuditAction.STAFF_VIEWED_EXPORT)


def _target(target) -> tuple[str, str]:
    if isinstance(target, tuple):
        kind, ident = target
        return str(kind), str(ident)
    return target._meta.label_lower, str(target.pk)


def _actor(actor) -> tuple[Any, str]:
    if actor is None:
        return None, "system"
    if getattr(actor, "is_api_key", False):
        return None, f"api key {getattr(actor, 'pk', '')}".strip()
    if not getattr(actor, "is_authenticated", False):
        return None, "anonymous"
    return actor, getattr(actor, "email", "") or str(actor.pk)


def audit_record(
    *,
    tenant: Tenant | None,
    actor,
    action: str,
    target,
    before: dict | None = None,
    after: dict | None = None,
    request=None,
) -> AuditLogEntry:
    """Append one audit row. `action` is an `AuditAction`; `request` (optional) adds the
    client's address."""
    if action not in AuditAction.values:
        raise ValueError(f"Unknown audit action {action!r}")
    user, label = _actor(actor)
    target_type, target_id = _target(target)
    return AuditLogEntry.objects.create(
        tenant=tenant,
        actor=user,
        actor_label=label[:200],
        action=action,
        target_type=target_type,
        target_id=target_id[:64],
        before=before,
        after=after,
        ip=(client_ip(request) or None) if request is not None else None,
    )


def audit_log(tenant: Tenant):
    """A tenant's audit rows, newest first (never another tenant's)."""
    return AuditLogEntry.objects.for_tenant(tenant).select_related("actor")


def staff_access_record(
    *, request, obj, action: str = AuditAction.STAFF_VIEWED
) -> AuditLogEntry | None:
    """A staff member opened `obj` (a tenant's row holding personal data) in the staff
    console: who, which object, when, from where. Only the object's type and id are kept."""
    user = request.user
    tenant_id = getattr(obj, "tenant_id", None)
    if not (getattr(user, "is_staff", False) and tenant_id):
        return None
    return audit_record(
        tenant=Tenant(pk=tenant_id),
        actor=user,
        action=action,
        target=obj,
        after={"page": "admin"},
        request=request,
    )


def staff_list_access_record(*, request, rows) -> int:
    """A staff member saw a page of a list of tenants' rows holding personal data (names and
    addresses in its columns): one audit row per tenant on the page, naming the model and the
    ids shown. Returns how many rows were written."""
    user = request.user
    if not getattr(user, "is_staff", False):
        return 0
    shown: dict[Any, list[str]] = {}
    for row in rows:
        if getattr(row, "tenant_id", None):
            shown.setdefault(row.tenant_id, []).append(str(row.pk))
    for tenant_id, ids in shown.items():
        label = rows[0]._meta.label_lower
        audit_record(
            tenant=Tenant(pk=tenant_id),
            actor=user,
            action=AuditAction.STAFF_VIEWED,
            target=(label, ",".join(ids)),
            after={"page": "admin list", "ids": ids},
            request=request,
        )
    return len(shown)


def staff_access_log(tenant: Tenant):
    """The staff console's openings of the tenant's personal data, newest first."""
    return audit_log(tenant).filter(action__in=STAFF_ACCESS_ACTIONS)
