"""/api/v1/tenants/{tenant_id}/: personal data of a lead, retention, export of everything, close."""

from django.urls import path

from apps.privacy import api

tenant = "tenants/<str:tenant_id>/"
lead = f"{tenant}leads/<int:lead_id>/"
export = f"{tenant}privacy/export/<int:company_export_id>/"

urlpatterns = [
    path(
        f"{lead}personal-data-export/",
        api.LeadPersonalDataExportAPI.as_view(),
        name="api-lead-personal-data-export",
    ),
    path(f"{lead}erase/", api.LeadEraseAPI.as_view(), name="api-lead-erase"),
    path(
        f"{lead}consent/withdraw/",
        api.LeadConsentWithdrawAPI.as_view(),
        name="api-lead-consent-withdraw",
    ),
    path(f"{tenant}privacy/retention/", api.RetentionAPI.as_view(), name="api-privacy-retention"),
    path(
        f"{tenant}privacy/export/",
        api.CompanyExportCollectionAPI.as_view(),
        name="api-company-exports",
    ),
    path(export, api.CompanyExportDetailAPI.as_view(), name="api-company-export"),
    path(
        f"{export}download/",
        api.CompanyExportDownloadAPI.as_view(),
        name="api-company-export-download",
    ),
    path(f"{tenant}close/", api.CompanyCloseAPI.as_view(), name="api-company-close"),
    path(
        "me/personal-data-export/",
        api.MyPersonalDataExportAPI.as_view(),
        name="api-me-personal-data-export",
    ),
]
