"""Staff console for leads, lists, customers, products, exports, the widget's intake queue and
the tenants' keys."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.admin_paging import CappedCountPaginator
from apps.leads.models import (
    Customer,
    Lead,
    LeadAction,
    LeadExport,
    LeadList,
    Product,
    TimelineEntry,
    WidgetIntake,
)
from apps.leads.tasks import widget_intake_wake
from apps.leads.widget_intake import intake_replay_failed
from apps.tenants.admin_base import StaffAccessAudited, TenantOwnedAdmin
from apps.tenants.models import AuditAction, PublishableKey, TenantAPIKey


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False
    max_num = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class LeadActionInline(_ReadOnlyInline):
    model = LeadAction
    fields = ["action_type", "engagement_level", "occurred_at", "channel", "metadata"]
    readonly_fields = fields
    ordering = ["-occurred_at"]

    def get_queryset(self, request):
        return LeadAction.objects.unscoped().order_by("-occurred_at")


class TimelineEntryInline(_ReadOnlyInline):
    model = TimelineEntry
    fields = ["created_at", "kind", "actor", "body", "data"]
    readonly_fields = fields

    def get_queryset(self, request):
        return TimelineEntry.objects.unscoped().select_related("actor").order_by("-created_at")


@admin.register(Lead)
class LeadAdmin(StaffAccessAudited, TenantOwnedAdmin):
    tenant_list_display = ("id", "name", "email", "phone", "status", "source", "created_at")
    search_fields = ["=id", "email", "phone", "name", "company", "external_id"]
    list_filter = ["status", "source", "created_at"]
    list_select_related = ("tenant",)
    raw_id_fields = ["tenant", "product", "customer", "list", "assigned_to"]
    readonly_fields = [
        "person_key",
        "identity_key",
        "created_at",
        "updated_at",
        "manual_fields",
        "not_determined",
    ]
    inlines = [LeadActionInline, TimelineEntryInline]
    # No COUNT(*) over a million leads on every page: the pager counts up to a cap.
    show_full_result_count = False
    paginator = CappedCountPaginator


@admin.register(LeadList)
class LeadListAdmin(TenantOwnedAdmin):
    tenant_list_display = ("name", "kind", "created_at")
    search_fields = ["name", "tenant__name"]
    list_filter = ["kind"]
    raw_id_fields = ["tenant", "created_by"]


@admin.register(Customer)
class CustomerAdmin(StaffAccessAudited, TenantOwnedAdmin):
    tenant_list_display = ("external_ref", "name", "email", "created_at")
    search_fields = ["external_ref", "name", "email", "tenant__name"]
    list_filter = ["created_at"]
    raw_id_fields = ["tenant"]


@admin.register(Product)
class ProductAdmin(TenantOwnedAdmin):
    tenant_list_display = ("external_ref", "name", "created_at")
    search_fields = ["external_ref", "name", "tenant__name"]
    list_filter = ["created_at"]
    raw_id_fields = ["tenant"]


@admin.register(LeadExport)
class LeadExportAdmin(StaffAccessAudited, TenantOwnedAdmin):
    staff_access_action = AuditAction.STAFF_VIEWED_EXPORT
    tenant_list_display = ("id", "format", "status", "rows_done", "rows_total", "created_at")
    search_fields = ["=id", "tenant__name"]
    list_filter = ["status", "format"]
    raw_id_fields = ["tenant", "created_by"]
    readonly_fields = ["file", "error", "started_at", "finished_at", "rows_done", "rows_total"]


@admin.register(TenantAPIKey)
class TenantAPIKeyAdmin(TenantOwnedAdmin):
    """Keys are created by tenant admins (shown once); staff can see and revoke them."""

    tenant_list_display = ("name", "prefix", "role", "created_at", "last_used_at", "revoked_at")
    search_fields = ["name", "prefix", "tenant__name"]
    list_filter = ["role", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_by", "created_at", "last_used_at"]
    raw_id_fields = ["tenant"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


@admin.register(PublishableKey)
class PublishableKeyAdmin(TenantOwnedAdmin):
    tenant_list_display = ("key", "created_at", "revoked_at")
    search_fields = ["key", "tenant__name"]
    list_filter = ["revoked_at"]
    readonly_fields = ["key", "created_at"]
    raw_id_fields = ["tenant"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(WidgetIntake)
class WidgetIntakeAdmin(StaffAccessAudited, TenantOwnedAdmin):
    """Widget submissions waiting to be stored, stored (a day's marks, no personal data) and
    set aside after a failure: staff read the error and queue them again once it is fixed."""

    tenant_list_display = ("id", "received_at", "stored_at", "lead_id", "failed_at", "error")
    search_fields = ["=id", "=submission_id", "=lead_id", "tenant__name"]
    list_filter = [
        ("failed_at", admin.EmptyFieldListFilter),
        ("stored_at", admin.EmptyFieldListFilter),
    ]
    readonly_fields = [
        "tenant",
        "submission_id",
        "payload",
        "held_period",
        "received_at",
        "stored_at",
        "lead_id",
        "failed_at",
        "error",
    ]
    actions = ["queue_again"]
    show_full_result_count = False
    paginator = CappedCountPaginator

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Queue the selected failed submissions again"))
    def queue_again(self, request, queryset):
        count = intake_replay_failed(queryset)
        if count:
            widget_intake_wake()
        self.message_user(request, _("%(count)s submissions queued again.") % {"count": count})
