"""Staff console of AI enrichment: each run's revenue next to its AI token cost."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.core.money import Money
from apps.enrichment.models import EnrichmentRun
from apps.tenants.admin_base import TenantOwnedAdmin


@admin.register(EnrichmentRun)
class EnrichmentRunAdmin(TenantOwnedAdmin):
    """Staff see what each run cost us in AI tokens and what it earned."""

    tenant_list_display = (
        "created_at",
        "status",
        "leads_selected",
        "leads_enriched",
        "leads_nothing_found",
        "leads_failed",
        "revenue",
        "token_cost",
        "billing_reference",
        "offline",
    )
    list_filter = ["status", "offline", "created_at"]
    search_fields = ["=id", "billing_reference", "tenant__name"]
    raw_id_fields = ["tenant", "requested_by", "usage_charge"]
    readonly_fields = [f.name for f in EnrichmentRun._meta.fields if f.name not in ("tenant",)]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("revenue"))
    def revenue(self, run) -> str:
        if not run.price_currency:
            return "—"
        return (
            str(Money(run.price_amount, run.price_currency).to_decimal()) + " " + run.price_currency
        )
