"""/api/v1/tenants/{tenant_id}/ enrichment: start runs over leads or a list, follow them."""

from django.urls import path

from apps.enrichment import api

tenant = "tenants/<str:tenant_id>/"

urlpatterns = [
    path(f"{tenant}leads/enrich/", api.LeadsEnrichAPI.as_view(), name="api-leads-enrich"),
    path(
        f"{tenant}leads/<int:lead_id>/enrich/",
        api.LeadEnrichAPI.as_view(),
        name="api-lead-enrich",
    ),
    path(
        f"{tenant}leads/<int:lead_id>/enrichments/",
        api.LeadEnrichmentsAPI.as_view(),
        name="api-lead-enrichments",
    ),
    path(
        f"{tenant}lists/<int:list_id>/enrich/",
        api.ListEnrichAPI.as_view(),
        name="api-list-enrich",
    ),
    path(
        f"{tenant}enrichment-runs/",
        api.EnrichmentRunCollectionAPI.as_view(),
        name="api-enrichment-runs",
    ),
    path(
        f"{tenant}enrichment-runs/<str:run_id>/",
        api.EnrichmentRunDetailAPI.as_view(),
        name="api-enrichment-run",
    ),
]
