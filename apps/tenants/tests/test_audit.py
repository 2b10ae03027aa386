"""The audit log: each wired action writes exactly one row with before/after; rows are
tenant-scoped; the staff console shows them read-only."""

import pytest
from django.urls import reverse

from apps.core.errors import Conflict
from apps.tenants import keys, services
from apps.tenants.audit import audit_log, audit_record
from apps.tenants.models import AuditAction, AuditLogEntry, Membership
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from tests.factories import MembershipFactory, UserFactory
from tests.staff import staff_login

pytestmark = pytest.mark.django_db


def _rows(tenant, action=None):
    rows = AuditLogEntry.objects.for_tenant(tenant)
    return list(rows.filter(action=action) if action else rows)


def test_a_role_change_writes_one_row_with_before_and_after(tenant, admin_user):
    member = MembershipFactory(tenant=tenant, role=Role.OPERATOR)
    services.membership_change_role(
        tenant=tenant, actor=admin_user, membership=member, role=Role.ANALYST
    )
    [row] = _rows(tenant)
    assert (row.action, row.actor, row.actor_label) == (
        AuditAction.MEMBER_ROLE_CHANGED,
        admin_user,
        admin_user.email,
    )
    assert (row.target_type, row.target_id) == ("tenants.membership", str(member.pk))
    assert row.before == {"user_id": member.user_id, "role": Role.OPERATOR}
    assert row.after == {"user_id": member.user_id, "role": Role.ANALYST}


def test_a_refused_change_writes_nothing(tenant, admin_user):
    with pytest.raises(Conflict):
        services.membership_change_role(
            tenant=tenant,
            actor=admin_user,
            membership=Membership.objects.for_tenant(tenant).get(user=admin_user),
            role=Role.OPERATOR,
        )
    assert _rows(tenant) == []


def test_member_removal_writes_one_row(tenant, admin_user):
    member = MembershipFactory(tenant=tenant, role=Role.OPERATOR)
    services.membership_remove(tenant=tenant, actor=admin_user, membership=member)
    [row] = _rows(tenant)
    assert row.action == AuditAction.MEMBER_REMOVED
    assert row.before == {"user_id": member.user_id, "role": Role.OPERATOR}
    assert row.after is None


def test_api_key_create_and_revoke_write_one_row_each(tenant, admin_user):
    key, _raw = keys.api_key_create(tenant=tenant, actor=admin_user, name="CRM")
    keys.api_key_revoke(tenant=tenant, actor=admin_user, key_id=key.pk)
    keys.api_key_revoke(tenant=tenant, actor=admin_user, key_id=key.pk)  # idempotent: no row
    created = _rows(tenant, AuditAction.API_KEY_CREATED)
    revoked = _rows(tenant, AuditAction.API_KEY_REVOKED)
    assert len(created) == 1 and len(revoked) == 1
    assert created[0].before is None
    assert created[0].after == {"name": "CRM", "role": Role.OPERATOR, "prefix": key.prefix}
    assert revoked[0].before == {"revoked_at": None} and revoked[0].after["revoked_at"]
    assert {created[0].target_id, revoked[0].target_id} == {str(key.pk)}


def test_widget_key_rotation_writes_one_row(tenant, admin_user):
    old = keys.publishable_key_get_or_create(tenant)
    new = keys.publishable_key_rotate(tenant, actor=admin_user)
    [row] = _rows(tenant)
    assert row.action == AuditAction.WIDGET_KEY_ROTATED
    assert row.before == {"key_ids": [old.pk]} and row.after == {"key_id": new.pk}


def test_the_log_is_tenant_scoped(tenant, other_tenant, admin_user, outsider):
    keys.api_key_create(tenant=tenant, actor=admin_user, name="Ours")
    keys.api_key_create(tenant=other_tenant, actor=outsider, name="Theirs")
    assert [r.after["name"] for r in audit_log(tenant)] == ["Ours"]
    with tenant_scope(tenant):
        assert [r.after["name"] for r in AuditLogEntry.objects.all()] == ["Ours"]


def test_system_and_api_key_actors_are_named(tenant):
    class Principal:
        is_api_key = True
        pk = 7

    row = audit_record(
        tenant=None, actor=None, action=AuditAction.REFUND_CREATED, target=("payment", "p1")
    )
    assert (row.actor, row.actor_label, row.target_type, row.target_id) == (
        None,
        "system",
        "payment",
        "p1",
    )
    row = audit_record(
        tenant=tenant, actor=Principal(), action=AuditAction.APPROVAL_DECIDED, target=tenant
    )
    assert (row.actor, row.actor_label) == (None, "api key 7")
    with pytest.raises(ValueError):
        audit_record(tenant=tenant, actor=None, action="made_up", target=tenant)


def test_the_admin_lists_and_shows_rows_read_only(client, tenant, admin_user):
    key, _raw = keys.api_key_create(tenant=tenant, actor=admin_user, name="CRM")
    staff_login(client, UserFactory(is_staff=True, is_superuser=True))
    listing = client.get(
        reverse("admin:tenants_auditlogentry_changelist"),
        {"action__exact": AuditAction.API_KEY_CREATED, "q": str(key.pk)},
    )
    assert listing.status_code == 200
    assert "api_key_created" in listing.content.decode() or "API key created" in (
        listing.content.decode()
    )
    row = AuditLogEntry.objects.for_tenant(tenant).get()
    detail = client.get(reverse("admin:tenants_auditlogentry_change", args=[row.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert client.get(reverse("admin:tenants_auditlogentry_add")).status_code == 403
    delete = client.post(reverse("admin:tenants_auditlogentry_delete", args=[row.pk]))
    assert delete.status_code == 403
    assert AuditLogEntry.objects.for_tenant(tenant).count() == 1
