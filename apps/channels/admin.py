"""Staff console: channels with their credentials masked, never editable or shown."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.channels.models import Channel
from apps.core.crypto import DecryptionFailed


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "kind", "provider", "status", "enabled", "last_tested_at")
    list_filter = ("kind", "provider", "status", "enabled")
    search_fields = ("name", "tenant__name")
    fields = (
        "tenant",
        "name",
        "kind",
        "provider",
        "settings",
        "masked",
        "status",
        "last_tested_at",
        "last_error",
        "enabled",
    )
    readonly_fields = (
        "tenant",
        "kind",
        "provider",
        "masked",
        "status",
        "last_tested_at",
        "last_error",
    )

    def get_queryset(self, request):
        return Channel.objects.unscoped().select_related("tenant")

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("credentials"))
    def masked(self, obj) -> str:
        try:
            return ", ".join(f"{k}: {v}" for k, v in obj.masked_credentials().items())
        except DecryptionFailed:
            return _("(no key of FIELD_ENCRYPTION_KEYS opens them)")
