"""Staff console: the business metrics page and a read-only view of the rollups."""

from django.contrib import admin
from django.template.response import TemplateResponse

from apps.analytics.models import BusinessMetrics, DailyLeadStats
from apps.analytics.staff import staff_metrics
from apps.tenants.admin_base import ReadOnlyAdmin


@admin.register(BusinessMetrics)
class BusinessMetricsAdmin(ReadOnlyAdmin):
    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def changelist_view(self, request, extra_context=None):
        context = {
            **self.admin_site.each_context(request),
            "title": self.model._meta.verbose_name_plural.capitalize(),
            "opts": self.model._meta,
            "metrics": staff_metrics(),
        }
        return TemplateResponse(request, "admin/analytics/business_metrics.html", context)


@admin.register(DailyLeadStats)
class DailyLeadStatsAdmin(ReadOnlyAdmin):
    tenant_list_display = ("day", "source", "list_id", "created", "contacted", "booked", "won")
    list_filter = ("source",)
    date_hierarchy = "day"
    show_full_result_count = False
