from django.contrib import admin

from apps.tenants.admin_base import StaffAccessAudited, TenantOwnedAdmin
from apps.tenants.models import AuditLogEntry, Invitation, Membership, Tenant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        return Membership.objects.unscoped().select_related("user")


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "site_domain", "member_count", "created_at"]
    search_fields = ["name", "slug", "site_domain"]
    list_filter = ["created_at"]
    readonly_fields = ["id", "created_at", "updated_at"]
    inlines = [MembershipInline]

    @admin.display(description="members")
    def member_count(self, obj):
        return Membership.objects.for_tenant(obj).count()


@admin.register(Membership)
class MembershipAdmin(StaffAccessAudited, TenantOwnedAdmin):
    tenant_list_display = ("user", "role", "created_at")
    search_fields = ["user__email", "user__name", "tenant__name", "tenant__slug"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "tenant"]
    list_select_related = ("tenant", "user")


@admin.register(Invitation)
class InvitationAdmin(StaffAccessAudited, TenantOwnedAdmin):
    tenant_list_display = ("email", "role", "expires_at", "accepted_at", "invited_by")
    search_fields = ["email", "tenant__name"]
    list_filter = ["role", "accepted_at"]
    readonly_fields = ["token_hash", "accepted_at", "accepted_by", "invited_by", "created_at"]
    autocomplete_fields = ["tenant"]
    list_select_related = ("tenant", "invited_by")


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(admin.ModelAdmin):
    """The audit log in the staff console: read-only, every tenant's rows."""

    list_display = ["created_at", "action", "tenant", "actor_label", "target_type", "target_id"]
    list_filter = ["action", "tenant"]
    search_fields = ["target_id"]
    list_select_related = ["tenant"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "created_at",
        "tenant",
        "actor",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "before",
        "after",
        "ip",
    ]

    def get_queryset(self, request):
        return AuditLogEntry.objects.unscoped().select_related("tenant", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
