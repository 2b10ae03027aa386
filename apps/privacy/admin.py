"""The staff console of the privacy app: closures (restore within the 30 days), exports,
requests about personal data and consents, read-only — changes go through services."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ApplicationError
from apps.privacy.models import (
    ConsentRecord,
    PersonalDataRequest,
    RetentionSettings,
    TenantClosure,
    TenantExport,
)
from apps.privacy.services.closure import company_restore
from apps.tenants.admin_base import ReadOnlyAdmin


@admin.register(TenantClosure)
class TenantClosureAdmin(ReadOnlyAdmin):
    tenant_list_display = ("status", "closed_at", "delete_after", "closed_by", "restored_at")
    list_filter = ("status",)
    actions = ["restore"]

    @admin.action(description=_("Restore the selected companies (reopen them)"))
    def restore(self, request, queryset):
        restored = 0
        for closure in queryset.select_related("tenant"):
            try:
                company_restore(closure=closure, actor=request.user)
            except ApplicationError as error:
                self.message_user(request, f"{closure.tenant}: {error.message}", messages.WARNING)
            else:
                restored += 1
        if restored:
            self.message_user(request, _("Companies restored: %(n)s") % {"n": restored})

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TenantExport)
class TenantExportAdmin(ReadOnlyAdmin):
    tenant_list_display = ("created_at", "status", "tables", "finished_at")


@admin.register(PersonalDataRequest)
class PersonalDataRequestAdmin(ReadOnlyAdmin):
    tenant_list_display = ("created_at", "kind", "subject_type", "subject_id", "requested_by")
    list_filter = ("kind",)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    tenant_list_display = ("created_at", "lead", "purpose", "granted", "version")
    list_filter = ("purpose", "granted")
    raw_id_fields = ("lead", "actor")


@admin.register(RetentionSettings)
class RetentionSettingsAdmin(ReadOnlyAdmin):
    tenant_list_display = ("conversations_days", "tickets_days", "ai_raw_days", "import_files_days")
