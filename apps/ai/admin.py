"""Staff console: every AI call with filters, and totals per tenant (calls, tokens, cost)
over whatever the filters select."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.ai.models import AIUsage
from apps.ai.selectors import ai_usage_totals, ai_usage_totals_by_tenant
from apps.tenants.admin_base import TenantOwnedAdmin


@admin.register(AIUsage)
class AIUsageAdmin(TenantOwnedAdmin):
    tenant_list_display = (
        "created_at",
        "purpose",
        "provider",
        "model_version",
        "input_tokens",
        "output_tokens",
        "cost",
        "latency_ms",
        "attempts",
        "outcome",
        "error_code",
    )
    list_filter = ("provider", "outcome", "purpose", "offline", "error_code", "created_at")
    search_fields = ("request_id", "purpose", "model_version", "tenant__name")
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False
    change_list_template = "admin/ai/aiusage/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a log: read-only

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            selected = changelist.queryset
            response.context_data["usage_totals"] = ai_usage_totals(selected)
            response.context_data["usage_by_tenant"] = ai_usage_totals_by_tenant(selected)
            response.context_data["usage_title"] = _("Totals per tenant (current filters)")
        return response
