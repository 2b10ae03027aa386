from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.core.errors import Conflict, PermissionDenied, ValidationFailed
from apps.tenants import services
from apps.tenants.keys import publishable_key_get_or_create, widget_tenant_resolve
from apps.tenants.limits import PlanLimitReached, owned_tenants
from apps.tenants.models import Invitation, Membership, Tenant
from apps.tenants.roles import Role
from apps.tenants.tasks import send_invitation_email_task
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_tenant_create_makes_creator_admin_and_transliterates_slug():
    user = UserFactory()
    tenant = services.tenant_create(
        user=user, name="Ромашка Плюс", allowed_origins=["https://Shop.Example.com/"]
    )
    assert tenant.slug == "romashka-plyus"
    assert tenant.allowed_origins == ["https://shop.example.com"]
    membership = Membership.objects.for_tenant(tenant).get()
    assert (membership.user, membership.role) == (user, Role.ADMIN)


def test_tenant_create_gives_unique_slugs():
    first = services.tenant_create(user=UserFactory(), name="Acme")
    second = services.tenant_create(user=UserFactory(), name="Acme")
    assert first.slug == "acme" and second.slug == "acme-2"


def test_tenant_create_refuses_a_second_own_company_on_the_trial_with_403():
    user = UserFactory()
    services.tenant_create(user=user, name="First")
    with pytest.raises(PlanLimitReached) as err:
        services.tenant_create(user=user, name="One too many")
    assert err.value.status_code == 403 and err.value.code == "tenant_limit_reached"
    assert err.value.extra["limit"] == 1 and err.value.extra["plan"] == "pro"
    assert Tenant.objects.count() == 1


@pytest.mark.parametrize("origin", ["example.com", "ftp://example.com", "https://x.com/path", ""])
def test_tenant_create_rejects_bad_origins_and_writes_nothing(origin):
    with pytest.raises(ValidationFailed) as err:
        services.tenant_create(user=UserFactory(), name="Acme", allowed_origins=[origin])
    assert "allowed_origins" in err.value.fields
    assert not Tenant.objects.exists()


def test_tenant_update_is_admin_only(tenant, admin_user, operator_user):
    services.tenant_update(tenant=tenant, actor=admin_user, name="New name")
    assert Tenant.objects.get(pk=tenant.pk).name == "New name"
    with pytest.raises(PermissionDenied):
        services.tenant_update(tenant=tenant, actor=operator_user, name="Hijack")


def test_invitation_create_sends_mail_with_token_and_stores_only_its_hash(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = services.invitation_create(
            tenant=tenant, actor=admin_user, email="New@Example.com", role=Role.OPERATOR
        )
    assert invitation.email == "new@example.com"
    assert token not in invitation.token_hash
    assert len(mail.outbox) == 1
    assert token in mail.outbox[0].body
    assert mail.outbox[0].to == ["new@example.com"]


def test_reinviting_replaces_the_old_token(tenant, admin_user):
    first, old_token = services.invitation_create(
        tenant=tenant, actor=admin_user, email="a@example.com", role=Role.ANALYST
    )
    second, new_token = services.invitation_create(
        tenant=tenant, actor=admin_user, email="A@example.com", role=Role.OPERATOR
    )
    assert first.pk == second.pk and old_token != new_token
    assert Invitation.objects.for_tenant(tenant).count() == 1
    with pytest.raises(ValidationFailed) as err:
        services.invitation_check(old_token)
    assert err.value.code == "invitation_invalid"
    assert services.invitation_check(new_token).role == Role.OPERATOR


def test_inviting_an_existing_member_conflicts(tenant, admin_user, operator_user):
    with pytest.raises(Conflict) as err:
        services.invitation_create(
            tenant=tenant, actor=admin_user, email=operator_user.email.upper(), role=Role.ANALYST
        )
    assert err.value.code == "already_member"


def test_only_admins_invite(tenant, operator_user):
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            tenant=tenant, actor=operator_user, email="x@example.com", role=Role.ANALYST
        )


def test_invitation_accept_creates_membership_once(tenant, admin_user):
    _, token = services.invitation_create(
        tenant=tenant, actor=admin_user, email="joiner@example.com", role=Role.ANALYST
    )
    joiner = UserFactory(email="joiner@example.com")
    membership = services.invitation_accept(token=token, user=joiner)
    assert (membership.tenant, membership.role) == (tenant, Role.ANALYST)
    with pytest.raises(Conflict) as err:
        services.invitation_accept(token=token, user=joiner)
    assert err.value.code == "invitation_used"


def test_invitation_accept_refuses_expired_token(tenant, admin_user):
    invitation, token = services.invitation_create(
        tenant=tenant, actor=admin_user, email="late@example.com", role=Role.ANALYST
    )
    Invitation.objects.unscoped().filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(ValidationFailed) as err:
        services.invitation_accept(token=token, user=UserFactory(email="late@example.com"))
    assert err.value.code == "invitation_expired"
    assert not Membership.objects.for_tenant(tenant).filter(user__email="late@example.com").exists()


def test_invitation_accept_refuses_wrong_email(tenant, admin_user):
    _, token = services.invitation_create(
        tenant=tenant, actor=admin_user, email="right@example.com", role=Role.ANALYST
    )
    with pytest.raises(PermissionDenied) as err:
        services.invitation_accept(token=token, user=UserFactory(email="wrong@example.com"))
    assert err.value.code == "invitation_wrong_email"


def test_joining_by_invitation_does_not_count_against_the_company_limit(tenant, admin_user):
    # given: someone who owns as many companies as their trial allows
    joiner = UserFactory(email="busy@example.com")
    services.tenant_create(user=joiner, name="Own")
    _, token = services.invitation_create(
        tenant=tenant, actor=admin_user, email="busy@example.com", role=Role.ANALYST
    )
    # when / then: they still join by invitation, and it does not use up their own limit
    services.invitation_accept(token=token, user=joiner)
    assert Membership.objects.for_tenant(tenant).filter(user=joiner).exists()
    assert [t.name for t in owned_tenants(joiner)] == ["Own"]


def test_last_admin_cannot_be_demoted_or_leave(tenant, admin_user):
    membership = Membership.objects.for_tenant(tenant).get(user=admin_user)
    with pytest.raises(Conflict) as err:
        services.membership_change_role(
            tenant=tenant, actor=admin_user, membership=membership, role=Role.OPERATOR
        )
    assert err.value.code == "last_admin"
    with pytest.raises(Conflict):
        services.membership_remove(tenant=tenant, actor=admin_user, membership=membership)
    assert Membership.objects.for_tenant(tenant).get(user=admin_user).role == Role.ADMIN


def test_admin_can_step_down_once_another_admin_exists(tenant, admin_user):
    other = MembershipFactory(tenant=tenant, role=Role.ADMIN)
    mine = Membership.objects.for_tenant(tenant).get(user=admin_user)
    services.membership_change_role(
        tenant=tenant, actor=admin_user, membership=mine, role=Role.ANALYST
    )
    with pytest.raises(Conflict):
        services.membership_remove(tenant=tenant, actor=other.user, membership=other)


def test_member_can_leave_but_not_remove_others(tenant, operator_user, analyst_user):
    analyst = Membership.objects.for_tenant(tenant).get(user=analyst_user)
    with pytest.raises(PermissionDenied):
        services.membership_remove(tenant=tenant, actor=operator_user, membership=analyst)
    services.membership_remove(tenant=tenant, actor=analyst_user, membership=analyst)
    assert not Membership.objects.for_tenant(tenant).filter(user=analyst_user).exists()


def test_admin_of_another_tenant_cannot_touch_this_team(tenant, operator_user, outsider):
    membership = Membership.objects.for_tenant(tenant).get(user=operator_user)
    with pytest.raises(PermissionDenied):
        services.membership_change_role(
            tenant=tenant, actor=outsider, membership=membership, role=Role.ADMIN
        )


def test_changing_allowed_origins_reaches_the_widget_at_once(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    key = publishable_key_get_or_create(tenant).key
    assert widget_tenant_resolve(key).allowed_origins == ("https://example.com",)  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        services.tenant_update(
            tenant=tenant, actor=admin_user, allowed_origins=["https://new.example.com"]
        )
    assert widget_tenant_resolve(key).allowed_origins == ("https://new.example.com",)


def test_invitation_mail_task_skips_a_token_that_was_replaced(tenant, admin_user):
    invitation, old_token = services.invitation_create(
        tenant=tenant, actor=admin_user, email="slow@example.com", role=Role.ANALYST
    )
    services.invitation_create(
        tenant=tenant, actor=admin_user, email="slow@example.com", role=Role.ANALYST
    )
    mail.outbox.clear()
    send_invitation_email_task.delay(str(tenant.id), invitation.pk, old_token)
    assert mail.outbox == []
