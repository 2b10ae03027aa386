"""/api/v1/tenants/{tenant_id}/ leads, lists, customers, products, exports, API keys, widget key."""

from django.urls import path

from apps.leads.api import exports, keys, leads, lists, widget

tenant = "tenants/<str:tenant_id>/"

urlpatterns = [
    path(f"{tenant}leads/", leads.LeadCollectionAPI.as_view(), name="api-leads"),
    path(f"{tenant}leads/bulk/", leads.LeadBulkAPI.as_view(), name="api-leads-bulk"),
    path(f"{tenant}leads/export/", exports.LeadExportAPI.as_view(), name="api-leads-export"),
    path(
        f"{tenant}leads/exports/",
        exports.LeadExportJobCollectionAPI.as_view(),
        name="api-lead-exports",
    ),
    path(
        f"{tenant}leads/exports/<int:export_id>/",
        exports.LeadExportJobDetailAPI.as_view(),
        name="api-lead-export",
    ),
    path(
        f"{tenant}leads/exports/<int:export_id>/download/",
        exports.LeadExportDownloadAPI.as_view(),
        name="api-lead-export-download",
    ),
    path(f"{tenant}leads/<int:lead_id>/", leads.LeadDetailAPI.as_view(), name="api-lead"),
    path(
        f"{tenant}leads/<int:lead_id>/notes/", leads.LeadNotesAPI.as_view(), name="api-lead-notes"
    ),
    path(f"{tenant}lists/", lists.LeadListCollectionAPI.as_view(), name="api-lists"),
    path(f"{tenant}lists/<int:list_id>/", lists.LeadListDetailAPI.as_view(), name="api-list"),
    path(f"{tenant}customers/", lists.CustomerCollectionAPI.as_view(), name="api-customers"),
    path(f"{tenant}products/", lists.ProductCollectionAPI.as_view(), name="api-products"),
    path(f"{tenant}api-keys/", keys.APIKeyCollectionAPI.as_view(), name="api-keys"),
    path(f"{tenant}api-keys/<int:key_id>/", keys.APIKeyDetailAPI.as_view(), name="api-key"),
    path(f"{tenant}widget/", widget.WidgetConfigAPI.as_view(), name="api-widget-config"),
    path(f"{tenant}widget/keys/", keys.PublishableKeyAPI.as_view(), name="api-widget-key"),
    path(f"{tenant}widget/snippet/", widget.WidgetSnippetAPI.as_view(), name="api-widget-snippet"),
    path(
        f"{tenant}widget/keys/rotate/",
        keys.PublishableKeyRotateAPI.as_view(),
        name="api-widget-key-rotate",
    ),
]
