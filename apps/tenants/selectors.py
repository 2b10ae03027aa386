"""Reads of tenants, memberships and invitations."""

import hashlib
import uuid

from django.apps import apps as django_apps

from apps.core.errors import ObjectNotFound
from apps.tenants.audit import staff_access_log
from apps.tenants.models import Invitation, Membership, Tenant


def memberships_for_user(user):
    """Every membership of a user, across tenants (a deliberate cross-tenant read)."""
    return Membership.objects.unscoped().filter(user=user).select_related("tenant")


def tenants_for_user(user):
    ids = memberships_for_user(user).values("tenant_id")
    return Tenant.objects.filter(id__in=ids).order_by("name")


def memberships_for_switcher(user) -> list[Membership]:
    """The user's memberships by tenant name, as the tenant switcher lists them."""
    return list(memberships_for_user(user).order_by("tenant__name"))


def membership_pick(memberships: list[Membership], slug: str) -> Membership:
    """The membership of the tenant with this slug among the user's; 404 when not one."""
    for membership in memberships:
        if membership.tenant.slug == slug:
            return membership
    raise ObjectNotFound()


def membership_resolve(user, tenant_ref) -> Membership:
    """The user's membership in the tenant named by slug or id; 404 when missing or foreign."""
    if not user.is_authenticated:
        raise ObjectNotFound()
    query = memberships_for_user(user)
    try:
        query = query.filter(tenant_id=uuid.UUID(str(tenant_ref)))
    except ValueError:
        query = query.filter(tenant__slug=str(tenant_ref))
    membership = query.first()
    if membership is None:
        raise ObjectNotFound()
    return membership


def team_list(tenant):
    return (
        Membership.objects.for_tenant(tenant)
        .select_related("user")
        .order_by("user__name", "user__email")
    )


def member_get(tenant, user_id) -> Membership:
    try:
        return team_list(tenant).get(user_id=int(user_id))
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise ObjectNotFound() from None


def invitations_pending(tenant):
    return (
        Invitation.objects.for_tenant(tenant)
        .filter(accepted_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created_at")
    )


def invitation_get(tenant, invitation_id) -> Invitation:
    try:
        return Invitation.objects.for_tenant(tenant).get(pk=int(invitation_id))
    except (Invitation.DoesNotExist, ValueError, TypeError):
        raise ObjectNotFound() from None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_by_token(token: str) -> Invitation:
    """Look an invitation up by its secret token (cross-tenant: the token is the key)."""
    invitation = (
        Invitation.objects.unscoped()
        .select_related("tenant", "invited_by")
        .filter(token_hash=hash_token(token or ""))
        .first()
    )
    if invitation is None:
        raise ObjectNotFound()
    return invitation


def staff_access_list(tenant):
    """The staff console's openings of the tenant's personal data, newest first (one query
    per page: the actor's label is stored on the row)."""
    return (
        staff_access_log(tenant)
        .select_related(None)
        .only("created_at", "actor_label", "action", "target_type", "target_id", "tenant_id")
    )


def staff_access_object(target_type: str) -> str:
    """What kind of object a row names ("lead", "booking"), in the reader's language."""
    try:
        model = django_apps.get_model(target_type)
    except (LookupError, ValueError):
        return target_type
    return str(model._meta.verbose_name)
