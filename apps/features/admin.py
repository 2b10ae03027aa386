"""Staff console: tool overrides (through the service, so history and cache stay right),
their history, and release flags with tenant whitelists."""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from waffle.admin import FlagAdmin
from waffle.models import Flag

from apps.core.errors import ValidationFailed
from apps.features import services
from apps.features.flags import flag_whitelist_changed
from apps.features.models import FlagTenant, TenantFeature, TenantFeatureHistory
from apps.features.registry import tool_list
from apps.tenants.admin_base import TenantOwnedAdmin


def _tool_choices():
    return [(tool.key, f"{tool.name} ({tool.key})") for tool in tool_list()]


class TenantFeatureForm(forms.ModelForm):
    feature = forms.ChoiceField(label=_("tool"), choices=_tool_choices)

    class Meta:
        model = TenantFeature
        fields = ["tenant", "feature", "mode", "expires_at", "reason"]

    def clean(self):
        data = super().clean()
        feature = data.get("feature") or self.instance.feature
        try:
            services.override_validate(
                feature, data.get("mode"), data.get("reason") or "", data.get("expires_at")
            )
        except ValidationFailed as error:
            for field, field_errors in error.fields.items():
                self.add_error(field if field in self.fields else None, field_errors)
        return data


@admin.register(TenantFeature)
class TenantFeatureAdmin(TenantOwnedAdmin):
    form = TenantFeatureForm
    tenant_list_display = ("feature", "mode", "expires_at", "reason", "created_by", "updated_at")
    list_filter = ["mode", "feature"]
    search_fields = ["tenant__name", "tenant__slug", "feature", "reason"]
    autocomplete_fields = ["tenant"]
    list_select_related = ("tenant", "created_by")

    def get_readonly_fields(self, request, obj=None):
        return ["tenant", "feature"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        saved = services.tenant_feature_set(
            tenant=obj.tenant,
            feature=obj.feature,
            mode=obj.mode,
            reason=obj.reason,
            expires_at=obj.expires_at,
            actor=request.user,
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.tenant_feature_remove(
            tenant=obj.tenant,
            feature=obj.feature,
            actor=request.user,
            reason=str(_("removed in the staff console")),
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("tenant"):
            self.delete_model(request, obj)


@admin.register(TenantFeatureHistory)
class TenantFeatureHistoryAdmin(TenantOwnedAdmin):
    tenant_list_display = ("created_at", "feature", "action", "mode", "expires_at", "actor")
    list_filter = ["action", "mode", "feature"]
    search_fields = ["tenant__name", "feature", "reason"]
    list_select_related = ("tenant", "actor")
    readonly_fields = [
        "tenant",
        "feature",
        "action",
        "mode",
        "expires_at",
        "reason",
        "actor",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FlagTenantInline(admin.TabularInline):
    model = FlagTenant
    extra = 0
    autocomplete_fields = ["tenant"]
    fields = ["tenant", "created_at"]
    readonly_fields = ["created_at"]
    verbose_name_plural = _("companies with this flag on (release whitelist)")


# waffle's flag admin, plus the company whitelist of docs/release-flags.md.
admin.site.unregister(Flag)


@admin.register(Flag)
class ReleaseFlagAdmin(FlagAdmin):
    inlines = [FlagTenantInline]
    list_display = (*FlagAdmin.list_display, "tenant_count")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_tenant_count=Count("tenant_whitelist"))

    @admin.display(description=_("whitelisted companies"), ordering="_tenant_count")
    def tenant_count(self, obj):
        return obj._tenant_count

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        name = form.instance.name
        transaction.on_commit(lambda: flag_whitelist_changed(name))
        flag_whitelist_changed(name)
