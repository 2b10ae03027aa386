"""Staff console of HyroPage: pages and generations, read-only (tenants edit their pages)."""

from django.contrib import admin

from apps.hyropage.models import Generation, HyroPage


@admin.register(HyroPage)
class HyroPageAdmin(admin.ModelAdmin):
    list_display = ("slug", "tenant", "status", "language", "version", "views", "created_at")
    list_filter = ("status", "language")
    search_fields = ("slug", "tenant__name", "tenant__slug")
    readonly_fields = [f.name for f in HyroPage._meta.fields]

    def get_queryset(self, request):
        return HyroPage.objects.unscoped().select_related("tenant")

    def has_add_permission(self, request):
        return False


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = ("id", "tenant", "status", "model_requested", "model_used", "offline")
    list_filter = ("status", "offline", "model_used")
    readonly_fields = [f.name for f in Generation._meta.fields]

    def get_queryset(self, request):
        return Generation.objects.unscoped().select_related("tenant", "page")

    def has_add_permission(self, request):
        return False
