"""The staff console of the webhooks: endpoints (secret never shown), deliveries and their log,
read-only — changes go through the tenant's own page and API."""

from django.contrib import admin

from apps.integrations.models import (
    CrmBackfill,
    CrmConnection,
    CrmSyncJob,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from apps.tenants.admin_base import StaffAccessAudited


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnly):
    list_display = ("url", "tenant", "enabled", "disabled_at", "created_at")
    list_filter = ("enabled",)
    search_fields = ("url", "tenant__name")
    exclude = ("secret_encrypted",)

    def get_queryset(self, request):
        return WebhookEndpoint.objects.unscoped().select_related("tenant")


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("attempted_at", "status_code", "error", "duration_ms")
    readonly_fields = fields

    def get_queryset(self, request):
        return WebhookAttempt.objects.unscoped()

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(StaffAccessAudited, ReadOnly):
    list_display = ("pk", "tenant", "endpoint", "status", "attempts", "last_status_code")
    list_filter = ("status",)
    list_select_related = ("tenant", "endpoint")
    inlines = [AttemptInline]

    def get_queryset(self, request):
        return WebhookDelivery.objects.unscoped()


@admin.register(CrmConnection)
class CrmConnectionAdmin(ReadOnly):
    """CRM connections: the tokens and the inbound secret are never shown."""

    list_display = ("tenant", "provider", "account", "state", "pipeline_name", "connected_at")
    list_filter = ("provider", "state")
    search_fields = ("account", "tenant__name")
    exclude = ("credentials_encrypted", "inbound_token", "oauth_state")

    def get_queryset(self, request):
        return CrmConnection.objects.unscoped().select_related("tenant")


@admin.register(CrmBackfill)
class CrmBackfillAdmin(ReadOnly):
    """Sendings of existing leads to a CRM: who started them, how many, the outcome."""

    list_display = ("pk", "tenant", "state", "total", "since", "started_by", "created_at")
    list_filter = ("state",)

    def get_queryset(self, request):
        return CrmBackfill.objects.unscoped().select_related("tenant", "started_by")


@admin.register(CrmSyncJob)
class CrmSyncJobAdmin(ReadOnly):
    list_display = ("pk", "tenant", "kind", "status", "attempts", "result_text", "created_at")
    list_filter = ("kind", "status")
    readonly_fields = ("link",)

    def get_queryset(self, request):
        return CrmSyncJob.objects.unscoped().select_related("tenant")
