"""/api/v1/tenants/{tenant_id}/: personal data of a lead, retention, export of everything, close."""

from apps.core.api import api_routes
from apps.privacy import api

tenant = "tenants/<str:tenant_id>/"
export = "privacy/export/<int:company_export_id>/"

urlpatterns = [
    *api_routes(
        f"{tenant}leads/<int:lead_id>/",
        "api-lead-",
        ("personal-data-export/", api.LeadPersonalDataExportAPI, "personal-data-export"),
        ("erase/", api.LeadEraseAPI, "erase"),
        ("consent/withdraw/", api.LeadConsentWithdrawAPI, "consent-withdraw"),
    ),
    *api_routes(
        tenant,
        "api-",
        ("privacy/retention/", api.RetentionAPI, "privacy-retention"),
        ("privacy/export/", api.CompanyExportCollectionAPI, "company-exports"),
        (export, api.CompanyExportDetailAPI, "company-export"),
        (f"{export}download/", api.CompanyExportDownloadAPI, "company-export-download"),
        ("close/", api.CompanyCloseAPI, "company-close"),
    ),
    *api_routes(
        "",
        "api-",
        ("me/personal-data-export/", api.MyPersonalDataExportAPI, "me-personal-data-export"),
    ),
]
