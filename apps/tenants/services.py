"""Every write to tenants, memberships and invitations."""

import secrets
import zoneinfo
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from apps.core.errors import Conflict, ObjectNotFound, PermissionDenied, ValidationFailed
from apps.core.events import emit, log_event
from apps.tenants import limits
from apps.tenants.audit import audit_record
from apps.tenants.events import TenantCreated
from apps.tenants.keys import publishable_key_get_or_create, publishable_key_invalidate
from apps.tenants.models import AuditAction, Invitation, LeadRouting, Membership, Tenant
from apps.tenants.roles import Role, role_at_least
from apps.tenants.selectors import hash_token, invitation_by_token
from apps.tenants.tasks import send_invitation_email_task

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "h",
            "ts",
            "ch",
            "sh",
            "sch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)


def _slug_base(name: str) -> str:
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in name.lower())
    return (slugify(latin) or "company")[:50].strip("-") or "company"


def _unique_slug(name: str) -> str:
    base = _slug_base(name)
    slug, n = base, 1
    while Tenant.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def normalize_origins(origins) -> list[str]:
    """Validate widget origins: scheme://host[:port], no path; returns them normalized."""
    if origins is None:
        return []
    if not isinstance(origins, list | tuple):
        raise ValidationFailed(
            _("Enter a list of origins."),
            fields={"allowed_origins": [_("Enter a list of origins.")]},
        )
    cleaned: list[str] = []
    for raw in origins:
        value = str(raw).strip().rstrip("/")
        parts = urlsplit(value)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
        ):
            raise ValidationFailed(
                _("“%(value)s” is not an origin like https://example.com.") % {"value": raw},
                fields={
                    "allowed_origins": [
                        _("“%(value)s” is not an origin like https://example.com.") % {"value": raw}
                    ]
                },
            )
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        if origin not in cleaned:
            cleaned.append(origin)
    return cleaned


def _require_admin(tenant: Tenant, actor) -> Membership:
    membership = Membership.objects.for_tenant(tenant).filter(user=actor).first()
    if membership is None or not role_at_least(membership.role, Role.ADMIN):
        raise PermissionDenied(_("Only administrators can do this."))
    return membership


@transaction.atomic
def tenant_create(
    *, user, name: str, site_domain: str = "", allowed_origins=None, slug: str = ""
) -> Tenant:
    """Create a tenant with the user as its first administrator. `slug`: a fixed one (the
    staff company's, from settings), else one is made from the name."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Enter the company name."), fields={"name": [_("This field is required.")]}
        )
    # One creation at a time per user, so two at once cannot both pass the company limit.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    limits.ensure_user_can_create_tenant(user)
    tenant = Tenant.objects.create(
        name=name[:200],
        slug=slug or _unique_slug(name),
        site_domain=(site_domain or "").strip().lower(),
        allowed_origins=normalize_origins(allowed_origins),
        created_by=user,
    )
    Membership.objects.create(tenant=tenant, user=user, role=Role.ADMIN)
    publishable_key_get_or_create(tenant)  # issued now, so no read ever has to create it
    # Billing subscribes (in this transaction) and starts the 14-day trial.
    emit(TenantCreated(tenant_id=str(tenant.id), user_id=user.pk))
    return tenant


@transaction.atomic
def tenant_update(*, tenant: Tenant, actor, **changes) -> Tenant:
    """Change a tenant's name, domain, widget origins, lead routing or time zone
    (administrators only)."""
    _require_admin(tenant, actor)
    before = {field: getattr(tenant, field) for field in SETTINGS_AUDITED}
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            raise ValidationFailed(
                _("Enter the company name."), fields={"name": [_("This field is required.")]}
            )
        tenant.name = name[:200]
    if "site_domain" in changes:
        tenant.site_domain = (changes["site_domain"] or "").strip().lower()
    if "allowed_origins" in changes:
        tenant.allowed_origins = normalize_origins(changes["allowed_origins"])
    if "lead_routing" in changes:
        if changes["lead_routing"] not in LeadRouting.values:
            raise ValidationFailed(
                _("Choose how new leads are routed."),
                fields={"lead_routing": [_("Select a valid choice.")]},
            )
        tenant.lead_routing = changes["lead_routing"]
    if "time_zone" in changes:
        if changes["time_zone"] not in zoneinfo.available_timezones():
            message = _("Unknown time zone, e.g. Europe/Moscow.")
            raise ValidationFailed(message, fields={"time_zone": [message]})
        tenant.time_zone = changes["time_zone"]
    with transaction.atomic():
        tenant.save()
        _audit_settings(tenant, actor, before)
    # The widget API caches key → tenant (name, origins): drop it once the change is committed.
    transaction.on_commit(lambda: _forget_widget_keys(tenant))
    log_event("tenant_updated", tenant_id=str(tenant.id), user_id=actor.pk, changed=sorted(changes))
    return tenant


SETTINGS_AUDITED = ("name", "site_domain", "allowed_origins", "lead_routing", "time_zone")


def _audit_settings(tenant: Tenant, actor, before: dict) -> None:
    """One audit row naming the settings that changed, before and after."""
    after = {field: getattr(tenant, field) for field in SETTINGS_AUDITED}
    changed = [field for field in SETTINGS_AUDITED if before[field] != after[field]]
    if changed:
        audit_record(
            tenant=tenant,
            actor=actor,
            action=AuditAction.TENANT_SETTINGS_CHANGED,
            target=tenant,
            before={field: before[field] for field in changed},
            after={field: after[field] for field in changed},
        )


def _forget_widget_keys(tenant: Tenant) -> None:
    publishable_key_invalidate(tenant)


def _send_invitation_email(invitation: Invitation, token: str) -> None:
    # The request never waits on the mail server: a worker on the messaging queue sends it.
    send_invitation_email_task.delay(str(invitation.tenant_id), invitation.pk, token)


@transaction.atomic
def invitation_create(*, tenant: Tenant, actor, email: str, role: str) -> tuple[Invitation, str]:
    """Invite an e-mail to the tenant; re-inviting replaces the pending invitation's token.

    Returns the invitation and the secret token (sent by e-mail, never stored in clear).
    """
    _require_admin(tenant, actor)
    email = (email or "").strip().lower()
    if role not in Role.values:
        raise ValidationFailed(
            _("Choose a valid role."), fields={"role": [_("Choose a valid role.")]}
        )
    if Membership.objects.for_tenant(tenant).filter(user__email__iexact=email).exists():
        raise Conflict(
            _("This person is already a member of the team."),
            code="already_member",
            fields={"email": [_("This person is already a member of the team.")]},
        )
    pending = (
        Invitation.objects.for_tenant(tenant)
        .select_for_update()
        .filter(email__iexact=email, accepted_at__isnull=True)
        .first()
    )
    if pending is None:
        limits.ensure_tenant_can_add_member(tenant)
        pending = Invitation(tenant=tenant, email=email)
    token = secrets.token_urlsafe(32)
    pending.role = role
    pending.token_hash = hash_token(token)
    pending.expires_at = timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS)
    pending.invited_by = actor
    pending.save()
    log_event("member_invited", tenant_id=str(tenant.id), invitation_id=pending.pk, role=role)
    transaction.on_commit(lambda: _send_invitation_email(pending, token))
    return pending, token


@transaction.atomic
def invitation_revoke(*, tenant: Tenant, actor, invitation: Invitation) -> None:
    _require_admin(tenant, actor)
    if invitation.accepted_at is not None:
        raise Conflict(_("This invitation has already been accepted."), code="invitation_used")
    invitation.delete()


def invitation_check(token: str) -> Invitation:
    """The pending invitation for a token, or a clear error (used, expired, unknown)."""
    try:
        invitation = invitation_by_token(token)
    except ObjectNotFound:
        raise ValidationFailed(
            _("This invitation link is not valid. Ask for a new one."),
            code="invitation_invalid",
            status=404,
        ) from None
    if invitation.accepted_at is not None:
        raise Conflict(_("This invitation has already been used."), code="invitation_used")
    if invitation.is_expired:
        raise ValidationFailed(
            _("This invitation has expired. Ask for a new one."),
            code="invitation_expired",
            status=410,
        )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user) -> Membership:
    """Join the tenant of a pending invitation addressed to the user's e-mail."""
    invitation = invitation_check(token)
    invitation = Invitation.objects.unscoped().select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise Conflict(_("This invitation has already been used."), code="invitation_used")
    if invitation.email.lower() != user.email.lower():
        raise PermissionDenied(
            _("This invitation was sent to another e-mail address. Sign in with that address."),
            code="invitation_wrong_email",
        )
    tenant = invitation.tenant
    if Membership.objects.for_tenant(tenant).filter(user=user).exists():
        raise Conflict(_("You are already a member of this team."), code="already_member")
    # Joining by invitation does not count against the user's own company limit.
    try:
        with transaction.atomic():
            membership = Membership.objects.create(tenant=tenant, user=user, role=invitation.role)
    except IntegrityError:
        raise Conflict(_("You are already a member of this team."), code="already_member") from None
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    log_event(
        "invitation_accepted",
        tenant_id=str(tenant.id),
        user_id=user.pk,
        invitation_id=invitation.pk,
    )
    return membership


def _lock_admins(tenant: Tenant) -> list[int]:
    # Lock every admin row so two concurrent demotions cannot both pass the "last admin" check.
    return list(
        Membership.objects.for_tenant(tenant)
        .select_for_update()
        .filter(role=Role.ADMIN)
        .values_list("pk", flat=True)
    )


@transaction.atomic
def membership_change_role(
    *, tenant: Tenant, actor, membership: Membership, role: str
) -> Membership:
    """Change a member's role; the last administrator cannot be demoted."""
    _require_admin(tenant, actor)
    if role not in Role.values:
        raise ValidationFailed(
            _("Choose a valid role."), fields={"role": [_("Choose a valid role.")]}
        )
    admins = _lock_admins(tenant)
    if membership.role == Role.ADMIN and role != Role.ADMIN and admins == [membership.pk]:
        raise Conflict(
            _(
                "The last administrator cannot be demoted. Make someone else an "
                "administrator first."
            ),
            code="last_admin",
        )
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action=AuditAction.MEMBER_ROLE_CHANGED,
        target=membership,
        before={"user_id": membership.user_id, "role": old},
        after={"user_id": membership.user_id, "role": role},
    )
    log_event(
        "member_role_changed",
        tenant_id=str(tenant.id),
        user_id=membership.user_id,
        actor_id=actor.pk,
        old_role=old,
        new_role=role,
    )
    return membership


@transaction.atomic
def membership_remove(*, tenant: Tenant, actor, membership: Membership) -> None:
    """Remove a member (administrators) or leave (the member); the last admin stays."""
    if membership.user_id != actor.pk:
        _require_admin(tenant, actor)
    admins = _lock_admins(tenant)
    if membership.role == Role.ADMIN and admins == [membership.pk]:
        raise Conflict(
            _(
                "The last administrator cannot leave or be removed. Make someone else "
                "an administrator first."
            ),
            code="last_admin",
        )
    removed = {"user_id": membership.user_id, "role": membership.role}
    audit_record(
        tenant=tenant,
        actor=actor,
        action=AuditAction.MEMBER_REMOVED,
        target=membership,
        before=removed,
    )
    membership.delete()
    log_event(
        "member_removed", tenant_id=str(tenant.id), user_id=membership.user_id, actor_id=actor.pk
    )
