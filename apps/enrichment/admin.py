"""Staff console of AI enrichment: each run's revenue next to its AI token cost."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.enrichment.models import EnrichmentRun
from apps.tenants.admin_base import TenantOwnedAdmin, admin_money


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
    list_select_related = ("tenant", "usage_charge")
    search_fields = ["=id", "billing_reference", "tenant__name"]
    raw_id_fields = ["tenant", "requested_by", "usage_charge"]
    readonly_fields = [f.name for f in EnrichmentRun._meta.fields if f.name not in ("tenant",)]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("revenue"))
    def revenue(self, run) -> str:
        """What the run earned after its settle (nothing-found and failed leads given back)."""
        charge = run.usage_charge
        if charge is None:
            return "—"
        return admin_money(charge.net_amount, charge.currency)
