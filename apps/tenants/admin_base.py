"""Base for the staff console of tenant-owned models: every tenant's rows, tenant shown."""

from django.contrib import admin


class TenantOwnedAdmin(admin.ModelAdmin):
    """Staff see every tenant's rows on purpose (the middleware puts /admin/ in the
    all-tenants scope for staff); the tenant is always a column and a filter."""

    tenant_list_display: tuple[str, ...] = ()
    list_select_related = ("tenant",)

    def get_queryset(self, request):
        return self.model.objects.unscoped().select_related("tenant")

    def get_list_display(self, request):
        return (*self.tenant_list_display, "tenant")

    def get_list_filter(self, request):
        return (*super().get_list_filter(request), "tenant")
