"""Tenants (client companies), their members and invitations."""

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel
from apps.tenants.roles import Role
from apps.tenants.scoping import TenantOwnedModel, TenantScopedManager


class LeadRouting(models.TextChoices):
    """Who hears of a new lead nobody is assigned to (apps/messaging/notifications.py)."""

    NOTIFY_ALL = "notify_all", _("Notify every operator")
    ROUND_ROBIN = "round_robin", _("Assign to operators in turn")


class Tenant(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    site_domain = models.CharField(_("site domain"), max_length=253, blank=True)
    allowed_origins = models.JSONField(
        _("allowed widget origins"),
        default=list,
        blank=True,
        help_text=_("Origins such as https://example.com allowed to call the widget API."),
    )
    # Calendar days, quiet hours, working hours and weekly reports are in this zone.
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Moscow", db_default="Europe/Moscow"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lead_routing = models.CharField(
        _("new unassigned leads"),
        max_length=16,
        choices=LeadRouting.choices,
        default=LeadRouting.NOTIFY_ALL,
        db_default=LeadRouting.NOTIFY_ALL,
    )

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TenantOwnedModel, TimeStampedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user"),
        ]
        indexes = [models.Index(fields=["user", "tenant"], name="membership_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.tenant_id} ({self.role})"


class Invitation(TenantOwnedModel, TimeStampedModel):
    """A single-use, expiring invitation. Only the token's hash is stored."""

    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires at"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            # Re-inviting replaces the pending invitation: one open row per tenant and e-mail.
            models.UniqueConstraint(
                "tenant",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_one_pending_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk} ({self.role})"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and not self.is_expired


class TenantAPIKey(TenantOwnedModel, TimeStampedModel):
    """A server-to-server key (`fl_` + prefix + secret). Only the secret's SHA-256 is stored;
    the full key is shown once, when an admin creates it (apps/tenants/keys.py)."""

    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(
        _("role"),
        max_length=16,
        choices=[(Role.OPERATOR, Role.OPERATOR.label), (Role.ANALYST, Role.ANALYST.label)],
        default=Role.OPERATOR,
    )
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        indexes = [models.Index(fields=["tenant", "-created_at"], name="apikey_tenant_time")]

    def __str__(self) -> str:
        return f"{self.name} (fl_{self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class PublishableKey(TenantOwnedModel):
    """The public key the widget embeds (`pk_…`): it names the tenant, it grants nothing else."""

    key = models.CharField(_("key"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("publishable key")
        verbose_name_plural = _("publishable keys")
        constraints = [
            # One live key per tenant; rotation revokes the old one in the same transaction.
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(revoked_at__isnull=True),
                name="publishablekey_one_live",
            ),
        ]

    def __str__(self) -> str:
        return self.key


class AuditAction(models.TextChoices):
    """What an audit row records. Other apps record their own actions through
    `apps.tenants.audit.audit_record` (refunds, approvals), so their names live here too."""

    TENANT_SETTINGS_CHANGED = "tenant_settings_changed", _("Company settings changed")
    MEMBER_ROLE_CHANGED = "member_role_changed", _("Member's role changed")
    MEMBER_REMOVED = "member_removed", _("Member removed")
    API_KEY_CREATED = "api_key_created", _("API key created")
    API_KEY_REVOKED = "api_key_revoked", _("API key revoked")
    API_KEY_ROTATED = "api_key_rotated", _("API key rotated")
    WIDGET_KEY_ROTATED = "widget_key_rotated", _("Widget key rotated")
    WIDGET_CONFIG_CHANGED = "widget_config_changed", _("Widget settings changed")
    WIDGET_ORIGIN_ALLOWED = "widget_origin_allowed", _("Site allowed for the widget")
    BOOKING_SETTINGS_CHANGED = "booking_settings_changed", _("Meeting booking settings changed")
    FEATURE_OVERRIDE_SET = "feature_override_set", _("Tool override set")
    FEATURE_OVERRIDE_REMOVED = "feature_override_removed", _("Tool override removed")
    FEATURE_OVERRIDE_EXPIRED = "feature_override_expired", _("Tool override expired")
    REFUND_CREATED = "refund_created", _("Refund created")
    APPROVAL_DECIDED = "approval_decided", _("Approval decided")
    # Fast Lead staff opened a tenant's personal data in the staff console (issue 21).
    STAFF_VIEWED = "staff_viewed", _("Staff viewed personal data")
    STAFF_VIEWED_EXPORT = "staff_viewed_export", _("Staff opened a data export")
    PERSONAL_DATA_EXPORTED = "personal_data_exported", _("Personal data exported")
    PERSONAL_DATA_ERASED = "personal_data_erased", _("Personal data erased")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
    RETENTION_CHANGED = "retention_changed", _("Retention settings changed")
    COMPANY_EXPORT_REQUESTED = "company_export_requested", _("Export of all data requested")
    COMPANY_CLOSED = "company_closed", _("Company closed")
    COMPANY_RESTORED = "company_restored", _("Company restored")
    COMPANY_DELETED = "company_deleted", _("Company deleted for good")


class AuditLogEntry(models.Model):
    """Who did what to which object, when, with the state before and after (Zulip's
    RealmAuditLog). Append-only: written by `apps.tenants.audit.audit_record`, read in the
    staff console. `tenant` is empty for platform-wide actions; `actor` is empty for the
    system (a beat task) and API keys, `actor_label` names whoever it was either way."""

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=40, choices=AuditAction.choices, db_index=True)
    target_type = models.CharField(max_length=100)
    target_id = models.CharField(max_length=64, db_index=True)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="audit_tenant_created")]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"
